/*
 * valuation_keys - where the valuation service keeps its pending callbacks
 * in Redis. The valuation service writes them (callback_queue); the
 * loan-processor's console only reads them, to show what is about to be
 * sent. One hash tag, so the keys share a Redis Cluster slot.
 *
 *   {valuation-service}:due            sorted set: callback id -> due time (Redis clock, ms)
 *   {valuation-service}:in-flight      sorted set: callback id -> lease expiry (ms)
 *   {valuation-service}:callback:<id>  hash: url, body, attempts, created, lease
 *   {valuation-service}:failed         list: the last callbacks given up on (JSON), newest first
 *
 * A callback's id is "<reference>:<copy>": the valuationReference (cut to
 * VALUATION_KEYS_REFERENCE_IN_ID characters) and 1, or 2 for the second
 * copy of a duplicated callback.
 */
#ifndef VALUATION_KEYS_H
#define VALUATION_KEYS_H

#define VALUATION_KEYS_DUE "{valuation-service}:due"
#define VALUATION_KEYS_IN_FLIGHT "{valuation-service}:in-flight"
#define VALUATION_KEYS_FAILED "{valuation-service}:failed"
#define VALUATION_KEYS_CALLBACK_PREFIX "{valuation-service}:callback:"
/* Most characters of the reference kept in a callback's id. */
#define VALUATION_KEYS_REFERENCE_IN_ID 40
/* printf format of a callback's id, from the reference and the copy number. */
#define VALUATION_KEYS_CALLBACK_ID_FORMAT "%.40s:%d"
/* Most copies of one callback (the "Duplicate response" scenario sends two). */
#define VALUATION_KEYS_MAX_COPIES 2

#endif
