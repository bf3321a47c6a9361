/* card_sod.c - EF.SOD parsing with OpenSSL CMS and ASN.1 templates (see card_sod.h). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "eid_limits.h"
#include "card_sod.h"
#include "card_tlv.h"

/* id-icao-mrtd-security-ldsSecurityObject, and the legacy arc some issuers used */
#define OID_LDS_SO        "2.23.136.1.1.1"
#define OID_LDS_SO_LEGACY "1.3.27.1.1.1"

typedef struct {
	ASN1_INTEGER *dg;
	ASN1_OCTET_STRING *hash;
} LDS_DGHASH;

typedef struct {
	ASN1_PRINTABLESTRING *lds;
	ASN1_PRINTABLESTRING *unicode;
} LDS_VERINFO;

DEFINE_STACK_OF(LDS_DGHASH)

typedef struct {
	ASN1_INTEGER *version;
	X509_ALGOR *alg;
	STACK_OF(LDS_DGHASH) *hashes;
	LDS_VERINFO *verinfo;
} LDS_SO;

ASN1_SEQUENCE(LDS_DGHASH) = {
	ASN1_SIMPLE(LDS_DGHASH, dg, ASN1_INTEGER),
	ASN1_SIMPLE(LDS_DGHASH, hash, ASN1_OCTET_STRING),
} static_ASN1_SEQUENCE_END(LDS_DGHASH)

ASN1_SEQUENCE(LDS_VERINFO) = {
	ASN1_SIMPLE(LDS_VERINFO, lds, ASN1_PRINTABLESTRING),
	ASN1_SIMPLE(LDS_VERINFO, unicode, ASN1_PRINTABLESTRING),
} static_ASN1_SEQUENCE_END(LDS_VERINFO)

ASN1_SEQUENCE(LDS_SO) = {
	ASN1_SIMPLE(LDS_SO, version, ASN1_INTEGER),
	ASN1_SIMPLE(LDS_SO, alg, X509_ALGOR),
	ASN1_SEQUENCE_OF(LDS_SO, hashes, LDS_DGHASH),
	ASN1_OPT(LDS_SO, verinfo, LDS_VERINFO),
} static_ASN1_SEQUENCE_END(LDS_SO)

static int
copy_pstring(char *dst, size_t dstsz, const ASN1_STRING *s)
{
	int n = ASN1_STRING_length(s);

	if (n < 0 || (size_t)n >= dstsz)
		return EID_ERR_LDS;
	memcpy(dst, ASN1_STRING_get0_data(s), (size_t)n);
	dst[n] = '\0';
	return 0;
}

static int
sod_fill(struct card_sod *sod, const LDS_SO *so)
{
	const ASN1_OBJECT *algobj = NULL;
	int64_t v;
	int i, n, k;
	size_t j;

	if (ASN1_INTEGER_get_int64(&v, so->version) != 1 || v < 0 || v > 1)
		return EID_ERR_LDS;
	sod->version = (long)v;
	X509_ALGOR_get0(&algobj, NULL, NULL, so->alg);
	if (algobj == NULL || OBJ_obj2txt(sod->hash_oid, sizeof(sod->hash_oid), algobj, 1) <= 0 ||
	    strlen(sod->hash_oid) >= sizeof(sod->hash_oid) - 1)
		return EID_ERR_LDS;
	sod->md = EVP_get_digestbyobj(algobj);
	n = sk_LDS_DGHASH_num(so->hashes);
	if (n <= 0 || n > CARD_SOD_MAX_HASHES)
		return EID_ERR_LDS;
	for (i = 0; i < n; i++) {
		const LDS_DGHASH *h = sk_LDS_DGHASH_value(so->hashes, i);
		struct card_sod_hash *out = &sod->hashes[sod->nhashes];

		if (ASN1_INTEGER_get_int64(&v, h->dg) != 1 || v < 1 || v > 16)
			return EID_ERR_LDS;
		for (j = 0; j < sod->nhashes; j++)
			if (sod->hashes[j].dg == (int)v)
				return EID_ERR_LDS;     /* a DG listed twice */
		k = ASN1_STRING_length(h->hash);
		if (k <= 0 || k > CARD_SOD_MAX_HASH_LEN)
			return EID_ERR_LDS;
		out->dg = (int)v;
		out->len = (size_t)k;
		memcpy(out->hash, ASN1_STRING_get0_data(h->hash), (size_t)k);
		sod->nhashes++;
	}
	if (so->verinfo != NULL &&
	    (copy_pstring(sod->lds_version, sizeof(sod->lds_version), so->verinfo->lds) != 0 ||
	    copy_pstring(sod->unicode_version, sizeof(sod->unicode_version),
	    so->verinfo->unicode) != 0))
		return EID_ERR_LDS;
	return 0;
}

int
card_sod_parse(const uint8_t *buf, size_t len, struct card_sod **out)
{
	struct card_sod *sod = NULL;
	struct card_tlv t;
	LDS_SO *so = NULL;
	ASN1_OCTET_STRING **pos = NULL;
	const unsigned char *p;
	const ASN1_OBJECT *ctype;
	int r;

	if (out == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	*out = NULL;
	if (buf == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if (len > EID_SOD_MAX_BYTES)
		return EID_ERR_TOO_LARGE;
	if ((r = card_tlv_parse_one(buf, len, 0x77, &t)) != 0) {
		r = EID_ERR_TLV;
		goto out;
	}
	if ((sod = calloc(1, sizeof(*sod))) == NULL) {
		r = EID_ERR_NOMEM;
		goto out;
	}
	r = EID_ERR_LDS;
	p = t.value;
	if (t.len == 0 || (sod->cms = d2i_CMS_ContentInfo(NULL, &p, (long)t.len)) == NULL ||
	    p != t.value + t.len)
		goto out;
	if (OBJ_obj2nid(CMS_get0_type(sod->cms)) != NID_pkcs7_signed)
		goto out;
	if ((ctype = CMS_get0_eContentType(sod->cms)) == NULL ||
	    OBJ_obj2txt(sod->econtent_type, sizeof(sod->econtent_type), ctype, 1) <= 0)
		goto out;
	if (strcmp(sod->econtent_type, OID_LDS_SO) != 0 &&
	    strcmp(sod->econtent_type, OID_LDS_SO_LEGACY) != 0)
		goto out;
	if ((pos = CMS_get0_content(sod->cms)) == NULL || *pos == NULL)
		goto out;               /* detached content is not allowed in EF.SOD */
	p = ASN1_STRING_get0_data(*pos);
	if (ASN1_STRING_length(*pos) <= 0 ||
	    (so = (LDS_SO *)ASN1_item_d2i(NULL, &p, ASN1_STRING_length(*pos),
	    ASN1_ITEM_rptr(LDS_SO))) == NULL ||
	    p != ASN1_STRING_get0_data(*pos) + ASN1_STRING_length(*pos))
		goto out;
	if ((r = sod_fill(sod, so)) != 0)
		goto out;
	*out = sod;
	sod = NULL;
	r = 0;
out:
	ASN1_item_free((ASN1_VALUE *)so, ASN1_ITEM_rptr(LDS_SO));
	card_sod_free(&sod);
	return r;
}

void
card_sod_free(struct card_sod **sodp)
{
	struct card_sod *sod;

	if (sodp == NULL || (sod = *sodp) == NULL)
		return;
	CMS_ContentInfo_free(sod->cms);
	free(sod);
	*sodp = NULL;
}

const struct card_sod_hash *
card_sod_find(const struct card_sod *sod, int dg)
{
	size_t i;

	for (i = 0; sod != NULL && i < sod->nhashes; i++)
		if (sod->hashes[i].dg == dg)
			return &sod->hashes[i];
	return NULL;
}
