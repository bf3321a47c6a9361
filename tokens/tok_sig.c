/*
 * tok_sig.c - the JWS signature primitives (RFC 7518 section 3) under tok_sig_sign()
 * and tok_sig_verify() (declared in tok_key.h).
 *
 * RS256: RSASSA-PKCS1-v1_5 with SHA-256. PS256: RSASSA-PSS, SHA-256, MGF1-SHA-256, salt
 * length exactly 32. ES256: ECDSA P-256 SHA-256 with the signature as raw r||s (32 + 32
 * bytes), converted to and from DER here. EdDSA: pure Ed25519 (no pre-hash).
 * Signature lengths are checked exactly before OpenSSL sees them.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "tok_key.h"
#include "tok_util.h"

#define ES256_HALF 32

/* The order n of the P-256 group (FIPS 186-4 D.1.2.3), big-endian. */
static const uint8_t p256_order[ES256_HALF] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

/* 1 if the 32-byte big-endian integer v is in [1, n-1]. Public values: plain compares. */
static int
es256_scalar_ok(const uint8_t *v)
{
	static const uint8_t zero[ES256_HALF];

	return memcmp(v, zero, ES256_HALF) != 0 && memcmp(v, p256_order, ES256_HALF) < 0;
}

/* Raw r||s into a DER ECDSA-Sig-Value; *der is OpenSSL-allocated (OPENSSL_free). */
static int
es256_raw_to_der(const uint8_t *raw, uint8_t **der, int *derlen)
{
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	int ret = EID_ERR_NOMEM;

	*der = NULL;
	if (!es256_scalar_ok(raw) || !es256_scalar_ok(raw + ES256_HALF))
		return EID_ERR_BAD_SIGNATURE;
	if ((es = ECDSA_SIG_new()) == NULL ||
	    (r = BN_bin2bn(raw, ES256_HALF, NULL)) == NULL ||
	    (s = BN_bin2bn(raw + ES256_HALF, ES256_HALF, NULL)) == NULL ||
	    ECDSA_SIG_set0(es, r, s) != 1)
		goto out;
	r = s = NULL;           /* owned by es now */
	if ((*derlen = i2d_ECDSA_SIG(es, der)) <= 0) {
		*der = NULL;
		goto out;
	}
	ret = 0;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return ret;
}

/* DER ECDSA-Sig-Value into raw r||s (64 bytes). */
static int
es256_der_to_raw(const uint8_t *der, size_t derlen, uint8_t *raw)
{
	const uint8_t *p = der;
	ECDSA_SIG *es = NULL;
	const BIGNUM *r, *s;
	int ret = EID_ERR_CRYPTO;

	if ((es = d2i_ECDSA_SIG(NULL, &p, (long)derlen)) == NULL)
		return EID_ERR_CRYPTO;
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, raw, ES256_HALF) == ES256_HALF &&
	    BN_bn2binpad(s, raw + ES256_HALF, ES256_HALF) == ES256_HALF)
		ret = 0;
	ECDSA_SIG_free(es);
	return ret;
}

/* Padding and digest settings for RSA algorithms (the others need none). */
static int
sig_ctx_params(EVP_PKEY_CTX *pctx, enum tok_alg alg)
{
	if (alg == TOK_ALG_RS256)
		return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0 ? 0 : EID_ERR_CRYPTO;
	if (alg == TOK_ALG_PS256)
		return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) > 0 &&
		    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) > 0 ? 0 : EID_ERR_CRYPTO;
	return 0;
}

static const EVP_MD *
sig_md(enum tok_alg alg)
{
	return alg == TOK_ALG_EDDSA ? NULL : EVP_sha256();
}

/* The exact signature length the algorithm produces with this key. */
static size_t
sig_len(enum tok_alg alg, EVP_PKEY *pkey)
{
	switch (alg) {
	case TOK_ALG_RS256:
	case TOK_ALG_PS256:
		return (size_t)EVP_PKEY_get_size(pkey);
	case TOK_ALG_ES256:
		return 2 * ES256_HALF;
	case TOK_ALG_EDDSA:
		return 64;
	default:
		return 0;
	}
}

int
tok_sig_verify(enum tok_alg alg, const struct tok_key *key, const void *msg, size_t len,
    const void *sig, size_t siglen)
{
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	EVP_PKEY *pkey;
	uint8_t *der = NULL;
	const uint8_t *s = sig;
	int derlen = 0, r;

	if (key == NULL || (msg == NULL && len > 0) || sig == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if (alg == TOK_ALG_NONE_ || alg != tok_key_alg(key))
		return EID_ERR_ALG_NOT_ALLOWED;
	pkey = tok_key_evp(key);
	if (siglen == 0 || siglen != sig_len(alg, pkey))
		return EID_ERR_BAD_SIGNATURE;
	if (alg == TOK_ALG_ES256) {
		if ((r = es256_raw_to_der(sig, &der, &derlen)) != 0)
			return r;
		s = der;
		siglen = (size_t)derlen;
	}
	r = EID_ERR_CRYPTO;
	if ((mctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(mctx, &pctx, sig_md(alg), NULL, pkey) != 1 ||
	    sig_ctx_params(pctx, alg) != 0)
		goto out;
	/* 1 is valid; 0 and negative values are both a rejection */
	r = EVP_DigestVerify(mctx, s, siglen, msg, len) == 1 ? 0 : EID_ERR_BAD_SIGNATURE;
out:
	EVP_MD_CTX_free(mctx);
	OPENSSL_free(der);
	ERR_clear_error();
	return r;
}

int
tok_sig_sign(const struct tok_key *key, const void *msg, size_t len, uint8_t **sig,
    size_t *siglen)
{
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	EVP_PKEY *pkey;
	enum tok_alg alg;
	uint8_t *buf = NULL, *raw = NULL;
	size_t n = 0;
	int r = EID_ERR_CRYPTO;

	if (key == NULL || (msg == NULL && len > 0) || sig == NULL || siglen == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	*sig = NULL;
	*siglen = 0;
	if (!tok_key_has_private(key))
		return EID_ERR_KEY;
	alg = tok_key_alg(key);
	pkey = tok_key_evp(key);
	if ((mctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(mctx, &pctx, sig_md(alg), NULL, pkey) != 1 ||
	    sig_ctx_params(pctx, alg) != 0 ||
	    EVP_DigestSign(mctx, NULL, &n, msg, len) != 1 || n == 0 || n > TOK_SIG_MAX_BYTES)
		goto out;
	if ((buf = malloc(n)) == NULL) {
		r = EID_ERR_NOMEM;
		goto out;
	}
	if (EVP_DigestSign(mctx, buf, &n, msg, len) != 1)
		goto out;
	if (alg == TOK_ALG_ES256) {
		if ((raw = malloc(2 * ES256_HALF)) == NULL) {
			r = EID_ERR_NOMEM;
			goto out;
		}
		if ((r = es256_der_to_raw(buf, n, raw)) != 0)
			goto out;
		free(buf);
		buf = raw;
		raw = NULL;
		n = 2 * ES256_HALF;
	}
	*sig = buf;
	*siglen = n;
	buf = NULL;
	r = 0;
out:
	free(buf);
	free(raw);
	EVP_MD_CTX_free(mctx);
	ERR_clear_error();
	return r;
}
