/*
 * cx_util.h - small security primitives every layer uses.
 *
 * Equality of secrets is constant-time and checks the length first (the length of a
 * secret is not secret here: codes, tokens and MACs have fixed lengths). Randomness
 * comes only from libsodium's CSPRNG. Base64 encoders write into caller buffers sized
 * with the _LEN macros and never read past the given input length.
 */
#ifndef CX_UTIL_H
#define CX_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "eid_err.h"

/* Must be called once in main() before threads start; non-zero means fatal. */
int cx_init(void) EID_WARN_UNUSED;

/* 1 if the two byte strings are equal (constant time in their content), else 0. */
int cx_ct_equal(const void *a, size_t alen, const void *b, size_t blen) EID_WARN_UNUSED;
/* Same for NUL-terminated strings (NULL never equals anything). */
int cx_ct_streq(const char *a, const char *b) EID_WARN_UNUSED;

void cx_wipe(void *p, size_t n);
/* Wipe and free a NUL-terminated string; NULL is fine. */
void cx_free_str(char *s);

/* n bytes from the CSPRNG (cx_rand.c: per-thread ChaCha20 with fast key erasure, keyed
 * from the kernel, rekeyed after a fork). */
void cx_random(void *buf, size_t n);

/* SHA-256 of in (cx_digest.c: OpenSSL's implementation, looked up once). */
int cx_sha256(uint8_t out[32], const void *in, size_t len) EID_WARN_UNUSED;
/* n random bytes encoded base64url without padding into out (size >= CX_B64URL_LEN(n)). */
void cx_random_token(char *out, size_t outsz, size_t n);

/* Encoded length of n bytes including the NUL terminator. */
#define CX_B64URL_LEN(n) ((((n) * 4) + 2) / 3 + 1)
#define CX_B64_LEN(n) ((((n) + 2) / 3) * 4 + 1)

/* base64url without padding (JOSE) and standard base64 with padding. */
int cx_b64url_encode(char *out, size_t outsz, const void *in, size_t inlen) EID_WARN_UNUSED;
int cx_b64_encode(char *out, size_t outsz, const void *in, size_t inlen) EID_WARN_UNUSED;
/*
 * Decoders: strict (no whitespace, no mixing of alphabets, padding exactly as the
 * variant requires). *outlen gets the decoded length; fails with EID_ERR_TOO_LARGE if
 * outsz is too small and EID_ERR_ENCODING on any bad character.
 */
int cx_b64url_decode(uint8_t *out, size_t outsz, size_t *outlen,
    const char *in, size_t inlen) EID_WARN_UNUSED;
int cx_b64_decode(uint8_t *out, size_t outsz, size_t *outlen,
    const char *in, size_t inlen) EID_WARN_UNUSED;
/* Decode into a fresh malloc'd buffer of at most maxlen bytes. Caller frees. */
int cx_b64url_decode_alloc(uint8_t **out, size_t *outlen, const char *in, size_t inlen,
    size_t maxlen) EID_WARN_UNUSED;
int cx_b64_decode_alloc(uint8_t **out, size_t *outlen, const char *in, size_t inlen,
    size_t maxlen) EID_WARN_UNUSED;

/* Lower-case hex of n bytes into out (size >= 2n+1). */
void cx_hex_encode(char *out, const void *in, size_t n);

#endif /* CX_UTIL_H */
