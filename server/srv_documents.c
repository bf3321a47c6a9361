/* srv_documents.c - parse, verify and decide POST /v1/documents/verify (see srv_documents.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "card_aa.h"
#include "card_lds.h"
#include "card_mrz.h"
#include "card_pa.h"
#include "cx_util.h"
#include "eid_limits.h"
#include "srv_documents.h"
#include "tok_util.h"

/* ---- parse ---- */

/* Static descriptions per data group, so callers never free them. */
#define DGMSG(n) { "data_groups." #n " must be a base64 string", \
	"data_groups." #n " is not valid base64", \
	"data_groups." #n " is larger than the 262144-byte cap for a data group", \
	"data_groups." #n " is empty" }
static const char *const dg_msgs[SRV_DOC_MAX_DG + 1][4] = {
	{ "", "", "", "" }, DGMSG(1), DGMSG(2), DGMSG(3), DGMSG(4), DGMSG(5), DGMSG(6),
	DGMSG(7), DGMSG(8), DGMSG(9), DGMSG(10), DGMSG(11), DGMSG(12), DGMSG(13),
	DGMSG(14), DGMSG(15), DGMSG(16),
};
enum { M_TYPE = 0, M_B64 = 1, M_BIG = 2, M_EMPTY = 3 };

_Static_assert(EID_DG_MAX_BYTES == 262144, "update the data group size message");
_Static_assert(EID_SOD_MAX_BYTES == 32768, "update the sod size message");
_Static_assert(SRV_DOC_AA_SIG_MAX_BYTES == 1024, "update the signature size message");
_Static_assert(EID_HTTP_MAX_DOC_BODY_BYTES == 524288, "update the body size message");

void
srv_doc_request_clear(struct srv_doc_request *req)
{
	size_t i;

	if (req == NULL)
		return;
	if (req->sod != NULL)
		cx_wipe(req->sod, req->sod_len);
	free(req->sod);
	for (i = 0; i <= SRV_DOC_MAX_DG; i++) {
		if (req->dg[i] != NULL)
			cx_wipe(req->dg[i], req->dg_len[i]);
		free(req->dg[i]);
	}
	free(req->aa_signature);
	cx_wipe(req, sizeof(*req));
}

/* Decode one base64 member. *msg_idx says which message applies on failure. */
static int
decode_member(const json_t *v, size_t maxlen, uint8_t **out, size_t *outlen, int *msg_idx)
{
	const char *s;
	size_t n;
	int r;

	*out = NULL;
	*outlen = 0;
	if (!json_is_string(v)) {
		*msg_idx = M_TYPE;
		return EID_ERR_FORMAT;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0) {
		*msg_idx = M_EMPTY;
		return EID_ERR_FORMAT;
	}
	if ((r = cx_b64_decode_alloc(out, outlen, s, n, maxlen)) != 0) {
		*msg_idx = r == EID_ERR_TOO_LARGE ? M_BIG : M_B64;
		return r == EID_ERR_TOO_LARGE || r == EID_ERR_NOMEM ? r : EID_ERR_FORMAT;
	}
	if (*outlen == 0) {
		free(*out);
		*out = NULL;
		*msg_idx = M_EMPTY;
		return EID_ERR_FORMAT;
	}
	return 0;
}

/* "1".."16" exactly (no sign, no leading zero) -> 1..16, else 0. */
static int
dg_key(const char *k)
{
	if (k[0] >= '1' && k[0] <= '9' && k[1] == '\0')
		return k[0] - '0';
	if (k[0] == '1' && k[1] >= '0' && k[1] <= '6' && k[2] == '\0')
		return 10 + (k[1] - '0');
	return 0;
}

static int
parse_aa(const json_t *aa, struct srv_doc_request *out, const char **desc)
{
	const char *k;
	json_t *v, *ch, *sig;
	uint8_t *chbuf = NULL;
	size_t chlen = 0;
	int r, mi = 0;

	if (!json_is_object(aa)) {
		*desc = "active_authentication must be an object with challenge and signature";
		return EID_ERR_FORMAT;
	}
	json_object_foreach((json_t *)aa, k, v) {
		if (strcmp(k, "challenge") != 0 && strcmp(k, "signature") != 0) {
			*desc = "active_authentication has an unknown member (allowed: challenge, signature)";
			return EID_ERR_FORMAT;
		}
	}
	if ((ch = json_object_get(aa, "challenge")) == NULL) {
		*desc = "active_authentication.challenge is missing";
		return EID_ERR_FORMAT;
	}
	if ((sig = json_object_get(aa, "signature")) == NULL) {
		*desc = "active_authentication.signature is missing";
		return EID_ERR_FORMAT;
	}
	if ((r = decode_member(ch, 2 * CARD_AA_CHALLENGE_LEN, &chbuf, &chlen, &mi)) != 0 ||
	    chlen != CARD_AA_CHALLENGE_LEN) {
		free(chbuf);
		*desc = "active_authentication.challenge must be base64 of exactly 8 bytes";
		return r == EID_ERR_NOMEM ? r : EID_ERR_FORMAT;
	}
	memcpy(out->aa_challenge, chbuf, CARD_AA_CHALLENGE_LEN);
	free(chbuf);
	if ((r = decode_member(sig, SRV_DOC_AA_SIG_MAX_BYTES, &out->aa_signature,
	    &out->aa_signature_len, &mi)) != 0) {
		*desc = mi == M_TYPE ? "active_authentication.signature must be a base64 string" :
		    mi == M_BIG ? "active_authentication.signature is larger than 1024 bytes" :
		    mi == M_EMPTY ? "active_authentication.signature is empty" :
		    "active_authentication.signature is not valid base64";
		return r;
	}
	out->have_aa = 1;
	return 0;
}

int
srv_documents_parse(const char *json, size_t len, struct srv_doc_request *out,
    const char **error_description)
{
	json_error_t jerr;
	json_t *root = NULL, *sod, *dgs, *aa, *v;
	const char *k, *desc = NULL;
	int r = EID_ERR_FORMAT, mi = 0, n;

	memset(out, 0, sizeof(*out));
	if (json == NULL || len == 0) {
		desc = "request body is empty: expected a JSON object with sod and data_groups";
		goto out;
	}
	if (len > EID_HTTP_MAX_DOC_BODY_BYTES) {
		desc = "request body is larger than 524288 bytes (leave out DG3/DG4 biometrics)";
		r = EID_ERR_TOO_LARGE;
		goto out;
	}
	if (!tok_json_depth_ok(json, len, EID_JSON_MAX_DEPTH)) {
		desc = "request body nests too deeply";
		goto out;
	}
	if ((root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		desc = strstr(jerr.text, "duplicate") != NULL ?
		    "request body has a duplicate member name" : "request body is not valid JSON";
		goto out;
	}
	if (!json_is_object(root)) {
		desc = "request body must be a JSON object with sod and data_groups";
		goto out;
	}
	json_object_foreach(root, k, v) {
		if (strcmp(k, "sod") != 0 && strcmp(k, "data_groups") != 0 &&
		    strcmp(k, "active_authentication") != 0) {
			desc = "request has an unknown member (allowed: sod, data_groups, active_authentication)";
			goto out;
		}
	}
	if ((sod = json_object_get(root, "sod")) == NULL) {
		desc = "sod is missing (EF.SOD, standard base64)";
		goto out;
	}
	if ((r = decode_member(sod, EID_SOD_MAX_BYTES, &out->sod, &out->sod_len, &mi)) != 0) {
		desc = mi == M_TYPE ? "sod must be a base64 string" :
		    mi == M_BIG ? "sod is larger than the 32768-byte cap for EF.SOD" :
		    mi == M_EMPTY ? "sod is empty" : "sod is not valid base64";
		goto out;
	}
	r = EID_ERR_FORMAT;
	if ((dgs = json_object_get(root, "data_groups")) == NULL) {
		desc = "data_groups is missing";
		goto out;
	}
	if (!json_is_object(dgs)) {
		desc = "data_groups must be an object keyed by data group number (\"1\"..\"16\")";
		goto out;
	}
	json_object_foreach(dgs, k, v) {
		if ((n = dg_key(k)) == 0) {
			desc = "data_groups keys must be data group numbers \"1\"..\"16\"";
			r = EID_ERR_FORMAT;
			goto out;
		}
		if ((r = decode_member(v, EID_DG_MAX_BYTES, &out->dg[n], &out->dg_len[n], &mi)) != 0) {
			desc = dg_msgs[n][mi];
			goto out;
		}
	}
	r = EID_ERR_FORMAT;
	if (out->dg[1] == NULL) {
		desc = "data_groups.1 (DG1, the MRZ) is missing";
		goto out;
	}
	if ((aa = json_object_get(root, "active_authentication")) != NULL &&
	    (r = parse_aa(aa, out, &desc)) != 0)
		goto out;
	r = 0;
out:
	json_decref(root);
	if (r != 0) {
		srv_doc_request_clear(out);
		if (r == EID_ERR_NOMEM)
			desc = "out of memory";
	}
	if (error_description != NULL)
		*error_description = r == 0 ? NULL : desc;
	return r;
}

/* ---- verify and decide ---- */

static int
add_reason(json_t *reasons, const char *r)
{
	return json_array_append_new(reasons, json_string(r)) == 0 ? 0 : EID_ERR_NOMEM;
}

static int
digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/*
 * MRZ YYMMDD -> "YYYY-MM-DD" with the century from base (1900, 2000, ...).
 * Returns 0, or -1 when the date is not six digits of a plausible date.
 */
static int
iso_date(const char *yymmdd, int century, char out[16])
{
	int yy, mm, dd;

	if (strlen(yymmdd) != 6 || !digits(yymmdd, 6))
		return -1;
	yy = (yymmdd[0] - '0') * 10 + (yymmdd[1] - '0');
	mm = (yymmdd[2] - '0') * 10 + (yymmdd[3] - '0');
	dd = (yymmdd[4] - '0') * 10 + (yymmdd[5] - '0');
	if (mm < 1 || mm > 12 || dd < 1 || dd > 31)
		return -1;
	snprintf(out, 16, "%04d-%02d-%02d", century + yy, mm, dd);
	return 0;
}

/*
 * The birth century: a CCCD number says it (digit 4, the gender/century code: 0/1 born
 * 19xx, 2/3 20xx, 4/5 21xx, ...); otherwise a two-digit year after this year's is
 * taken as last century.
 */
static int
birth_century(const struct card_mrz *m, int this_year)
{
	const char *id = m->citizen_id;

	if (m->is_cccd && strlen(id) == EID_CITIZEN_ID_DIGITS && digits(id, EID_CITIZEN_ID_DIGITS))
		return 1900 + 100 * ((id[3] - '0') / 2);
	if (strlen(m->birth_date) == 6 && digits(m->birth_date, 2) &&
	    (m->birth_date[0] - '0') * 10 + (m->birth_date[1] - '0') > this_year % 100)
		return this_year / 100 * 100 - 100;
	return this_year / 100 * 100;
}

/*
 * The expiry century: 20xx unless that is more than 60 years ahead (a CCCD issued at
 * 25 runs to 40, 60 or for life), then 19xx, so an old document never reads as one
 * expiring next century.
 */
static int
expiry_century(const char *yymmdd, int this_year)
{
	int yy;

	if (strlen(yymmdd) != 6 || !digits(yymmdd, 2))
		return 2000;
	yy = (yymmdd[0] - '0') * 10 + (yymmdd[1] - '0');
	return 2000 + yy > this_year + 60 ? 1900 : 2000;
}

static void
trim_copy(char *out, size_t outsz, const char *in)
{
	size_t n;

	snprintf(out, outsz, "%s", in);
	n = strlen(out);
	while (n > 0 && out[n - 1] == ' ')
		out[--n] = '\0';
}

/*
 * Fill doc from DG1. Adds reasons for what is wrong; *ok = 1 only when DG1 parsed, its
 * check digits are right and the document is not expired.
 */
static int
decide_dg1(const uint8_t *dg1, size_t len, time_t now, json_t *doc, json_t *reasons, int *ok)
{
	struct card_mrz m;
	struct tm tm;
	char birth[16], expiry[16], today[32], prim[48], sec[48], name[100], sex[2];
	int r, this_year, expired = 0, good = 1;

	*ok = 0;
	memset(&m, 0, sizeof(m));
	if (gmtime_r(&now, &tm) == NULL)
		return add_reason(reasons, "dg1_invalid");
	this_year = tm.tm_year + 1900;
	snprintf(today, sizeof(today), "%04d-%02d-%02d", this_year, tm.tm_mon + 1, tm.tm_mday);
	r = card_lds_dg1_parse(dg1, len, &m);
	if (r != 0 && r != EID_ERR_CHECK_DIGIT)
		return add_reason(reasons, "dg1_invalid");
	if (r == EID_ERR_CHECK_DIGIT) {
		good = 0;
		if (add_reason(reasons, "mrz_check_digit") != 0)
			return EID_ERR_NOMEM;
	}
	trim_copy(prim, sizeof(prim), m.primary_name);
	trim_copy(sec, sizeof(sec), m.secondary_name);
	snprintf(name, sizeof(name), "%s%s%s", prim, prim[0] != '\0' && sec[0] != '\0' ? " " : "", sec);
	sex[0] = m.sex == 'M' || m.sex == 'F' ? m.sex : 'X';
	sex[1] = '\0';
	if (json_object_set_new(doc, "document_code", json_string(m.document_code)) != 0 ||
	    json_object_set_new(doc, "issuing_state", json_string(m.issuing_state)) != 0 ||
	    json_object_set_new(doc, "document_number", json_string(m.document_number)) != 0 ||
	    json_object_set_new(doc, "citizen_id", m.citizen_id[0] != '\0' ?
	    json_string(m.citizen_id) : json_null()) != 0 ||
	    json_object_set_new(doc, "name", json_string(name)) != 0)
		return EID_ERR_NOMEM;
	if (iso_date(m.birth_date, birth_century(&m, this_year), birth) == 0)
		r = json_object_set_new(doc, "birth_date", json_string(birth));
	else
		r = json_object_set_new(doc, "birth_date", json_null());   /* unknown ("<<") */
	if (r != 0 || json_object_set_new(doc, "sex", json_string(sex)) != 0)
		return EID_ERR_NOMEM;
	if (iso_date(m.expiry_date, expiry_century(m.expiry_date, this_year), expiry) == 0) {
		r = json_object_set_new(doc, "expiry_date", json_string(expiry));
		expired = strcmp(expiry, today) < 0;
	} else {
		/* no readable expiry date: refuse rather than guess it is still valid */
		r = json_object_set_new(doc, "expiry_date", json_null());
		good = 0;
		if (r == 0)
			r = add_reason(reasons, "expiry_date_invalid");
	}
	if (r != 0 || json_object_set_new(doc, "nationality", json_string(m.nationality)) != 0)
		return EID_ERR_NOMEM;
	if (expired) {
		good = 0;
		if (add_reason(reasons, "document_expired") != 0)
			return EID_ERR_NOMEM;
	}
	*ok = good;
	return 0;
}

/*
 * DG13's full name (field 2), only. Data minimisation: the bank asked whether the card
 * is genuine, not for the citizen's whole record; address, ethnicity, religion, parents,
 * marks and the rest of DG13 never leave this function. The name is returned because
 * MRZ names lose Vietnamese diacritics ("NGUYEN VAN MAU" for "Nguyễn Văn Mẫu").
 */
static int
add_full_name(const uint8_t *dg13, size_t len, json_t *doc)
{
	struct card_dg13 d;
	const struct card_dg13_field *f;
	int r = 0;

	memset(&d, 0, sizeof(d));
	if (card_lds_dg13_parse(dg13, len, &d) == 0 &&
	    (f = card_dg13_get(&d, CARD_DG13_FULL_NAME)) != NULL && f->nvalues >= 1 &&
	    f->values[0] != NULL && json_object_set_new(doc, "full_name", json_string(f->values[0])) != 0)
		r = EID_ERR_NOMEM;
	card_dg13_clear(&d);
	return r;
}

#define DG_BIT(n) (1u << (n))

/* Active authentication: returns the check result; adds its reasons. */
static enum card_check_result
decide_aa(const struct srv_doc_request *req, const struct card_pa_result *pa,
    int challenge_status, json_t *reasons, int *nomem)
{
	const EVP_MD *md = NULL;
	EVP_PKEY *pk = NULL;
	struct card_dg14 d14;
	const char *why = NULL;
	enum card_check_result res = CARD_CHECK_FAIL;
	int r, sod_ok;
	size_t i;

	if (!req->have_aa)
		return CARD_CHECK_NOT_PERFORMED;
	sod_ok = pa->sod_signature == CARD_CHECK_PASS && pa->document_signer == CARD_CHECK_PASS;
	if (challenge_status != SRV_DOC_CHALLENGE_TAKEN) {
		why = "challenge_unknown_or_reused";
		goto out;
	}
	if (req->dg[15] == NULL) {
		why = "dg15_missing";
		goto out;
	}
	/* the key only means something if the verified SOD vouches for it */
	if (!sod_ok || (pa->dg_verified & DG_BIT(15)) == 0) {
		why = "aa_key_not_authenticated";
		goto out;
	}
	if (req->dg[14] != NULL) {
		if ((pa->dg_verified & DG_BIT(14)) == 0) {
			why = "aa_key_not_authenticated";
			goto out;
		}
		memset(&d14, 0, sizeof(d14));
		if (card_lds_dg14_parse(req->dg[14], req->dg_len[14], &d14) == 0) {
			for (i = 0; i < d14.ninfos && i < CARD_DG14_MAX_INFOS; i++) {
				if (d14.infos[i].kind != CARD_SECINFO_AA || d14.infos[i].aa_sig_alg[0] == '\0')
					continue;
				if ((md = card_aa_hash_from_oid(d14.infos[i].aa_sig_alg)) == NULL) {
					why = "aa_algorithm_unsupported";
					goto out;
				}
			}
		}
	}
	if (card_lds_dg15_parse(req->dg[15], req->dg_len[15], &pk) != 0) {
		why = "dg15_invalid";
		goto out;
	}
	r = card_aa_verify(pk, req->aa_challenge, sizeof(req->aa_challenge), req->aa_signature,
	    req->aa_signature_len, md);
	if (r == 0)
		res = CARD_CHECK_PASS;
	else
		why = r == EID_ERR_KEY || r == EID_ERR_UNSUPPORTED ? "aa_algorithm_unsupported" :
		    "aa_signature_invalid";
out:
	EVP_PKEY_free(pk);
	if (why != NULL && add_reason(reasons, why) != 0)
		*nomem = 1;
	return res;
}

int
srv_documents_verify(const struct srv_doc_request *req, const struct card_trust *trust,
    int challenge_status, time_t now, json_t **verdict)
{
	struct card_pa_dg dgs[SRV_DOC_MAX_DG];
	struct card_pa_opts opts;
	struct card_pa_result pa;
	enum card_check_result aa;
	json_t *reasons = NULL, *doc = NULL, *checks = NULL, *v = NULL;
	size_t ndgs = 0, i;
	int r = EID_ERR_NOMEM, nomem = 0, dg1_ok = 0, valid = 0;

	*verdict = NULL;
	if ((reasons = json_array()) == NULL || (doc = json_object()) == NULL)
		goto out;
	for (i = 1; i <= SRV_DOC_MAX_DG; i++) {
		if (req->dg[i] == NULL)
			continue;
		dgs[ndgs].dg = (int)i;
		dgs[ndgs].data = req->dg[i];
		dgs[ndgs].len = req->dg_len[i];
		ndgs++;
	}
	memset(&opts, 0, sizeof(opts));
	opts.at = now;
	memset(&pa, 0, sizeof(pa));
	/* the return code repeats what pa says; every check is read from pa below */
	(void)!card_pa_verify(req->sod, req->sod_len, dgs, ndgs, trust, &opts, &pa);
	for (i = 0; i < pa.nreasons && i < CARD_PA_MAX_REASONS; i++) {
		pa.reasons[i][CARD_PA_REASON_LEN - 1] = '\0';
		if (add_reason(reasons, pa.reasons[i]) != 0)
			goto out;
	}
	/* DG1: required, covered by the SOD, parses, not expired */
	if (req->dg[1] == NULL) {
		if (add_reason(reasons, "dg1_missing") != 0)
			goto out;
	} else {
		if ((pa.dg_verified & DG_BIT(1)) == 0 && pa.data_group_hashes == CARD_CHECK_PASS &&
		    add_reason(reasons, "dg1_not_in_sod") != 0)
			goto out;
		if (decide_dg1(req->dg[1], req->dg_len[1], now, doc, reasons, &dg1_ok) != 0)
			goto out;
		dg1_ok = dg1_ok && (pa.dg_verified & DG_BIT(1)) != 0;
	}
	if (req->dg[13] != NULL && (pa.dg_verified & DG_BIT(13)) != 0 &&
	    pa.sod_signature == CARD_CHECK_PASS && pa.document_signer == CARD_CHECK_PASS &&
	    json_object_size(doc) > 0 && add_full_name(req->dg[13], req->dg_len[13], doc) != 0)
		goto out;
	aa = decide_aa(req, &pa, challenge_status, reasons, &nomem);
	if (nomem)
		goto out;
	/* Chip Authentication is a key agreement with the live chip during reading: the
	 * server, handed files afterwards, cannot do it. */
	if (req->dg[14] != NULL && add_reason(reasons, "chip_authentication_not_verifiable_by_server") != 0)
		goto out;
	/* decide: see THE RULE in srv_documents.h */
	valid = pa.sod_signature == CARD_CHECK_PASS && pa.document_signer == CARD_CHECK_PASS &&
	    pa.data_group_hashes == CARD_CHECK_PASS && dg1_ok &&
	    (aa == CARD_CHECK_PASS || aa == CARD_CHECK_NOT_PERFORMED);
	checks = json_pack("{s:s,s:s,s:s,s:s,s:s}",
	    "sod_signature", card_check_result_str(pa.sod_signature),
	    "document_signer", card_check_result_str(pa.document_signer),
	    "data_group_hashes", card_check_result_str(pa.data_group_hashes),
	    "active_authentication", card_check_result_str(aa),
	    "chip_authentication", card_check_result_str(CARD_CHECK_NOT_PERFORMED));
	if (checks == NULL)
		goto out;
	v = json_pack("{s:s,s:O,s:O,s:O}", "verdict", valid ? "valid" : "invalid",
	    "checks", checks, "reasons", reasons, "document", doc);
	if (v == NULL)
		goto out;
	*verdict = v;
	v = NULL;
	r = 0;
out:
	cx_wipe(&pa, sizeof(pa));
	json_decref(v);
	json_decref(checks);
	json_decref(reasons);
	json_decref(doc);
	return r;
}

json_t *
srv_documents_audit_details(const char *client_id, const json_t *verdict,
    const uint8_t *pseudonym_key)
{
	json_t *o = NULL, *checks, *reasons;
	const char *id = NULL, *vd;
	uint8_t h[16];
	char hex[33];

	vd = json_string_value(json_object_get(verdict, "verdict"));
	checks = json_object_get(verdict, "checks");
	reasons = json_object_get(verdict, "reasons");
	if ((o = json_pack("{s:s?,s:s}", "client_id", client_id, "verdict", vd ? vd : "invalid")) == NULL)
		return NULL;
	if (pseudonym_key != NULL &&
	    (id = json_string_value(json_object_get(json_object_get(verdict, "document"), "citizen_id"))) != NULL) {
		crypto_generichash(h, sizeof(h), (const unsigned char *)id, strlen(id), pseudonym_key, 32);
		cx_hex_encode(hex, h, sizeof(h));
		if (json_object_set_new(o, "citizen_ref", json_string(hex)) != 0)
			goto fail;
	}
	if ((checks != NULL && json_object_set_new(o, "checks", json_deep_copy(checks)) != 0) ||
	    (reasons != NULL && json_object_set_new(o, "reasons", json_deep_copy(reasons)) != 0))
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}
