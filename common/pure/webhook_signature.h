/*
 * webhook_signature - the signature of the valuation service's callbacks,
 * in the header
 *
 *     X-Valuation-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">
 *
 * The secrets are one comma-separated list (CALLBACK_SIGNING_SECRET):
 * whoever signs uses the first, whoever verifies accepts any of them, so a
 * secret can be rotated by listing the new one first on the sender and both
 * on the receiver. Blanks around an entry are ignored, empty entries skipped.
 * A header may carry several v1= values (signed with several secrets); one
 * match is enough. Comparisons take the same time whatever the bytes.
 *
 * Pure: no I/O; the caller passes the current time. The signed message is
 * copied once ("<t>." and the body), so signing and checking can run out of memory.
 */
#ifndef WEBHOOK_SIGNATURE_H
#define WEBHOOK_SIGNATURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WEBHOOK_SIGNATURE_HEADER "X-Valuation-Signature"
/* How far the signing time may be from the receiver's clock, either way. */
#define WEBHOOK_SIGNATURE_TOLERANCE_SECONDS 300
/* "t=" + at most 18 digits + ",v1=" + 64 hex digits + NUL. */
#define WEBHOOK_SIGNATURE_SIZE 96

enum webhook_signature_verdict {
    WEBHOOK_SIGNATURE_VALID,
    WEBHOOK_SIGNATURE_MISSING,   /* no header */
    WEBHOOK_SIGNATURE_MALFORMED, /* not t=<digits>,v1=<64 hex>[,v1=...] */
    WEBHOOK_SIGNATURE_MISMATCH,  /* no v1 matches any secret */
    WEBHOOK_SIGNATURE_STALE,     /* signed more than the tolerance ago */
    WEBHOOK_SIGNATURE_FUTURE,    /* signed more than the tolerance ahead of now */
};

/* Whether the list names at least one secret (NULL names none). */
bool webhook_signature_has_secret(const char *secrets);

/*
 * Writes the header's value for body (length bytes), signed at timestamp
 * (unix seconds, 0 to 10^18 - 1) with the first secret of the list.
 * Returns 0, or -EINVAL (no secret, timestamp out of range) or -ENOMEM, and
 * then writes nothing.
 */
__attribute__((warn_unused_result)) int webhook_signature_sign(const char *secrets, int64_t timestamp, const void *body,
                                                               size_t length, char out[WEBHOOK_SIGNATURE_SIZE]);

/*
 * Checks header (NULL when absent) against body, any of the secrets, and
 * now (unix seconds) within tolerance_seconds, and sets *verdict. A
 * signature that matches no secret is MISMATCH whatever its time; with no
 * secret, nothing matches. Returns 0, or -ENOMEM (*verdict untouched).
 */
__attribute__((warn_unused_result)) int webhook_signature_verify(const char *secrets, const char *header, int64_t now,
                                                                 int64_t tolerance_seconds, const void *body,
                                                                 size_t length,
                                                                 enum webhook_signature_verdict *verdict);

/* A sentence for the verdict's error message, e.g. "The X-Valuation-Signature header is missing". */
const char *webhook_signature_verdict_text(enum webhook_signature_verdict verdict);

#endif
