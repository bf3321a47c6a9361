/* card_pa.c - passive authentication (see card_pa.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "cx_util.h"
#include "eid_limits.h"
#include "card_lds.h"
#include "card_pa.h"
#include "card_sod.h"

const char *
card_check_result_str(enum card_check_result r)
{
	switch (r) {
	case CARD_CHECK_PASS:
		return "pass";
	case CARD_CHECK_FAIL:
		return "fail";
	default:
		return "not_performed";
	}
}

static void pa_reason(struct card_pa_result *res, const char *fmt, ...) EID_PRINTF(2, 3);

static void
pa_reason(struct card_pa_result *res, const char *fmt, ...)
{
	va_list ap;

	if (res->nreasons >= CARD_PA_MAX_REASONS)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(res->reasons[res->nreasons], CARD_PA_REASON_LEN, fmt, ap);
	va_end(ap);
	res->nreasons++;
}

/* (a) the CMS signature; *ds gets the signer certificate (borrowed from cms) */
static void
check_signature(CMS_ContentInfo *cms, struct card_pa_result *res, X509 **ds)
{
	STACK_OF(CMS_SignerInfo) *sis;
	CMS_SignerInfo *si;
	X509 *signer = NULL;
	const ASN1_OBJECT *ctype;

	*ds = NULL;
	res->sod_signature = CARD_CHECK_FAIL;
	if ((sis = CMS_get0_SignerInfos(cms)) == NULL || sk_CMS_SignerInfo_num(sis) < 1) {
		pa_reason(res, "sod_signature_invalid");
		return;
	}
	if (sk_CMS_SignerInfo_num(sis) != 1) {
		pa_reason(res, "sod_multiple_signers");
		return;
	}
	si = sk_CMS_SignerInfo_value(sis, 0);
	/* attach the DS certificate from the SOD's certificates to the signer info */
	(void)CMS_set1_signers_certs(cms, NULL, 0);
	CMS_SignerInfo_get0_algs(si, NULL, &signer, NULL, NULL);
	if (signer == NULL) {
		pa_reason(res, "ds_cert_missing");
		return;
	}
	*ds = signer;
	/* ICAO 9303-10: signedAttrs carry contentType (= eContentType) and messageDigest;
	 * OpenSSL checks messageDigest and the signature, the content type is checked here */
	ctype = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_contentType), -3,
	    V_ASN1_OBJECT);
	if (CMS_signed_get_attr_count(si) <= 0 || ctype == NULL ||
	    OBJ_cmp(ctype, CMS_get0_eContentType(cms)) != 0) {
		pa_reason(res, "sod_signed_attrs_invalid");
		return;
	}
	if (CMS_verify(cms, NULL, NULL, NULL, NULL,
	    CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1) {
		pa_reason(res, "sod_signature_invalid");
		return;
	}
	res->sod_signature = CARD_CHECK_PASS;
}

static const char *
chain_reason(int err, int depth)
{
	switch (err) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return depth == 0 ? "ds_expired" : "csca_expired";
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return depth == 0 ? "ds_not_yet_valid" : "csca_not_yet_valid";
	case X509_V_ERR_CERT_REVOKED:
		return "ds_revoked";
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		return "ds_untrusted";
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
		return "ds_signature_invalid";
	case X509_V_ERR_CRL_SIGNATURE_FAILURE:
	case X509_V_ERR_CRL_HAS_EXPIRED:
	case X509_V_ERR_CRL_NOT_YET_VALID:
	case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
	case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
	case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
		return "crl_invalid";
	default:
		return NULL;
	}
}

/* 1 if the store holds a CRL issued by the DS's issuer */
static int
have_crl_for(X509_STORE *st, X509 *ds)
{
	STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(st);
	X509_CRL *crl;
	int i;

	for (i = 0; i < sk_X509_OBJECT_num(objs); i++) {
		crl = X509_OBJECT_get0_X509_CRL(sk_X509_OBJECT_value(objs, i));
		if (crl != NULL &&
		    X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_issuer_name(ds)) == 0)
			return 1;
	}
	return 0;
}

/* (b) DS certificate -> trusted CSCA */
static void
check_document_signer(CMS_ContentInfo *cms, X509 *ds, const struct card_trust *trust,
    const struct card_pa_opts *opts, struct card_pa_result *res)
{
	X509_STORE *st = NULL;
	X509_STORE_CTX *ctx = NULL;
	STACK_OF(X509) *certs = NULL;
	const char *why;
	BIO *bio = NULL;
	int n, err;

	res->document_signer = CARD_CHECK_FAIL;
	if ((bio = BIO_new(BIO_s_mem())) != NULL &&
	    X509_NAME_print_ex(bio, X509_get_subject_name(ds), 0, XN_FLAG_RFC2253) >= 0 &&
	    (n = BIO_read(bio, res->ds_subject, (int)sizeof(res->ds_subject) - 1)) > 0)
		res->ds_subject[n] = '\0';
	if (trust == NULL || card_trust_count(trust) == 0) {
		pa_reason(res, "no_trust_store");
		goto out;
	}
	if ((st = card_trust_store_new(trust)) == NULL || (ctx = X509_STORE_CTX_new()) == NULL) {
		pa_reason(res, "internal_error");
		goto out;
	}
	X509_STORE_set_verify_cb(st, card_trust_verify_cb);
	/* any other certificate in the SOD may serve as an (untrusted) intermediate */
	certs = CMS_get1_certs(cms);
	if (!X509_STORE_CTX_init(ctx, st, ds, certs)) {
		pa_reason(res, "internal_error");
		goto out;
	}
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_CRL_CHECK);
	if (opts->no_time_check)
		X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME);
	else
		X509_STORE_CTX_set_time(ctx, 0, opts->at);
	res->crl_checked = have_crl_for(st, ds);
	if (X509_verify_cert(ctx) != 1) {
		err = X509_STORE_CTX_get_error(ctx);
		if ((why = chain_reason(err, X509_STORE_CTX_get_error_depth(ctx))) != NULL)
			pa_reason(res, "%s", why);
		else
			pa_reason(res, "ds_chain_error:%d", err);
		goto out;
	}
	if ((X509_get_extension_flags(ds) & EXFLAG_KUSAGE) != 0 &&
	    (X509_get_key_usage(ds) & KU_DIGITAL_SIGNATURE) == 0) {
		pa_reason(res, "ds_key_usage");
		goto out;
	}
	if ((opts->require_crl || card_trust_require_crl(trust)) && !res->crl_checked) {
		pa_reason(res, "ds_crl_missing");
		goto out;
	}
	res->document_signer = CARD_CHECK_PASS;
out:
	sk_X509_pop_free(certs, X509_free);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	BIO_free(bio);
}

/* (c) DG hashes */
static void
check_hashes(const struct card_sod *sod, const struct card_pa_dg *dgs, size_t ndgs,
    struct card_pa_result *res)
{
	const struct card_sod_hash *h;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	uint32_t seen = 0;
	size_t i;
	int fail = 0, dg;

	if (ndgs == 0 || dgs == NULL) {
		pa_reason(res, "no_data_groups");
		return;
	}
	if (sod->md == NULL) {
		res->data_group_hashes = CARD_CHECK_FAIL;
		pa_reason(res, "hash_alg_unsupported");
		return;
	}
	for (i = 0; i < ndgs; i++) {
		dg = dgs[i].dg;
		if (dg < 1 || dg > CARD_LDS_MAX_DG || dgs[i].data == NULL || dgs[i].len == 0 ||
		    dgs[i].len > EID_DG_MAX_BYTES) {
			pa_reason(res, "dg_invalid:%d", dg);
			fail = 1;
			continue;
		}
		if ((seen & (1u << dg)) != 0) {
			pa_reason(res, "dg_duplicate:%d", dg);
			fail = 1;
			continue;
		}
		seen |= 1u << dg;
		if (dgs[i].data[0] != card_lds_tag_from_dg(dg)) {
			pa_reason(res, "dg_tag_mismatch:%d", dg);
			fail = 1;
			continue;
		}
		if ((h = card_sod_find(sod, dg)) == NULL) {
			pa_reason(res, "dg_not_in_sod:%d", dg);
			fail = 1;
			continue;
		}
		mdlen = 0;
		if (EVP_Digest(dgs[i].data, dgs[i].len, md, &mdlen, sod->md, NULL) != 1) {
			pa_reason(res, "internal_error");
			fail = 1;
			continue;
		}
		if (!cx_ct_equal(md, mdlen, h->hash, h->len)) {
			pa_reason(res, "dg_hash_mismatch:%d", dg);
			fail = 1;
			continue;
		}
		res->dg_verified |= 1u << dg;
	}
	res->data_group_hashes = fail ? CARD_CHECK_FAIL : CARD_CHECK_PASS;
	if (fail)
		res->dg_verified = 0;   /* one bad DG taints the document */
}

int
card_pa_verify(const uint8_t *sodbuf, size_t sodlen, const struct card_pa_dg *dgs,
    size_t ndgs, const struct card_trust *trust, const struct card_pa_opts *opts,
    struct card_pa_result *res)
{
	struct card_sod *sod = NULL;
	X509 *ds = NULL;
	int r;

	if (res == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	memset(res, 0, sizeof(*res));
	if (sodbuf == NULL || opts == NULL || (dgs == NULL && ndgs != 0))
		return EID_ERR_INVALID_ARGUMENT;
	if ((r = card_sod_parse(sodbuf, sodlen, &sod)) != 0) {
		pa_reason(res, "sod_malformed");
		goto out;
	}
	if (sod->md != NULL)
		(void)snprintf(res->hash_alg, sizeof(res->hash_alg), "%s",
		    OBJ_nid2sn(EVP_MD_get_type(sod->md)));

	check_signature(sod->cms, res, &ds);
	if (ds != NULL)
		check_document_signer(sod->cms, ds, trust, opts, res);
	check_hashes(sod, dgs, ndgs, res);

	if (res->sod_signature != CARD_CHECK_PASS)
		r = EID_ERR_PASSIVE_AUTH;
	else if (res->document_signer != CARD_CHECK_PASS)
		r = EID_ERR_TRUST;
	else if (res->data_group_hashes != CARD_CHECK_PASS)
		r = EID_ERR_HASH_MISMATCH;
	else
		r = 0;
	if (r != 0)
		res->dg_verified = 0;
out:
	ERR_clear_error();
	card_sod_free(&sod);
	return r;
}
