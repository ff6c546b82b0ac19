/*
 * test_digest.c - unit tests for common/digest.c: the standard test vectors
 * (RFC 1321 for MD5, the NIST FIPS 180 examples for SHA), and messages whose
 * lengths sit on either side of every padding boundary.
 */
#include "digest.h"
#include "test.h"

#include <errno.h>
#include <stdlib.h>

static const char *const algorithm_names[] = { "MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512" };

/* Hashes text with algorithm and compares the hex digest with expected. */
static void check_hex(enum digest_algorithm algorithm, const char *text, size_t length, const char *expected)
{
    char hex[DIGEST_MAX_HEX_SIZE];

    memset(hex, '#', sizeof hex);
    digest_hex(algorithm, text, length, hex);
    if (strcmp(expected, hex) != 0)
        printf("# %s of %zu bytes\n", algorithm_names[algorithm], length);
    ASSERT_EQ_STR(expected, hex);
}

static void check_text(enum digest_algorithm algorithm, const char *text, const char *expected)
{
    check_hex(algorithm, text, strlen(text), expected);
}

static void test_rfc1321_md5_suite(void)
{
    check_text(DIGEST_MD5, "", "d41d8cd98f00b204e9800998ecf8427e");
    check_text(DIGEST_MD5, "a", "0cc175b9c0f1b6a831c399e269772661");
    check_text(DIGEST_MD5, "abc", "900150983cd24fb0d6963f7d28e17f72");
    check_text(DIGEST_MD5, "message digest", "f96b697d7cb7938d525a2f31aaf161d0");
    check_text(DIGEST_MD5, "abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b");
    check_text(DIGEST_MD5, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
               "d174ab98d277d9f5a5611c2c9f419d9f");
    check_text(DIGEST_MD5, "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
               "57edf4a22be3c955ac49da2e2107b67a");
}

static void test_sha1_vectors(void)
{
    check_text(DIGEST_SHA1, "", "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    check_text(DIGEST_SHA1, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d");
    check_text(DIGEST_SHA1, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
               "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

static void test_sha256_vectors(void)
{
    check_text(DIGEST_SHA256, "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_text(DIGEST_SHA256, "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    check_text(DIGEST_SHA256, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
               "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static const char two_block_message_896[] =
    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

static void test_sha384_vectors(void)
{
    check_text(DIGEST_SHA384, "",
               "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b");
    check_text(DIGEST_SHA384, "abc",
               "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7");
    check_text(DIGEST_SHA384, two_block_message_896,
               "09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712fcc7c71a557e2db966c3e9fa91746039");
}

static void test_sha512_vectors(void)
{
    check_text(DIGEST_SHA512, "",
               "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
               "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
    check_text(DIGEST_SHA512, "abc",
               "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
               "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
    check_text(DIGEST_SHA512, two_block_message_896,
               "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
               "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909");
}

/* The NIST "one million repetitions of 'a'" vector, for every algorithm. */
static void test_one_million_a(void)
{
    static const char *const expected[] = {
        "7707d6ae4e027c70eea2a935c2296f21",
        "34aa973cd4c4daa4f61eeb2bdbad27316534016f",
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
        "9d0e1809716474cb086e834e310a4a1ced149e9c00f248527972cec5704c2a5b07b8b3dc38ecc4ebae97ddd87f3d8985",
        "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
        "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b",
    };
    size_t length = 1000000;
    char *message = malloc(length);

    ASSERT_NOT_NULL(message);
    memset(message, 'a', length);
    for (int algorithm = DIGEST_MD5; algorithm <= DIGEST_SHA512; algorithm++)
        check_hex((enum digest_algorithm)algorithm, message, length, expected[algorithm]);
    free(message);
}

/*
 * Lengths around the padding boundaries: 55/56 and 63/64 bytes for the
 * 64-byte blocks, 111/112 and 127/128 for the 128-byte ones. The message is
 * byte i = 7i + 3; expected prefixes from Python's hashlib.
 */
static void test_padding_boundaries(void)
{
    static const struct {
        size_t length;
        const char *prefixes[5];
    } cases[] = {
        { 55, { "52c0e574e1198de5", "ddf57317ef34bfee", "e7313d333c272e63", "fc2728f452750d08", "14fd424b1fcadee6" } },
        { 56, { "46c9907fc908ee68", "a0d492bb0fc889d0", "4324d65f3c103567", "6c969a865f38d2ea", "480fa85be41ef55a" } },
        { 63, { "a62f6d59e8378676", "c55856749bef509b", "81c80242132f230c", "be67a9a1162c1d97", "ecd42a703a4e93e1" } },
        { 64, { "7160b8fb5e9e4023", "bede92be29c3874e", "39e3d7b6b5d075d3", "99d26430f561864c", "8f3cc30b3fb5bf96" } },
        { 111, { "13f00cb15f0c3fe5", "4a01b1272627e5be", "67d9492e628fd376", "341388a9dc227507", "68cffa6d0d76f309" } },
        { 112, { "5fe6a9f76b541ec6", "54c08c2a0ed21de2", "96b928cff8528dbb", "619cc5d06138526d", "d0865c524d1dddf7" } },
        { 119, { "e84905d4214f4d1c", "504e27376a6e0f0d", "9ce7368e4daf3234", "9c284d266fc91c33", "236bdd7f38a611b5" } },
        { 120, { "e3eb5a6c8669ea01", "82134b02fb3f7024", "7836b787757e95e5", "96faef865acb7c55", "4bd16fefaa35cc2d" } },
        { 127, { "acce2474d6cc8302", "34d5e582029e9b9b", "a8d23e75d936f303", "f8234ab81f5f9641", "e0b6a20f1c0c8897" } },
        { 128, { "10b2da1a82f16d99", "a09133e6730ffe89", "d2742f1f4ac6bb7c", "e8480e9c4dd90f88", "99b16f17aa0b969a" } },
        { 129, { "03fefbbcebe2959c", "808aea332ce36754", "307f8fc2c1622b92", "4301733877648746", "a1556e29185778aa" } },
    };
    unsigned char message[129];
    char hex[DIGEST_MAX_HEX_SIZE];

    for (size_t i = 0; i < sizeof message; i++)
        message[i] = (unsigned char)(i * 7 + 3);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (int algorithm = DIGEST_MD5; algorithm <= DIGEST_SHA512; algorithm++) {
            digest_hex((enum digest_algorithm)algorithm, message, cases[c].length, hex);
            if (strncmp(cases[c].prefixes[algorithm], hex, 16) != 0)
                printf("# %s of %zu bytes: %s\n", algorithm_names[algorithm], cases[c].length, hex);
            ASSERT_TRUE(strncmp(cases[c].prefixes[algorithm], hex, 16) == 0);
        }
    }
}

static void test_raw_digest_and_sizes(void)
{
    static const size_t sizes[] = { 16, 20, 32, 48, 64 };
    unsigned char raw[DIGEST_MAX_SIZE];

    for (int algorithm = DIGEST_MD5; algorithm <= DIGEST_SHA512; algorithm++)
        ASSERT_EQ_INT(sizes[algorithm], digest_size((enum digest_algorithm)algorithm));
    digest_compute(DIGEST_SHA1, "abc", 3, raw);
    ASSERT_EQ_INT(0xa9, raw[0]);
    ASSERT_EQ_INT(0x9d, raw[19]);
}

static void test_algorithm_names(void)
{
    enum digest_algorithm algorithm = DIGEST_SHA512;

    for (int expected = DIGEST_MD5; expected <= DIGEST_SHA512; expected++) {
        ASSERT_EQ_INT(0, digest_algorithm_from_name(algorithm_names[expected], &algorithm));
        ASSERT_EQ_INT(expected, algorithm);
    }
    ASSERT_EQ_INT(-EINVAL, digest_algorithm_from_name("sha-256", &algorithm));
    ASSERT_EQ_INT(-EINVAL, digest_algorithm_from_name("SHA256", &algorithm));
    ASSERT_EQ_INT(-EINVAL, digest_algorithm_from_name("SHA-224", &algorithm));
    ASSERT_EQ_INT(-EINVAL, digest_algorithm_from_name("", &algorithm));
    ASSERT_EQ_INT(-EINVAL, digest_algorithm_from_name(NULL, &algorithm));
    ASSERT_EQ_INT(DIGEST_SHA512, algorithm);
}

/* Hex of the HMAC of data under key; the first size bytes are compared (RFC 4231 case 5 is truncated). */
static void check_hmac(enum digest_algorithm algorithm, const void *key, size_t key_length, const void *data,
                       size_t length, const char *expected)
{
    static const char hex_digits[] = "0123456789abcdef";
    unsigned char raw[DIGEST_MAX_SIZE];
    char hex[DIGEST_MAX_HEX_SIZE] = "";
    size_t size = strlen(expected) / 2;

    digest_hmac(algorithm, key, key_length, data, length, raw);
    for (size_t i = 0; i < size; i++) {
        hex[2 * i] = hex_digits[raw[i] >> 4];
        hex[2 * i + 1] = hex_digits[raw[i] & 15];
    }
    hex[2 * size] = '\0';
    ASSERT_EQ_STR(expected, hex);
}

/* RFC 4231, test cases 1 to 7, HMAC-SHA-256 (and the first bytes of HMAC-SHA-512). */
static void test_rfc4231_hmac_sha256(void)
{
    unsigned char key[131], data[50];
    static const char large_key_text[] = "Test Using Larger Than Block-Size Key - Hash Key First";
    static const char large_both_text[] =
        "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be "
        "hashed before being used by the HMAC algorithm.";

    memset(key, 0x0b, 20);
    check_hmac(DIGEST_SHA256, key, 20, "Hi There", 8,
               "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    check_hmac(DIGEST_SHA512, key, 20, "Hi There", 8, "87aa7cdea5ef619d4ff0b4241a1d6cb0");
    check_hmac(DIGEST_SHA256, "Jefe", 4, "what do ya want for nothing?", 28,
               "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    memset(key, 0xaa, 20);
    memset(data, 0xdd, 50);
    check_hmac(DIGEST_SHA256, key, 20, data, 50, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
    for (int i = 0; i < 25; i++)
        key[i] = (unsigned char)(i + 1);
    memset(data, 0xcd, 50);
    check_hmac(DIGEST_SHA256, key, 25, data, 50, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
    memset(key, 0x0c, 20);
    check_hmac(DIGEST_SHA256, key, 20, "Test With Truncation", 20, "a3b6167473100ee06e0c796c2955552b");
    memset(key, 0xaa, 131);
    check_hmac(DIGEST_SHA256, key, 131, large_key_text, strlen(large_key_text),
               "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    check_hmac(DIGEST_SHA256, key, 131, large_both_text, strlen(large_both_text),
               "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
    check_hmac(DIGEST_SHA512, key, 131, large_both_text, strlen(large_both_text), "e37b6a775dc87dbaa4dfa9f96e5e3ffd");
}

int main(void)
{
    RUN(test_rfc1321_md5_suite);
    RUN(test_sha1_vectors);
    RUN(test_sha256_vectors);
    RUN(test_sha384_vectors);
    RUN(test_sha512_vectors);
    RUN(test_one_million_a);
    RUN(test_padding_boundaries);
    RUN(test_raw_digest_and_sizes);
    RUN(test_algorithm_names);
    RUN(test_rfc4231_hmac_sha256);
    return test_done();
}
