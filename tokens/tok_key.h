/*
 * tok_key.h - JOSE signing and verification keys over OpenSSL EVP_PKEY.
 *
 * A struct tok_key is one key bound to exactly one JWS algorithm from a fixed allowlist
 * (RS256, PS256, ES256, EdDSA/Ed25519): the algorithm is decided when the key is made
 * and never taken from a token. Every constructor refuses a key whose type does not fit
 * its algorithm: RSA must be 2048..8192 bits with an odd public exponent >= 3 and not
 * carry the ROCA fingerprint, EC must be a valid P-256 point, OKP must be Ed25519.
 *
 * Ownership: constructors give the caller a new key (*out), freed with tok_key_free(),
 * which NULLs the caller's pointer. Strings returned by accessors (tok_alg_name,
 * tok_key_kid) are borrowed and live as long as the key. tok_key_to_pem() returns a
 * malloc'd buffer that may hold a private key: the caller wipes and frees it with
 * cx_free_str(). JSON objects returned (json_t **) belong to the caller (json_decref).
 * Private key bytes are never printed or logged.
 */
#ifndef TOK_KEY_H
#define TOK_KEY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "eid_err.h"

enum tok_alg { TOK_ALG_NONE_ = 0, TOK_ALG_RS256, TOK_ALG_PS256, TOK_ALG_ES256, TOK_ALG_EDDSA };

/* Largest PEM text tok_key_from_pem() reads (an 8192-bit RSA PKCS#8 key fits). */
#define TOK_KEY_PEM_MAX_BYTES   (16 * 1024)
/* Largest signature any supported algorithm makes (RSA 8192). */
#define TOK_SIG_MAX_BYTES       1024

/* "RS256", "PS256", "ES256", "EdDSA"; "?" for anything else. */
const char *tok_alg_name(enum tok_alg alg);
/* EID_ERR_ALG_NOT_ALLOWED for anything but the four names (incl. "none", "HS256"). */
int tok_alg_from_name(const char *name, enum tok_alg *out) EID_WARN_UNUSED;

struct tok_key;

/* A fresh key pair: RSA 2048 for RS256/PS256, P-256 for ES256, Ed25519 for EdDSA. */
int tok_key_generate(enum tok_alg alg, struct tok_key **out) EID_WARN_UNUSED;
/*
 * An unencrypted PKCS#8 private key ("BEGIN PRIVATE KEY") or an SPKI public key
 * ("BEGIN PUBLIC KEY"), at most TOK_KEY_PEM_MAX_BYTES; other PEM types are refused.
 */
int tok_key_from_pem(const char *pem, size_t len, enum tok_alg alg, struct tok_key **out)
    EID_WARN_UNUSED;
/* PKCS#8 private PEM if the key has a private part, else SPKI. Caller: cx_free_str(). */
int tok_key_to_pem(const struct tok_key *key, char **pem, size_t *len) EID_WARN_UNUSED;
/*
 * A public JWK: RSA (n, e), EC P-256 (x, y), OKP Ed25519 (x). The algorithm is the "alg"
 * member when present (checked against kty/crv) or RS256/ES256/EdDSA from kty/crv.
 * Results: EID_ERR_ALG_NOT_ALLOWED for an "alg" outside the allowlist, EID_ERR_UNSUPPORTED
 * for a kty or crv we do not handle, EID_ERR_JWK for a malformed or inconsistent JWK or
 * one with private members ("d", "p", "q", "dp", "dq", "qi", "oth", "k"), EID_ERR_KEY for
 * a key that does not pass the checks above. "kid" (a string) is kept when present.
 */
int tok_key_from_jwk(const json_t *jwk, struct tok_key **out) EID_WARN_UNUSED;
/* {"kty",..., "kid", "alg", "use":"sig"}: public members only. */
int tok_key_public_jwk(const struct tok_key *key, json_t **out) EID_WARN_UNUSED;
/* RFC 7638 thumbprint (SHA-256, base64url) unless a kid was set or read from a JWK. */
const char *tok_key_kid(const struct tok_key *key);
/* 1..255 printable ASCII characters. */
int tok_key_set_kid(struct tok_key *key, const char *kid) EID_WARN_UNUSED;
/* The RFC 7638 thumbprint whatever the kid is (out: 44 bytes incl. NUL). */
int tok_key_thumbprint(const struct tok_key *key, char *out, size_t outsz) EID_WARN_UNUSED;
enum tok_alg tok_key_alg(const struct tok_key *key);
int tok_key_has_private(const struct tok_key *key);
void tok_key_free(struct tok_key **key);

/*
 * The signature primitives under JWS, on raw bytes (JWS signature encodings: RSA
 * big-endian of modulus length, ECDSA raw r||s of 64 bytes, Ed25519 64 bytes).
 * tok_sig_verify: 0 only for a valid signature by key under alg; alg must equal the
 * key's algorithm (else EID_ERR_ALG_NOT_ALLOWED); EID_ERR_BAD_SIGNATURE otherwise.
 * tok_sig_sign: needs a private key; *sig is malloc'd (caller frees), at most
 * TOK_SIG_MAX_BYTES.
 */
int tok_sig_verify(enum tok_alg alg, const struct tok_key *key, const void *msg, size_t len,
    const void *sig, size_t siglen) EID_WARN_UNUSED;
int tok_sig_sign(const struct tok_key *key, const void *msg, size_t len, uint8_t **sig,
    size_t *siglen) EID_WARN_UNUSED;

#endif /* TOK_KEY_H */
