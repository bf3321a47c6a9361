/* card_aa.c - Active Authentication signature verification (see card_aa.h). */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "cx_util.h"
#include "card_aa.h"

#define AA_MAX_MODULUS_BYTES 1024       /* 8192-bit RSA */

const EVP_MD *
card_aa_hash_from_oid(const char *oid)
{
	static const struct {
		const char *oid;
		const char *md;
	} map[] = {
		{ "0.4.0.127.0.7.1.1.4.1.2", "SHA224" },
		{ "0.4.0.127.0.7.1.1.4.1.3", "SHA256" },
		{ "0.4.0.127.0.7.1.1.4.1.4", "SHA384" },
		{ "0.4.0.127.0.7.1.1.4.1.5", "SHA512" },
	};
	size_t i;

	for (i = 0; oid != NULL && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(oid, map[i].oid) == 0)
			return EVP_get_digestbyname(map[i].md);
	return NULL;
}

static const EVP_MD *
md_from_trailer_id(uint8_t id)
{
	switch (id) {
	case 0x33:
		return EVP_sha1();
	case 0x38:
		return EVP_sha224();
	case 0x34:
		return EVP_sha256();
	case 0x36:
		return EVP_sha384();
	case 0x35:
		return EVP_sha512();
	default:
		return NULL;
	}
}

static int
aa_rsa(EVP_PKEY *pub, const uint8_t *ch, size_t chlen, const uint8_t *sig, size_t siglen)
{
	EVP_PKEY_CTX *pctx = NULL;
	EVP_MD_CTX *mctx = NULL;
	BIGNUM *n = NULL, *f = NULL;
	uint8_t *buf = NULL;
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hlen = 0;
	const EVP_MD *md;
	size_t k, flen, t, mdlen, m1len;
	int r = EID_ERR_ACTIVE_AUTH;

	if ((k = (size_t)EVP_PKEY_get_size(pub)) == 0 || k > AA_MAX_MODULUS_BYTES)
		return EID_ERR_KEY;
	if (siglen != k)
		return EID_ERR_ACTIVE_AUTH;
	if ((buf = calloc(1, k)) == NULL)
		return EID_ERR_NOMEM;
	/* raw RSA: F = s^e mod n (OpenSSL rejects s >= n) */
	flen = k;
	if ((pctx = EVP_PKEY_CTX_new(pub, NULL)) == NULL ||
	    EVP_PKEY_verify_recover_init(pctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_NO_PADDING) != 1)
		goto out;
	if (EVP_PKEY_verify_recover(pctx, buf, &flen, sig, siglen) != 1 || flen != k)
		goto out;
	if ((buf[k - 1] & 0x0F) != 0x0C) {
		/* F mod 16 != 12: the chip sent n - F (ISO 9796-2 allows either) */
		if (EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
		    (f = BN_bin2bn(buf, (int)k, NULL)) == NULL || !BN_sub(f, n, f) ||
		    BN_bn2binpad(f, buf, (int)k) != (int)k)
			goto out;
	}
	if (buf[0] != 0x6A)
		goto out;
	if (buf[k - 1] == 0xBC) {
		md = EVP_sha1();
		t = 1;
	} else if (buf[k - 1] == 0xCC) {
		md = md_from_trailer_id(buf[k - 2]);
		t = 2;
	} else {
		goto out;
	}
	if (md == NULL)
		goto out;
	mdlen = (size_t)EVP_MD_get_size(md);
	if (k < 1 + mdlen + t + 1)
		goto out;
	m1len = k - 1 - mdlen - t;
	if ((mctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(mctx, md, NULL) != 1 ||
	    EVP_DigestUpdate(mctx, buf + 1, m1len) != 1 ||
	    EVP_DigestUpdate(mctx, ch, chlen) != 1 ||
	    EVP_DigestFinal_ex(mctx, h, &hlen) != 1 || hlen != mdlen)
		goto out;
	if (cx_ct_equal(h, hlen, buf + 1 + m1len, mdlen))
		r = 0;
out:
	ERR_clear_error();
	cx_wipe(h, sizeof(h));
	cx_wipe(buf, k);
	free(buf);
	BN_clear_free(f);
	BN_free(n);
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_CTX_free(pctx);
	return r;
}

static int
aa_ecdsa(EVP_PKEY *pub, const uint8_t *ch, size_t chlen, const uint8_t *sig,
    size_t siglen, const EVP_MD *md)
{
	EVP_MD_CTX *mctx = NULL;
	ECDSA_SIG *es = NULL;
	BIGNUM *br = NULL, *bs = NULL;
	unsigned char *der = NULL;
	const unsigned char *dsig;
	int bits, derlen = 0, r = EID_ERR_ACTIVE_AUTH;
	size_t olen, dlen;

	if ((bits = EVP_PKEY_get_bits(pub)) <= 0 || bits > 1024)
		return EID_ERR_KEY;
	olen = ((size_t)bits + 7) / 8;
	if (md == NULL)
		md = bits <= 224 ? EVP_sha224() : bits <= 256 ? EVP_sha256() :
		    bits <= 384 ? EVP_sha384() : EVP_sha512();
	if (siglen == 2 * olen) {
		/* plain r || s -> DER for OpenSSL */
		if ((es = ECDSA_SIG_new()) == NULL ||
		    (br = BN_bin2bn(sig, (int)olen, NULL)) == NULL ||
		    (bs = BN_bin2bn(sig + olen, (int)olen, NULL)) == NULL ||
		    ECDSA_SIG_set0(es, br, bs) != 1)
			goto out;
		br = bs = NULL;
		if ((derlen = i2d_ECDSA_SIG(es, &der)) <= 0)
			goto out;
		dsig = der;
		dlen = (size_t)derlen;
	} else if (siglen > 2 && sig[0] == 0x30) {
		dsig = sig;
		dlen = siglen;
	} else {
		goto out;
	}
	if ((mctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(mctx, NULL, md, NULL, pub) != 1)
		goto out;
	if (EVP_DigestVerify(mctx, dsig, dlen, ch, chlen) == 1)
		r = 0;
out:
	ERR_clear_error();
	OPENSSL_free(der);
	BN_free(br);
	BN_free(bs);
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(mctx);
	return r;
}

int
card_aa_verify(EVP_PKEY *pub, const uint8_t *challenge, size_t challenge_len,
    const uint8_t *sig, size_t sig_len, const EVP_MD *md)
{
	if (pub == NULL || challenge == NULL || sig == NULL || sig_len == 0)
		return EID_ERR_INVALID_ARGUMENT;
	if (challenge_len != CARD_AA_CHALLENGE_LEN)
		return EID_ERR_INVALID_ARGUMENT;
	switch (EVP_PKEY_get_base_id(pub)) {
	case EVP_PKEY_RSA:
		return aa_rsa(pub, challenge, challenge_len, sig, sig_len);
	case EVP_PKEY_EC:
		return aa_ecdsa(pub, challenge, challenge_len, sig, sig_len, md);
	default:
		return EID_ERR_UNSUPPORTED;
	}
}
