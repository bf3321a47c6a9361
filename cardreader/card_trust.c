/* card_trust.c - CSCA / master list / CRL trust store (see card_trust.h). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "cx_util.h"
#include "card_trust.h"

#define OID_CSCA_ML "2.23.136.1.1.2"

struct card_trust {
	STACK_OF(X509) *cscas;
	STACK_OF(X509_CRL) *crls;
	int require_crl;        /* policy: a DS whose CSCA has no CRL here is not trusted */
};

/* CscaMasterList ::= SEQUENCE { version INTEGER, certList SET OF Certificate } */
typedef struct {
	ASN1_INTEGER *version;
	STACK_OF(X509) *certs;
} CSCA_ML;

ASN1_SEQUENCE(CSCA_ML) = {
	ASN1_SIMPLE(CSCA_ML, version, ASN1_INTEGER),
	ASN1_SET_OF(CSCA_ML, certs, X509),
} static_ASN1_SEQUENCE_END(CSCA_ML)

int
card_trust_new(struct card_trust **out)
{
	struct card_trust *ct = NULL;

	if (out == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	*out = NULL;
	if ((ct = calloc(1, sizeof(*ct))) == NULL ||
	    (ct->cscas = sk_X509_new_null()) == NULL ||
	    (ct->crls = sk_X509_CRL_new_null()) == NULL) {
		card_trust_free(&ct);
		return EID_ERR_NOMEM;
	}
	*out = ct;
	return 0;
}

void
card_trust_free(struct card_trust **ctp)
{
	struct card_trust *ct;

	if (ctp == NULL || (ct = *ctp) == NULL)
		return;
	sk_X509_pop_free(ct->cscas, X509_free);
	sk_X509_CRL_pop_free(ct->crls, X509_CRL_free);
	free(ct);
	*ctp = NULL;
}

static int
is_pem(const uint8_t *buf, size_t len)
{
	static const char marker[] = "-----BEGIN ";
	size_t i, n = sizeof(marker) - 1;

	for (i = 0; len >= n && i <= len - n && i < 4096; i++)
		if (memcmp(buf + i, marker, n) == 0)
			return 1;
	return 0;
}

/* Takes a reference on x (the caller keeps its own). */
static int
add_x509(struct card_trust *ct, X509 *x, size_t *added)
{
	int i, n = sk_X509_num(ct->cscas);

	for (i = 0; i < n; i++)
		if (X509_cmp(sk_X509_value(ct->cscas, i), x) == 0)
			return 0;       /* already there */
	if (n >= CARD_TRUST_MAX_CERTS)
		return EID_ERR_TOO_LARGE;
	if (!X509_up_ref(x))
		return EID_ERR_INTERNAL;
	if (sk_X509_push(ct->cscas, x) <= 0) {
		X509_free(x);
		return EID_ERR_NOMEM;
	}
	if (added != NULL)
		(*added)++;
	return 0;
}

static int
add_crl(struct card_trust *ct, X509_CRL *c, size_t *added)
{
	int i, n = sk_X509_CRL_num(ct->crls);

	for (i = 0; i < n; i++)
		if (X509_CRL_match(sk_X509_CRL_value(ct->crls, i), c) == 0)
			return 0;
	if (n >= CARD_TRUST_MAX_CRLS)
		return EID_ERR_TOO_LARGE;
	if (!X509_CRL_up_ref(c))
		return EID_ERR_INTERNAL;
	if (sk_X509_CRL_push(ct->crls, c) <= 0) {
		X509_CRL_free(c);
		return EID_ERR_NOMEM;
	}
	if (added != NULL)
		(*added)++;
	return 0;
}

/* The two kinds of object certificate and CRL sources hold. */
enum trust_obj { TRUST_OBJ_CERT, TRUST_OBJ_CRL };

/* One object of kind k: DER from *p (len bytes) when bio is NULL, else the next PEM one
 * in bio. NULL when there is none. */
static void *
obj_read(enum trust_obj k, BIO *bio, const unsigned char **p, long len)
{
	if (k == TRUST_OBJ_CERT)
		return bio != NULL ? (void *)PEM_read_bio_X509(bio, NULL, NULL, NULL) :
		    (void *)d2i_X509(NULL, p, len);
	return bio != NULL ? (void *)PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL) :
	    (void *)d2i_X509_CRL(NULL, p, len);
}

static void
obj_free(enum trust_obj k, void *o)
{
	if (k == TRUST_OBJ_CERT)
		X509_free(o);
	else
		X509_CRL_free(o);
}

/* Takes a reference on o (the caller keeps its own). */
static int
obj_add(struct card_trust *ct, enum trust_obj k, void *o, size_t *added)
{
	return k == TRUST_OBJ_CERT ? add_x509(ct, o, added) : add_crl(ct, o, added);
}

/* card_trust_add_cert / _crl: one DER object, or one or more PEM ones, each added once. */
static int
add_objects(struct card_trust *ct, enum trust_obj k, const uint8_t *buf, size_t len,
    size_t *added)
{
	BIO *bio = NULL;
	void *o = NULL;
	const unsigned char *p = buf;
	int r = EID_ERR_ENCODING, n = 0;

	if (added != NULL)
		*added = 0;
	if (ct == NULL || buf == NULL || len == 0)
		return EID_ERR_INVALID_ARGUMENT;
	if (len > CARD_TRUST_MAX_FILE_BYTES)
		return EID_ERR_TOO_LARGE;
	if (!is_pem(buf, len)) {
		if ((o = obj_read(k, NULL, &p, (long)len)) == NULL || p != buf + len)
			goto out;
		r = obj_add(ct, k, o, added);
		goto out;
	}
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL) {
		r = EID_ERR_NOMEM;
		goto out;
	}
	for (;;) {
		obj_free(k, o);
		if ((o = obj_read(k, bio, NULL, 0)) == NULL)
			break;
		if ((r = obj_add(ct, k, o, added)) != 0)
			goto out;
		n++;
	}
	r = n > 0 ? 0 : EID_ERR_ENCODING;
out:
	ERR_clear_error();
	obj_free(k, o);
	BIO_free(bio);
	return r;
}

int
card_trust_add_cert(struct card_trust *ct, const uint8_t *buf, size_t len, size_t *added)
{
	return add_objects(ct, TRUST_OBJ_CERT, buf, len, added);
}

int
card_trust_add_crl(struct card_trust *ct, const uint8_t *buf, size_t len, size_t *added)
{
	return add_objects(ct, TRUST_OBJ_CRL, buf, len, added);
}

int
card_trust_verify_cb(int ok, X509_STORE_CTX *ctx)
{
	if (ok)
		return ok;
	switch (X509_STORE_CTX_get_error(ctx)) {
	case X509_V_ERR_EC_KEY_EXPLICIT_PARAMS:
		/* ICAO 9303-12 mandates explicit parameters; the key is bound by the
		 * issuer's signature like any other key */
	case X509_V_ERR_UNABLE_TO_GET_CRL:
		/* no CRL loaded for this CSCA: revocation is checked only where known */
		X509_STORE_CTX_set_error(ctx, X509_V_OK);
		return 1;
	default:
		return 0;
	}
}

X509_STORE *
card_trust_store_new(const struct card_trust *ct)
{
	X509_STORE *st = NULL;
	int i;

	if (ct == NULL || (st = X509_STORE_new()) == NULL)
		return NULL;
	for (i = 0; i < sk_X509_num(ct->cscas); i++)
		if (!X509_STORE_add_cert(st, sk_X509_value(ct->cscas, i)))
			goto fail;
	for (i = 0; i < sk_X509_CRL_num(ct->crls); i++)
		if (!X509_STORE_add_crl(st, sk_X509_CRL_value(ct->crls, i)))
			goto fail;
	return st;
fail:
	X509_STORE_free(st);
	return NULL;
}

/* Verify signer against anchors (STACK) at time at (0 = no time check). */
static int
ml_signer_trusted(X509 *signer, STACK_OF(X509) *anchors, STACK_OF(X509) *untrusted,
    time_t at)
{
	X509_STORE *st = NULL;
	X509_STORE_CTX *ctx = NULL;
	int i, r = EID_ERR_TRUST;

	if ((st = X509_STORE_new()) == NULL || (ctx = X509_STORE_CTX_new()) == NULL) {
		r = EID_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < sk_X509_num(anchors); i++)
		if (!X509_STORE_add_cert(st, sk_X509_value(anchors, i)))
			goto out;
	X509_STORE_set_verify_cb(st, card_trust_verify_cb);
	if (!X509_STORE_CTX_init(ctx, st, signer, untrusted))
		goto out;
	if (at == 0)
		X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME);
	else
		X509_STORE_CTX_set_time(ctx, 0, at);
	/* ML signer certificates carry no EKU that OpenSSL knows; check only the chain */
	if (X509_verify_cert(ctx) == 1)
		r = 0;
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return r;
}

int
card_trust_add_masterlist(struct card_trust *ct, const uint8_t *buf, size_t len,
    enum card_trust_ml_mode mode, time_t at, size_t *added)
{
	CMS_ContentInfo *cms = NULL;
	STACK_OF(X509) *signers = NULL, *inter = NULL;
	STACK_OF(CMS_SignerInfo) *sis;
	CSCA_ML *ml = NULL;
	BIO *bio = NULL;
	ASN1_OCTET_STRING **pos;
	const unsigned char *p = buf;
	char oid[64];
	int i, r = EID_ERR_ENCODING;
	int64_t ver;

	if (added != NULL)
		*added = 0;
	if (ct == NULL || buf == NULL || len == 0)
		return EID_ERR_INVALID_ARGUMENT;
	if (len > CARD_TRUST_MAX_FILE_BYTES)
		return EID_ERR_TOO_LARGE;
	if (is_pem(buf, len)) {
		if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL) {
			r = EID_ERR_NOMEM;
			goto out;
		}
		if ((cms = PEM_read_bio_CMS(bio, NULL, NULL, NULL)) == NULL)
			goto out;
	} else if ((cms = d2i_CMS_ContentInfo(NULL, &p, (long)len)) == NULL ||
	    p != buf + len) {
		goto out;
	}
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed ||
	    OBJ_obj2txt(oid, sizeof(oid), CMS_get0_eContentType(cms), 1) <= 0 ||
	    strcmp(oid, OID_CSCA_ML) != 0 ||
	    (pos = CMS_get0_content(cms)) == NULL || *pos == NULL)
		goto out;
	p = ASN1_STRING_get0_data(*pos);
	if ((ml = (CSCA_ML *)ASN1_item_d2i(NULL, &p, ASN1_STRING_length(*pos),
	    ASN1_ITEM_rptr(CSCA_ML))) == NULL ||
	    p != ASN1_STRING_get0_data(*pos) + ASN1_STRING_length(*pos) ||
	    ASN1_INTEGER_get_int64(&ver, ml->version) != 1 || ver != 0)
		goto out;
	if ((sis = CMS_get0_SignerInfos(cms)) == NULL || sk_CMS_SignerInfo_num(sis) != 1) {
		r = EID_ERR_TRUST;
		goto out;
	}
	/* signature and signed attributes; the signer chain is checked below */
	if (CMS_verify(cms, NULL, NULL, NULL, NULL,
	    CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1) {
		r = EID_ERR_BAD_SIGNATURE;
		goto out;
	}
	if ((signers = CMS_get0_signers(cms)) == NULL || sk_X509_num(signers) != 1) {
		r = EID_ERR_TRUST;
		goto out;
	}
	/* other certificates in the CMS (e.g. link certificates) may complete the chain */
	inter = CMS_get1_certs(cms);
	r = ml_signer_trusted(sk_X509_value(signers, 0),
	    mode == CARD_TRUST_ML_SELF_CONSISTENT ? ml->certs : ct->cscas, inter, at);
	if (r != 0)
		goto out;
	for (i = 0; i < sk_X509_num(ml->certs); i++)
		if ((r = add_x509(ct, sk_X509_value(ml->certs, i), added)) != 0)
			goto out;
	r = 0;
out:
	ERR_clear_error();
	sk_X509_free(signers);
	sk_X509_pop_free(inter, X509_free);
	ASN1_item_free((ASN1_VALUE *)ml, ASN1_ITEM_rptr(CSCA_ML));
	CMS_ContentInfo_free(cms);
	BIO_free(bio);
	return r;
}

/* Read a whole file of at most CARD_TRUST_MAX_FILE_BYTES. Caller frees *out. */
static int
read_file(const char *path, uint8_t **out, size_t *outlen)
{
	FILE *f = NULL;
	uint8_t *p = NULL;
	long n;
	int r = EID_ERR_IO;

	*out = NULL;
	*outlen = 0;
	if (path == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if ((f = fopen(path, "rb")) == NULL)
		goto out;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		goto out;
	if (n == 0 || n > CARD_TRUST_MAX_FILE_BYTES) {
		r = n == 0 ? EID_ERR_FORMAT : EID_ERR_TOO_LARGE;
		goto out;
	}
	if ((p = malloc((size_t)n)) == NULL) {
		r = EID_ERR_NOMEM;
		goto out;
	}
	if (fread(p, 1, (size_t)n, f) != (size_t)n)
		goto out;
	*out = p;
	*outlen = (size_t)n;
	p = NULL;
	r = 0;
out:
	free(p);
	if (f != NULL)
		fclose(f);
	return r;
}

/* card_trust_add_cert_file / _crl_file: the file's objects of kind k. */
static int
add_objects_file(struct card_trust *ct, enum trust_obj k, const char *path, size_t *added)
{
	uint8_t *buf = NULL;
	size_t len;
	int r;

	if (added != NULL)
		*added = 0;
	if ((r = read_file(path, &buf, &len)) == 0)
		r = add_objects(ct, k, buf, len, added);
	free(buf);
	return r;
}

int
card_trust_add_cert_file(struct card_trust *ct, const char *path, size_t *added)
{
	return add_objects_file(ct, TRUST_OBJ_CERT, path, added);
}

int
card_trust_add_crl_file(struct card_trust *ct, const char *path, size_t *added)
{
	return add_objects_file(ct, TRUST_OBJ_CRL, path, added);
}

int
card_trust_add_masterlist_file(struct card_trust *ct, const char *path,
    enum card_trust_ml_mode mode, time_t at, size_t *added)
{
	uint8_t *buf = NULL;
	size_t len;
	int r;

	if (added != NULL)
		*added = 0;
	if ((r = read_file(path, &buf, &len)) == 0)
		r = card_trust_add_masterlist(ct, buf, len, mode, at, added);
	free(buf);
	return r;
}

size_t
card_trust_count(const struct card_trust *ct)
{
	return ct != NULL ? (size_t)sk_X509_num(ct->cscas) : 0;
}

size_t
card_trust_crl_count(const struct card_trust *ct)
{
	return ct != NULL ? (size_t)sk_X509_CRL_num(ct->crls) : 0;
}

void
card_trust_set_require_crl(struct card_trust *ct, int on)
{
	if (ct != NULL)
		ct->require_crl = on != 0;
}

int
card_trust_require_crl(const struct card_trust *ct)
{
	return ct != NULL && ct->require_crl;
}

int
card_trust_entry(const struct card_trust *ct, size_t i, struct card_trust_entry *e)
{
	X509 *x;
	BIO *bio = NULL;
	BIGNUM *bn = NULL;
	char *hex = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct tm tm;
	int n, r = EID_ERR_INTERNAL;

	if (e == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	memset(e, 0, sizeof(*e));
	if (ct == NULL || i >= card_trust_count(ct))
		return EID_ERR_NOT_FOUND;
	x = sk_X509_value(ct->cscas, (int)i);
	if ((bio = BIO_new(BIO_s_mem())) == NULL) {
		r = EID_ERR_NOMEM;
		goto out;
	}
	if (X509_NAME_print_ex(bio, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) < 0)
		goto out;
	n = BIO_read(bio, e->subject, (int)sizeof(e->subject) - 1);
	e->subject[n > 0 ? n : 0] = '\0';
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL)) == NULL ||
	    (hex = BN_bn2hex(bn)) == NULL || strlen(hex) >= sizeof(e->serial))
		goto out;
	memcpy(e->serial, hex, strlen(hex) + 1);
	if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) != 1)
		goto out;
	e->not_after = timegm(&tm);
	if (strftime(e->not_after_text, sizeof(e->not_after_text), "%Y-%m-%dT%H:%M:%SZ",
	    &tm) == 0)
		goto out;
	if (X509_digest(x, EVP_sha256(), md, &mdlen) != 1 || mdlen != 32)
		goto out;
	cx_hex_encode(e->sha256, md, mdlen);
	r = 0;
out:
	if (r != 0)
		memset(e, 0, sizeof(*e));
	OPENSSL_free(hex);
	BN_free(bn);
	BIO_free(bio);
	return r;
}
