/* testpki.c - throwaway test PKI with the OpenSSL API (see testpki.h). Test code only. */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/core_names.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "tbuf.h"
#include "testpki.h"

EVP_PKEY *
tp_key_rsa(int bits)
{
	return EVP_RSA_gen((unsigned)bits);
}

EVP_PKEY *
tp_key_ec(const char *curve, int explicit_params)
{
	EVP_PKEY *pk = EVP_EC_gen(curve);

	if (pk != NULL && explicit_params &&
	    EVP_PKEY_set_utf8_string_param(pk, OSSL_PKEY_PARAM_EC_ENCODING,
	    OSSL_PKEY_EC_ENCODING_EXPLICIT) != 1) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	return pk;
}

static int
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

X509 *
tp_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, int ca,
    long serial, time_t nb, time_t na)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	int ok;

	ok = x != NULL && name != NULL && X509_set_version(x, 2) &&
	    ASN1_INTEGER_set(X509_get_serialNumber(x), serial) &&
	    X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, (const unsigned char *)"VN", -1, -1, 0) &&
	    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"eid-server test", -1, -1, 0) &&
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) &&
	    X509_set_subject_name(x, name) &&
	    X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name) &&
	    X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, &nb) != NULL &&
	    X509_time_adj_ex(X509_getm_notAfter(x), 0, 0, &na) != NULL &&
	    X509_set_pubkey(x, key);
	if (ok)
		ok = add_ext(x, issuer != NULL ? issuer : x, NID_subject_key_identifier, "hash") &&
		    add_ext(x, issuer != NULL ? issuer : x, NID_authority_key_identifier,
		    "keyid:always") &&
		    (ca ? add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") &&
		    add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") :
		    add_ext(x, x, NID_key_usage, "critical,digitalSignature"));
	if (ok)
		ok = X509_sign(x, issuer_key != NULL ? issuer_key : key, EVP_sha256()) > 0;
	X509_NAME_free(name);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

X509_CRL *
tp_crl(X509 *ca, EVP_PKEY *ca_key, X509 *const *revoked, size_t nrevoked, time_t last,
    time_t next)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t1 = ASN1_TIME_set(NULL, last), *t2 = ASN1_TIME_set(NULL, next);
	size_t i;
	int ok;

	ok = crl != NULL && t1 != NULL && t2 != NULL && X509_CRL_set_version(crl, 1) &&
	    X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)) &&
	    X509_CRL_set1_lastUpdate(crl, t1) && X509_CRL_set1_nextUpdate(crl, t2);
	for (i = 0; ok && i < nrevoked; i++) {
		X509_REVOKED *rv = X509_REVOKED_new();

		ok = rv != NULL &&
		    X509_REVOKED_set_serialNumber(rv, X509_get_serialNumber(revoked[i])) &&
		    X509_REVOKED_set_revocationDate(rv, t1) && X509_CRL_add0_revoked(crl, rv);
		if (!ok)
			X509_REVOKED_free(rv);
	}
	ok = ok && X509_CRL_sort(crl) && X509_CRL_sign(crl, ca_key, EVP_sha256()) > 0;
	ASN1_TIME_free(t1);
	ASN1_TIME_free(t2);
	if (!ok) {
		X509_CRL_free(crl);
		return NULL;
	}
	return crl;
}

static int
bio_take(BIO *b, uint8_t **out, size_t *outlen)
{
	char *p;
	long n = BIO_get_mem_data(b, &p);

	if (n <= 0 || (*out = malloc((size_t)n)) == NULL)
		return -1;
	memcpy(*out, p, (size_t)n);
	*outlen = (size_t)n;
	return 0;
}

/* CMS SignedData with the given eContentType over content; DER into *out. */
static int
sign_cms(X509 *signer, EVP_PKEY *key, const char *ctype, const uint8_t *content,
    size_t clen, const EVP_MD *md, int pss, uint8_t **out, size_t *outlen)
{
	CMS_ContentInfo *cms = NULL;
	CMS_SignerInfo *si;
	ASN1_OBJECT *obj = NULL;
	BIO *in = NULL, *der = NULL;
	unsigned flags = CMS_PARTIAL | CMS_BINARY | CMS_NOSMIMECAP;
	int r = -1;

	if ((cms = CMS_sign(NULL, NULL, NULL, NULL, flags)) == NULL ||
	    (obj = OBJ_txt2obj(ctype, 1)) == NULL || !CMS_set1_eContentType(cms, obj))
		goto out;
	if ((si = CMS_add1_signer(cms, signer, key, md,
	    flags | (pss ? CMS_KEY_PARAM : 0))) == NULL)
		goto out;
	if (pss && (EVP_PKEY_CTX_set_rsa_padding(CMS_SignerInfo_get0_pkey_ctx(si),
	    RSA_PKCS1_PSS_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(CMS_SignerInfo_get0_pkey_ctx(si),
	    RSA_PSS_SALTLEN_DIGEST) <= 0))
		goto out;
	if ((in = BIO_new_mem_buf(content, (int)clen)) == NULL ||
	    !CMS_final(cms, in, NULL, CMS_BINARY))
		goto out;
	if ((der = BIO_new(BIO_s_mem())) == NULL || !i2d_CMS_bio(der, cms))
		goto out;
	r = bio_take(der, out, outlen);
out:
	BIO_free(in);
	BIO_free(der);
	ASN1_OBJECT_free(obj);
	CMS_ContentInfo_free(cms);
	return r;
}

static void
tb_int(struct tbuf *o, long v)
{
	uint8_t b = (uint8_t)v;

	tb_tlv(o, 0x02, &b, 1);
}

int
tp_sod(X509 *ds, EVP_PKEY *ds_key, const struct card_pa_dg *dgs, size_t ndgs,
    const EVP_MD *md, int pss, uint8_t **out, size_t *outlen)
{
	static struct tbuf so, seq, list, item, alg;
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hlen;
	uint8_t *cms = NULL;
	size_t cmslen = 0, i;
	struct tbuf *wrap;
	ASN1_OBJECT *obj;
	unsigned char *oid = NULL;
	int oidlen, r = -1;

	so.n = seq.n = list.n = alg.n = 0;
	/* AlgorithmIdentifier { OID } */
	obj = OBJ_nid2obj(EVP_MD_get_type(md));
	if ((oidlen = i2d_ASN1_OBJECT(obj, &oid)) <= 0)
		return -1;
	memcpy(alg.b, oid, (size_t)oidlen);
	alg.n = (size_t)oidlen;
	OPENSSL_free(oid);
	for (i = 0; i < ndgs; i++) {
		item.n = 0;
		if (EVP_Digest(dgs[i].data, dgs[i].len, h, &hlen, md, NULL) != 1)
			return -1;
		tb_int(&item, dgs[i].dg);
		tb_tlv(&item, 0x04, h, hlen);
		tb_tlv(&list, 0x30, item.b, item.n);
	}
	tb_int(&seq, 0);
	tb_tlv(&seq, 0x30, alg.b, alg.n);
	tb_tlv(&seq, 0x30, list.b, list.n);
	tb_tlv(&so, 0x30, seq.b, seq.n);
	if (sign_cms(ds, ds_key, "2.23.136.1.1.1", so.b, so.n, md, pss, &cms, &cmslen) != 0)
		return -1;
	if ((wrap = calloc(1, sizeof(*wrap))) != NULL) {
		tb_tlv(wrap, 0x77, cms, cmslen);
		if ((*out = malloc(wrap->n)) != NULL) {
			memcpy(*out, wrap->b, wrap->n);
			*outlen = wrap->n;
			r = 0;
		}
		free(wrap);
	}
	free(cms);
	return r;
}

int
tp_masterlist(X509 *signer, EVP_PKEY *signer_key, X509 *const *certs, size_t ncerts,
    uint8_t **out, size_t *outlen)
{
	static struct tbuf set, seq, ml;
	unsigned char *d = NULL;
	size_t i;
	int n;

	set.n = seq.n = ml.n = 0;
	for (i = 0; i < ncerts; i++) {
		d = NULL;
		if ((n = i2d_X509(certs[i], &d)) <= 0)
			return -1;
		memcpy(set.b + set.n, d, (size_t)n);
		set.n += (size_t)n;
		OPENSSL_free(d);
	}
	tb_int(&seq, 0);
	tb_tlv(&seq, 0x31, set.b, set.n);
	tb_tlv(&ml, 0x30, seq.b, seq.n);
	return sign_cms(signer, signer_key, "2.23.136.1.1.2", ml.b, ml.n, EVP_sha256(), 0,
	    out, outlen);
}

int
tp_cert_der(X509 *x, uint8_t **out, size_t *outlen)
{
	unsigned char *d = NULL;
	int n = i2d_X509(x, &d);

	if (n <= 0 || (*out = malloc((size_t)n)) == NULL) {
		OPENSSL_free(d);
		return -1;
	}
	memcpy(*out, d, (size_t)n);
	*outlen = (size_t)n;
	OPENSSL_free(d);
	return 0;
}

int
tp_crl_der(X509_CRL *c, uint8_t **out, size_t *outlen)
{
	unsigned char *d = NULL;
	int n = i2d_X509_CRL(c, &d);

	if (n <= 0 || (*out = malloc((size_t)n)) == NULL) {
		OPENSSL_free(d);
		return -1;
	}
	memcpy(*out, d, (size_t)n);
	*outlen = (size_t)n;
	OPENSSL_free(d);
	return 0;
}
