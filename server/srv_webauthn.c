/*
 * srv_webauthn.c - WebAuthn registration and sign-in verification (see srv_webauthn.h).
 *
 * Shape of both ceremonies: parse every input (clientDataJSON with jansson, CBOR with
 * libcbor after a bounded pre-walk, authenticatorData with cx_reader), check the
 * relying-party rules, let libfido2 verify the signature, then decide. Each function
 * keeps its verdict at "refused" until the last check passes and frees everything in
 * one `out:` block. Nothing here logs: the caller logs `why`, which holds no data.
 */
#include "srv_webauthn.h"

#include <ctype.h>
#include <string.h>

#include <cbor.h>
#include <fido.h>
#include <fido/eddsa.h>
#include <fido/es256.h>
#include <fido/rs256.h>
#include <jansson.h>
#include <openssl/objects.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "cx_buf.h"
#include "cx_util.h"

/* authenticatorData flags (WebAuthn 6.1) */
#define AD_UP 0x01
#define AD_UV 0x04
#define AD_BE 0x08
#define AD_BS 0x10
#define AD_AT 0x40
#define AD_ED 0x80

#define RP_ID_HASH_LEN 32
#define AUTHDATA_MIN_LEN 37         /* rpIdHash, flags, signCount */
#define CDH_LEN 32

/* The FIDO attestation-certificate extension carrying the AAGUID. */
#define OID_FIDO_AAGUID "1.3.6.1.4.1.45724.1.1.4"

/* ------------------------------------------------------------------------------------ */
/* CBOR: a bounded pre-walk with libcbor's streaming decoder, then cbor_load.            */

/*
 * libcbor's cbor_load allocates a declared array/map size before reading the items,
 * so a few bytes could ask for gigabytes. The walk below visits every item with
 * cbor_stream_decode first and refuses counts larger than the bytes left, nesting
 * deeper than SRV_WEBAUTHN_CBOR_MAX_DEPTH, indefinite lengths and tags (none of which
 * WebAuthn's CTAP2-canonical CBOR uses). It yields the byte length of the first item.
 */
struct cbor_walk {
	size_t left[SRV_WEBAUTHN_CBOR_MAX_DEPTH];      /* items still due per open container */
	int depth;
	int done;
	int err;
	size_t avail;                                   /* bytes from this item to the end */
};

static void
walk_item_done(struct cbor_walk *w)
{
	while (w->depth > 0) {
		if (--w->left[w->depth - 1] > 0)
			return;
		w->depth--;
	}
	w->done = 1;
}

static void
walk_open(struct cbor_walk *w, size_t items)
{
	if (items == 0) {
		walk_item_done(w);
		return;
	}
	if (w->depth >= SRV_WEBAUTHN_CBOR_MAX_DEPTH) {
		w->err = EID_ERR_DEPTH;
		return;
	}
	w->left[w->depth++] = items;
}

static void walk_u8(void *c, uint8_t v) { (void)v; walk_item_done(c); }
static void walk_u16(void *c, uint16_t v) { (void)v; walk_item_done(c); }
static void walk_u32(void *c, uint32_t v) { (void)v; walk_item_done(c); }
static void walk_u64(void *c, uint64_t v) { (void)v; walk_item_done(c); }
static void walk_str(void *c, cbor_data d, size_t n) { (void)d; (void)n; walk_item_done(c); }
static void walk_simple(void *c) { walk_item_done(c); }
static void walk_bool(void *c, bool v) { (void)v; walk_item_done(c); }
static void walk_float(void *c, float v) { (void)v; walk_item_done(c); }
static void walk_double(void *c, double v) { (void)v; walk_item_done(c); }
static void walk_refuse(void *c) { ((struct cbor_walk *)c)->err = EID_ERR_FORMAT; }
static void walk_tag(void *c, uint64_t v) { (void)v; walk_refuse(c); }

static void
walk_array(void *c, size_t n)
{
	struct cbor_walk *w = c;

	if (n > w->avail)
		w->err = EID_ERR_FORMAT;
	else
		walk_open(w, n);
}

static void
walk_map(void *c, size_t n)
{
	struct cbor_walk *w = c;

	if (n > w->avail / 2)
		w->err = EID_ERR_FORMAT;
	else
		walk_open(w, n * 2);
}

static int
cbor_first_item_len(const uint8_t *buf, size_t len, size_t *item_len)
{
	struct cbor_callbacks cb = cbor_empty_callbacks;
	struct cbor_decoder_result res;
	struct cbor_walk w;
	size_t off = 0;

	memset(&w, 0, sizeof(w));
	cb.uint8 = walk_u8;
	cb.uint16 = walk_u16;
	cb.uint32 = walk_u32;
	cb.uint64 = walk_u64;
	cb.negint8 = walk_u8;
	cb.negint16 = walk_u16;
	cb.negint32 = walk_u32;
	cb.negint64 = walk_u64;
	cb.byte_string = walk_str;
	cb.string = walk_str;
	cb.byte_string_start = walk_refuse;
	cb.string_start = walk_refuse;
	cb.indef_array_start = walk_refuse;
	cb.indef_map_start = walk_refuse;
	cb.indef_break = walk_refuse;
	cb.array_start = walk_array;
	cb.map_start = walk_map;
	cb.tag = walk_tag;
	cb.float2 = walk_float;
	cb.float4 = walk_float;
	cb.float8 = walk_double;
	cb.undefined = walk_simple;
	cb.null = walk_simple;
	cb.boolean = walk_bool;

	while (!w.done) {
		if (off >= len)
			return EID_ERR_TRUNCATED;
		w.avail = len - off;
		res = cbor_stream_decode(buf + off, len - off, &cb, &w);
		if (res.status == CBOR_DECODER_NEDATA)
			return EID_ERR_TRUNCATED;
		if (res.status != CBOR_DECODER_FINISHED || res.read == 0 || res.read > len - off)
			return EID_ERR_FORMAT;
		if (w.err != 0)
			return w.err;
		off += res.read;
	}
	*item_len = off;
	return 0;
}

/* Load the first CBOR item of buf (after the walk); *used gets its length. */
static int
cbor_load_first(const uint8_t *buf, size_t len, cbor_item_t **item, size_t *used)
{
	struct cbor_load_result res;
	size_t n = 0;
	int r;

	*item = NULL;
	if ((r = cbor_first_item_len(buf, len, &n)) != 0)
		return r;
	memset(&res, 0, sizeof(res));
	if ((*item = cbor_load(buf, n, &res)) == NULL)
		return res.error.code == CBOR_ERR_MEMERROR ? EID_ERR_NOMEM : EID_ERR_FORMAT;
	if (res.read != n) {
		cbor_decref(item);
		return EID_ERR_FORMAT;
	}
	*used = n;
	return 0;
}

/* 1 if item is a definite text string equal to s. */
static int
cbor_text_is(const cbor_item_t *item, const char *s)
{
	size_t n = strlen(s);

	return cbor_isa_string(item) && cbor_string_is_definite(item) &&
	    cbor_string_length(item) == n && memcmp(cbor_string_handle(item), s, n) == 0;
}

/* A CBOR integer (major type 0 or 1) as int64; 0 on success. */
static int
cbor_int64(const cbor_item_t *item, int64_t *v)
{
	uint64_t u;

	if (!cbor_is_int(item))
		return EID_ERR_FORMAT;
	u = cbor_get_int(item);
	if (u > (uint64_t)INT64_MAX)
		return EID_ERR_FORMAT;
	*v = cbor_isa_negint(item) ? -1 - (int64_t)u : (int64_t)u;
	return 0;
}

/* A CBOR true/false. libcbor's cbor_is_bool asserts on a float of another width, so the
 * simple-value width is checked first (a half float here must be refused, not abort). */
static int
cbor_is_bool_safe(const cbor_item_t *item)
{
	return cbor_isa_float_ctrl(item) && cbor_float_get_width(item) == CBOR_FLOAT_0 &&
	    cbor_is_bool(item);
}

static int
cbor_is_bytes(const cbor_item_t *item)
{
	return cbor_isa_bytestring(item) && cbor_bytestring_is_definite(item);
}

/* ------------------------------------------------------------------------------------ */
/* COSE keys (RFC 9053): only the three shapes libfido2 verifies.                       */

struct cose_key {
	int alg;
	uint8_t x[32], y[32];           /* EC2: x, y; OKP: x */
	uint8_t n[256], e[3];           /* RSA: modulus and left-padded exponent */
};

static int
parse_cose_key(const cbor_item_t *m, struct cose_key *k, const char **why)
{
	const cbor_item_t *kty = NULL, *alg = NULL, *p1 = NULL, *p2 = NULL, *p3 = NULL;
	const cbor_item_t **slot;
	struct cbor_pair *pairs;
	int64_t label, v_kty = 0, v_alg = 0, v_crv = 0;
	size_t i, n;

	memset(k, 0, sizeof(*k));
	*why = "public key malformed";
	if (!cbor_isa_map(m) || !cbor_map_is_definite(m))
		return EID_ERR_FORMAT;
	pairs = cbor_map_handle(m);
	n = cbor_map_size(m);
	for (i = 0; i < n; i++) {
		if (cbor_int64(pairs[i].key, &label) != 0)
			return EID_ERR_FORMAT;
		switch (label) {
		case 1: slot = &kty; break;
		case 3: slot = &alg; break;
		case -1: slot = &p1; break;
		case -2: slot = &p2; break;
		case -3: slot = &p3; break;
		default: continue;      /* kid, key_ops, ...: not used */
		}
		if (*slot != NULL)
			return EID_ERR_FORMAT;  /* duplicate label */
		*slot = pairs[i].value;
	}
	if (kty == NULL || alg == NULL || p1 == NULL || p2 == NULL ||
	    cbor_int64(kty, &v_kty) != 0 || cbor_int64(alg, &v_alg) != 0)
		return EID_ERR_FORMAT;
	if (v_alg != SRV_WEBAUTHN_ALG_ES256 && v_alg != SRV_WEBAUTHN_ALG_EDDSA &&
	    v_alg != SRV_WEBAUTHN_ALG_RS256) {
		*why = "unsupported algorithm";
		return EID_ERR_UNSUPPORTED;
	}
	k->alg = (int)v_alg;
	switch (k->alg) {
	case SRV_WEBAUTHN_ALG_ES256:    /* EC2, P-256 */
		if (v_kty != 2 || cbor_int64(p1, &v_crv) != 0 || v_crv != 1 || p3 == NULL ||
		    !cbor_is_bytes(p2) || cbor_bytestring_length(p2) != 32 ||
		    !cbor_is_bytes(p3) || cbor_bytestring_length(p3) != 32)
			return EID_ERR_FORMAT;
		memcpy(k->x, cbor_bytestring_handle(p2), 32);
		memcpy(k->y, cbor_bytestring_handle(p3), 32);
		break;
	case SRV_WEBAUTHN_ALG_EDDSA:    /* OKP, Ed25519 */
		if (v_kty != 1 || cbor_int64(p1, &v_crv) != 0 || v_crv != 6 || p3 != NULL ||
		    !cbor_is_bytes(p2) || cbor_bytestring_length(p2) != 32)
			return EID_ERR_FORMAT;
		memcpy(k->x, cbor_bytestring_handle(p2), 32);
		break;
	default:                        /* RSA, 2048-bit modulus (libfido2's rs256_pk_t) */
		if (v_kty != 3 || p3 != NULL || !cbor_is_bytes(p1) || !cbor_is_bytes(p2))
			return EID_ERR_FORMAT;
		if (cbor_bytestring_length(p1) != sizeof(k->n) ||
		    cbor_bytestring_length(p2) < 1 || cbor_bytestring_length(p2) > sizeof(k->e)) {
			*why = "unsupported RSA key size";
			return EID_ERR_UNSUPPORTED;
		}
		memcpy(k->n, cbor_bytestring_handle(p1), sizeof(k->n));
		memcpy(k->e + sizeof(k->e) - cbor_bytestring_length(p2),
		    cbor_bytestring_handle(p2), cbor_bytestring_length(p2));
		break;
	}
	*why = "ok";
	return 0;
}

/* ------------------------------------------------------------------------------------ */
/* authenticatorData (WebAuthn 6.1)                                                     */

struct authdata {
	const uint8_t *rp_id_hash;
	uint8_t flags;
	uint32_t sign_count;
	/* attested credential data (registration only) */
	const uint8_t *aaguid;
	const uint8_t *cred_id;
	size_t cred_id_len;
	const uint8_t *cose;
	size_t cose_len;
	struct cose_key key;
	/* extension outputs libfido2 checks against what was "requested" */
	int ext_mask;
	int ext_prot;
	size_t ext_minpinlen;
};

/* Mirror the extension outputs libfido2 decodes, so its own extension check agrees. */
static int
parse_extensions(const cbor_item_t *m, int registration, struct authdata *ad)
{
	struct cbor_pair *pairs;
	int64_t v;
	size_t i;

	if (!cbor_isa_map(m) || !cbor_map_is_definite(m))
		return EID_ERR_FORMAT;
	pairs = cbor_map_handle(m);
	for (i = 0; i < cbor_map_size(m); i++) {
		if (!cbor_isa_string(pairs[i].key))
			return EID_ERR_FORMAT;
		if (registration && cbor_text_is(pairs[i].key, "credProtect")) {
			if (cbor_int64(pairs[i].value, &v) != 0 || v < 1 || v > 3)
				return EID_ERR_FORMAT;
			ad->ext_mask |= FIDO_EXT_CRED_PROTECT;
			ad->ext_prot = (int)v;
		} else if (cbor_text_is(pairs[i].key, "hmac-secret") ||
		    cbor_text_is(pairs[i].key, "credBlob")) {
			/* a boolean at registration, the (encrypted) output at sign-in */
			if (registration ? !cbor_is_bool_safe(pairs[i].value) :
			    !cbor_is_bytes(pairs[i].value))
				return EID_ERR_FORMAT;
			if (!registration || cbor_get_bool(pairs[i].value))
				ad->ext_mask |= cbor_text_is(pairs[i].key, "credBlob") ?
				    FIDO_EXT_CRED_BLOB : FIDO_EXT_HMAC_SECRET;
		} else if (registration && cbor_text_is(pairs[i].key, "minPinLength")) {
			if (cbor_int64(pairs[i].value, &v) != 0 || v < 0 || v > 255)
				return EID_ERR_FORMAT;
			ad->ext_mask |= FIDO_EXT_MINPINLEN;
			ad->ext_minpinlen = (size_t)v;
		}
	}
	return 0;
}

static int
parse_authdata(const uint8_t *buf, size_t len, int registration, struct authdata *ad,
    const char **why)
{
	struct cx_reader rd;
	cbor_item_t *item = NULL;
	size_t used = 0;
	uint16_t idlen;
	int r;

	memset(ad, 0, sizeof(*ad));
	cx_rd_init(&rd, buf, len);
	ad->rp_id_hash = cx_rd_bytes(&rd, RP_ID_HASH_LEN);
	ad->flags = cx_rd_u8(&rd);
	ad->sign_count = cx_rd_u32be(&rd);
	if (rd.err != 0) {
		*why = "authenticator data truncated";
		return EID_ERR_TRUNCATED;
	}
	if (ad->flags & AD_AT) {
		if (!registration) {
			*why = "authenticator data malformed";
			return EID_ERR_FORMAT;
		}
		ad->aaguid = cx_rd_bytes(&rd, SRV_WEBAUTHN_AAGUID_LEN);
		idlen = cx_rd_u16be(&rd);
		if (rd.err == 0 && (idlen == 0 || idlen > SRV_WEBAUTHN_MAX_CRED_ID)) {
			*why = "credential id length invalid";
			return EID_ERR_FORMAT;
		}
		ad->cred_id = cx_rd_bytes(&rd, idlen);
		ad->cred_id_len = idlen;
		if (rd.err != 0) {
			*why = "authenticator data truncated";
			return EID_ERR_TRUNCATED;
		}
		if ((r = cbor_load_first(rd.ptr, rd.len, &item, &used)) != 0) {
			*why = "public key malformed";
			return r;
		}
		if (used > SRV_WEBAUTHN_MAX_COSE_KEY) {
			cbor_decref(&item);
			*why = "public key too large";
			return EID_ERR_TOO_LARGE;
		}
		r = parse_cose_key(item, &ad->key, why);
		cbor_decref(&item);
		if (r != 0)
			return r;
		ad->cose = cx_rd_bytes(&rd, used);
		ad->cose_len = used;
	} else if (registration) {
		*why = "attested credential data missing";
		return EID_ERR_FORMAT;
	}
	if (ad->flags & AD_ED) {
		if ((r = cbor_load_first(rd.ptr, rd.len, &item, &used)) != 0) {
			*why = "extensions malformed";
			return r;
		}
		r = parse_extensions(item, registration, ad);
		cbor_decref(&item);
		if (r != 0) {
			*why = "extensions malformed";
			return r;
		}
		(void)cx_rd_bytes(&rd, used);
	}
	if ((r = cx_rd_end(&rd)) != 0) {
		*why = "authenticator data has trailing bytes";
		return r;
	}
	return 0;
}

/* The relying-party checks on authenticatorData shared by both ceremonies. */
static int
check_authdata(const struct srv_webauthn_params *p, const struct authdata *ad,
    const char **why)
{
	uint8_t want[RP_ID_HASH_LEN];

	SHA256((const unsigned char *)p->rp_id, strlen(p->rp_id), want);
	if (!cx_ct_equal(want, sizeof(want), ad->rp_id_hash, RP_ID_HASH_LEN)) {
		*why = "rp id hash mismatch";
		return EID_ERR_DENIED;
	}
	if (!(ad->flags & AD_UP)) {
		*why = "user presence missing";
		return EID_ERR_DENIED;
	}
	if (p->require_uv && !(ad->flags & AD_UV)) {
		*why = "user verification missing";
		return EID_ERR_DENIED;
	}
	if ((ad->flags & AD_BS) && !(ad->flags & AD_BE)) {
		*why = "backup state without backup eligibility";
		return EID_ERR_FORMAT;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------ */
/* clientDataJSON (WebAuthn 5.8.1)                                                      */

static int
json_str_is(const json_t *v, const char *s)
{
	size_t n = strlen(s);

	return json_string_length(v) == n && memcmp(json_string_value(v), s, n) == 0;
}

static int
check_client_data(const struct srv_webauthn_params *p, const uint8_t *cd, size_t cdlen,
    const char *want_type, uint8_t cdh[CDH_LEN], const char **why)
{
	json_t *root = NULL, *v;
	uint8_t chal[SRV_WEBAUTHN_CHALLENGE_LEN + 3];
	size_t chal_len = 0;
	int r = EID_ERR_FORMAT;

	if (cd == NULL || cdlen == 0) {
		*why = "client data missing";
		return EID_ERR_FORMAT;
	}
	if (cdlen > SRV_WEBAUTHN_MAX_CLIENT_DATA) {
		*why = "client data too large";
		return EID_ERR_TOO_LARGE;
	}
	/* jansson: UTF-8 checked, duplicate keys refused, no trailing data, depth capped */
	if ((root = json_loadb((const char *)cd, cdlen, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
	    !json_is_object(root)) {
		*why = "client data not a JSON object";
		goto out;
	}
	if (!json_is_string(v = json_object_get(root, "type"))) {
		*why = "client data type missing";
		goto out;
	}
	if (!json_str_is(v, want_type)) {
		*why = "type mismatch";
		r = EID_ERR_DENIED;
		goto out;
	}
	if (!json_is_string(v = json_object_get(root, "challenge"))) {
		*why = "challenge missing";
		goto out;
	}
	if (cx_b64url_decode(chal, sizeof(chal), &chal_len, json_string_value(v),
	    json_string_length(v)) != 0) {
		*why = "challenge malformed";
		goto out;
	}
	if (!cx_ct_equal(chal, chal_len, p->challenge, SRV_WEBAUTHN_CHALLENGE_LEN)) {
		*why = "challenge mismatch";
		r = EID_ERR_DENIED;
		goto out;
	}
	if (!json_is_string(v = json_object_get(root, "origin"))) {
		*why = "origin missing";
		goto out;
	}
	if (!json_str_is(v, p->origin)) {
		*why = "origin mismatch";
		r = EID_ERR_DENIED;
		goto out;
	}
	if ((v = json_object_get(root, "crossOrigin")) != NULL) {
		if (!json_is_boolean(v)) {
			*why = "crossOrigin malformed";
			goto out;
		}
		if (json_is_true(v)) {
			*why = "cross-origin request refused";
			r = EID_ERR_DENIED;
			goto out;
		}
	}
	SHA256(cd, cdlen, cdh);
	r = 0;
out:
	cx_wipe(chal, sizeof(chal));
	json_decref(root);
	return r;
}

/* ------------------------------------------------------------------------------------ */
/* attestation                                                                          */

struct attobj {
	cbor_item_t *root;              /* owns the items below */
	const cbor_item_t *fmt, *att_stmt, *auth_data;
};

static int
parse_attobj(const uint8_t *buf, size_t len, struct attobj *ao, const char **why)
{
	struct cbor_pair *pairs;
	const cbor_item_t **slot;
	size_t i, used = 0;
	int r;

	memset(ao, 0, sizeof(*ao));
	*why = "attestation object malformed";
	if (buf == NULL || len == 0)
		return EID_ERR_FORMAT;
	if (len > SRV_WEBAUTHN_MAX_ATTESTATION) {
		*why = "attestation object too large";
		return EID_ERR_TOO_LARGE;
	}
	if ((r = cbor_load_first(buf, len, &ao->root, &used)) != 0)
		return r;
	if (used != len)
		return EID_ERR_TRAILING_DATA;
	if (!cbor_isa_map(ao->root) || !cbor_map_is_definite(ao->root))
		return EID_ERR_FORMAT;
	pairs = cbor_map_handle(ao->root);
	for (i = 0; i < cbor_map_size(ao->root); i++) {
		if (cbor_text_is(pairs[i].key, "fmt"))
			slot = &ao->fmt;
		else if (cbor_text_is(pairs[i].key, "attStmt"))
			slot = &ao->att_stmt;
		else if (cbor_text_is(pairs[i].key, "authData"))
			slot = &ao->auth_data;
		else
			return EID_ERR_FORMAT;
		if (*slot != NULL)
			return EID_ERR_FORMAT;
		*slot = pairs[i].value;
	}
	if (ao->fmt == NULL || !cbor_isa_string(ao->fmt) || !cbor_string_is_definite(ao->fmt) ||
	    ao->att_stmt == NULL || !cbor_isa_map(ao->att_stmt) ||
	    !cbor_map_is_definite(ao->att_stmt) ||
	    ao->auth_data == NULL || !cbor_is_bytes(ao->auth_data))
		return EID_ERR_FORMAT;
	*why = "ok";
	return 0;
}

/* A packed attStmt: {alg, sig[, x5c]}. */
struct packed_stmt {
	int64_t alg;
	const cbor_item_t *sig;
	const cbor_item_t *x5c;         /* NULL for self attestation */
};

static int
parse_packed(const cbor_item_t *m, struct packed_stmt *ps, const char **why)
{
	struct cbor_pair *pairs = cbor_map_handle(m);
	const cbor_item_t *alg = NULL, **slot;
	cbor_item_t **certs;
	size_t i;

	memset(ps, 0, sizeof(*ps));
	*why = "attestation statement malformed";
	for (i = 0; i < cbor_map_size(m); i++) {
		if (cbor_text_is(pairs[i].key, "alg"))
			slot = &alg;
		else if (cbor_text_is(pairs[i].key, "sig"))
			slot = &ps->sig;
		else if (cbor_text_is(pairs[i].key, "x5c"))
			slot = &ps->x5c;
		else
			return EID_ERR_FORMAT;      /* ecdaaKeyId and anything else */
		if (*slot != NULL)
			return EID_ERR_FORMAT;
		*slot = pairs[i].value;
	}
	if (alg == NULL || cbor_int64(alg, &ps->alg) != 0 || ps->sig == NULL ||
	    !cbor_is_bytes(ps->sig) || cbor_bytestring_length(ps->sig) == 0 ||
	    cbor_bytestring_length(ps->sig) > SRV_WEBAUTHN_MAX_SIGNATURE)
		return EID_ERR_FORMAT;
	if (ps->x5c != NULL) {
		if (!cbor_isa_array(ps->x5c) || !cbor_array_is_definite(ps->x5c) ||
		    cbor_array_size(ps->x5c) < 1 || cbor_array_size(ps->x5c) > SRV_WEBAUTHN_MAX_X5C)
			return EID_ERR_FORMAT;
		certs = cbor_array_handle(ps->x5c);
		for (i = 0; i < cbor_array_size(ps->x5c); i++)
			if (!cbor_is_bytes(certs[i]) || cbor_bytestring_length(certs[i]) == 0)
				return EID_ERR_FORMAT;
	}
	*why = "ok";
	return 0;
}

static X509 *
der_to_x509(const cbor_item_t *bytes)
{
	const unsigned char *p = cbor_bytestring_handle(bytes);
	size_t n = cbor_bytestring_length(bytes);
	X509 *x;

	if (n > (size_t)INT32_MAX)
		return NULL;
	if ((x = d2i_X509(NULL, &p, (long)n)) == NULL)
		return NULL;
	if (p != cbor_bytestring_handle(bytes) + n) {   /* trailing bytes */
		X509_free(x);
		return NULL;
	}
	return x;
}

/* WebAuthn 8.2.1: the packed attestation certificate rules. */
static int
check_packed_leaf(X509 *leaf, const uint8_t *aaguid, const char **why)
{
	X509_NAME *subj = X509_get_subject_name(leaf);
	ASN1_OBJECT *oid = NULL;
	ASN1_OCTET_STRING *inner = NULL;
	const ASN1_STRING *ou;
	const unsigned char *q;
	X509_EXTENSION *ext;
	int idx, r = EID_ERR_TRUST;
	static const char want_ou[] = "Authenticator Attestation";

	*why = "attestation certificate not acceptable";
	if (X509_get_version(leaf) != 2)
		goto out;
	idx = subj != NULL ? X509_NAME_get_index_by_NID(subj, NID_organizationalUnitName, -1) : -1;
	if (idx < 0 || (ou = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, idx))) == NULL ||
	    ASN1_STRING_length(ou) != (int)strlen(want_ou) ||
	    memcmp(ASN1_STRING_get0_data(ou), want_ou, strlen(want_ou)) != 0)
		goto out;
	if (X509_check_ca(leaf) != 0)
		goto out;
	if ((oid = OBJ_txt2obj(OID_FIDO_AAGUID, 1)) == NULL) {
		r = EID_ERR_NOMEM;
		goto out;
	}
	if ((idx = X509_get_ext_by_OBJ(leaf, oid, -1)) >= 0) {
		ext = X509_get_ext(leaf, idx);
		if (X509_EXTENSION_get_critical(ext) ||
		    X509_get_ext_by_OBJ(leaf, oid, idx) >= 0) {
			*why = "attestation certificate AAGUID extension invalid";
			goto out;
		}
		q = ASN1_STRING_get0_data(X509_EXTENSION_get_data(ext));
		if ((inner = d2i_ASN1_OCTET_STRING(NULL, &q,
		    ASN1_STRING_length(X509_EXTENSION_get_data(ext)))) == NULL ||
		    q != ASN1_STRING_get0_data(X509_EXTENSION_get_data(ext)) +
		    ASN1_STRING_length(X509_EXTENSION_get_data(ext)) ||
		    !cx_ct_equal(ASN1_STRING_get0_data(inner), (size_t)ASN1_STRING_length(inner),
		    aaguid, SRV_WEBAUTHN_AAGUID_LEN)) {
			*why = "attestation certificate AAGUID mismatch";
			goto out;
		}
	}
	*why = "ok";
	r = 0;
out:
	ASN1_OCTET_STRING_free(inner);
	ASN1_OBJECT_free(oid);
	return r;
}

/*
 * The x5c leaf rules, then the chain to the operator's roots (when given): *trusted is
 * 1 only if X509_verify_cert accepts leaf + x5c[1..] against roots.
 */
static int
check_x5c(const cbor_item_t *x5c, const uint8_t *aaguid, X509_STORE *roots, int *trusted,
    const char **why)
{
	cbor_item_t **der = cbor_array_handle(x5c);
	STACK_OF(X509) *chain = NULL;
	X509_STORE_CTX *ctx = NULL;
	X509 *leaf = NULL, *c;
	size_t i;
	int r = EID_ERR_TRUST;

	*trusted = 0;
	*why = "attestation certificate malformed";
	if ((leaf = der_to_x509(der[0])) == NULL)
		goto out;
	if ((r = check_packed_leaf(leaf, aaguid, why)) != 0)
		goto out;
	r = EID_ERR_NOMEM;
	if ((chain = sk_X509_new_null()) == NULL)
		goto out;
	for (i = 1; i < cbor_array_size(x5c); i++) {
		if ((c = der_to_x509(der[i])) == NULL) {
			r = EID_ERR_TRUST;
			*why = "attestation certificate malformed";
			goto out;
		}
		if (sk_X509_push(chain, c) <= 0) {
			X509_free(c);
			goto out;
		}
	}
	if (roots != NULL) {
		if ((ctx = X509_STORE_CTX_new()) == NULL ||
		    X509_STORE_CTX_init(ctx, roots, leaf, chain) != 1)
			goto out;
		*trusted = X509_verify_cert(ctx) == 1;
	}
	*why = "ok";
	r = 0;
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_pop_free(chain, X509_free);
	X509_free(leaf);
	return r;
}

/* libfido2: the attestation signature (packed), and its parse of authData for all formats. */
static int
fido_check_registration(const struct srv_webauthn_params *p, const uint8_t *cdh,
    const cbor_item_t *auth_data, const struct authdata *ad, const cbor_item_t *att_stmt,
    const struct packed_stmt *ps, int packed, const char **why)
{
	fido_cred_t *cred = NULL;
	unsigned char *stmt = NULL;
	size_t stmt_len = 0, stmt_alloc = 0;
	int r = EID_ERR_NOMEM, fr;

	if ((cred = fido_cred_new()) == NULL)
		goto out;
	r = EID_ERR_FORMAT;
	*why = "authenticator data malformed";
	if (fido_cred_set_type(cred, ad->key.alg) != FIDO_OK ||
	    fido_cred_set_clientdata_hash(cred, cdh, CDH_LEN) != FIDO_OK ||
	    fido_cred_set_rp(cred, p->rp_id, NULL) != FIDO_OK ||
	    fido_cred_set_uv(cred, p->require_uv ? FIDO_OPT_TRUE : FIDO_OPT_OMIT) != FIDO_OK)
		goto out;
	if (ad->ext_mask != 0) {
		if (fido_cred_set_extensions(cred, ad->ext_mask) != FIDO_OK ||
		    ((ad->ext_mask & FIDO_EXT_CRED_PROTECT) &&
		    fido_cred_set_prot(cred, ad->ext_prot) != FIDO_OK) ||
		    ((ad->ext_mask & FIDO_EXT_MINPINLEN) &&
		    fido_cred_set_pin_minlen(cred, ad->ext_minpinlen) != FIDO_OK))
			goto out;
	}
	if (fido_cred_set_authdata_raw(cred, cbor_bytestring_handle(auth_data),
	    cbor_bytestring_length(auth_data)) != FIDO_OK)
		goto out;
	if (!packed) {
		r = 0;
		goto out;
	}
	*why = "attestation statement malformed";
	if ((stmt_len = cbor_serialize_alloc(att_stmt, &stmt, &stmt_alloc)) == 0 ||
	    fido_cred_set_fmt(cred, "packed") != FIDO_OK ||
	    fido_cred_set_attstmt(cred, stmt, stmt_len) != FIDO_OK)
		goto out;
	fr = ps->x5c != NULL ? fido_cred_verify(cred) : fido_cred_verify_self(cred);
	if (fr != FIDO_OK) {
		r = EID_ERR_BAD_SIGNATURE;
		*why = "attestation signature invalid";
		goto out;
	}
	r = 0;
out:
	free(stmt);
	fido_cred_free(&cred);
	return r;
}

void
srv_webauthn_challenge_new(uint8_t out[SRV_WEBAUTHN_CHALLENGE_LEN])
{
	cx_random(out, SRV_WEBAUTHN_CHALLENGE_LEN);
}

static int
params_ok(const struct srv_webauthn_params *p)
{
	return p != NULL && p->rp_id != NULL && p->rp_id[0] != '\0' && p->origin != NULL &&
	    p->origin[0] != '\0' && p->challenge != NULL;
}

int
srv_webauthn_verify_registration(const struct srv_webauthn_params *p,
    const uint8_t *client_data_json, size_t cdlen,
    const uint8_t *attestation_object, size_t aolen,
    struct srv_webauthn_credential *out, const char **why)
{
	struct attobj ao;
	struct authdata ad;
	struct packed_stmt ps;
	uint8_t cdh[CDH_LEN];
	const char *w = "invalid argument";
	int r = EID_ERR_INVALID_ARGUMENT, packed = 0, trusted = 0;
	enum srv_webauthn_attestation att = SRV_WEBAUTHN_ATT_NONE;

	memset(&ao, 0, sizeof(ao));
	memset(&ps, 0, sizeof(ps));
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (!params_ok(p) || out == NULL ||
	    (p->require_attestation && p->attestation_roots == NULL))
		goto out;
	if ((r = check_client_data(p, client_data_json, cdlen, "webauthn.create", cdh, &w)) != 0)
		goto out;
	if ((r = parse_attobj(attestation_object, aolen, &ao, &w)) != 0)
		goto out;
	if ((r = parse_authdata(cbor_bytestring_handle(ao.auth_data),
	    cbor_bytestring_length(ao.auth_data), 1, &ad, &w)) != 0)
		goto out;
	if ((r = check_authdata(p, &ad, &w)) != 0)
		goto out;

	/* the attestation statement format */
	if (cbor_text_is(ao.fmt, "none")) {
		if (cbor_map_size(ao.att_stmt) != 0) {
			r = EID_ERR_FORMAT;
			w = "attestation statement malformed";
			goto out;
		}
	} else if (cbor_text_is(ao.fmt, "packed")) {
		if ((r = parse_packed(ao.att_stmt, &ps, &w)) != 0)
			goto out;
		packed = 1;
		att = ps.x5c != NULL ? SRV_WEBAUTHN_ATT_UNVERIFIED : SRV_WEBAUTHN_ATT_SELF;
		if (ps.x5c == NULL && ps.alg != ad.key.alg) {
			r = EID_ERR_FORMAT;
			w = "attestation algorithm mismatch";
			goto out;
		}
	} else {
		r = EID_ERR_UNSUPPORTED;
		w = "unsupported attestation format";
		goto out;
	}
	if (p->require_attestation && att != SRV_WEBAUTHN_ATT_UNVERIFIED) {
		r = EID_ERR_TRUST;
		w = "attestation required";
		goto out;
	}

	/* signatures (libfido2), then the certificate chain */
	if ((r = fido_check_registration(p, cdh, ao.auth_data, &ad, ao.att_stmt, &ps, packed,
	    &w)) != 0)
		goto out;
	if (att == SRV_WEBAUTHN_ATT_UNVERIFIED) {
		if ((r = check_x5c(ps.x5c, ad.aaguid, p->attestation_roots, &trusted, &w)) != 0)
			goto out;
		if (trusted)
			att = SRV_WEBAUTHN_ATT_TRUSTED;
		else if (p->require_attestation) {
			r = EID_ERR_TRUST;
			w = "attestation chain untrusted";
			goto out;
		}
	}

	/* decide */
	memcpy(out->cred_id, ad.cred_id, ad.cred_id_len);
	out->cred_id_len = ad.cred_id_len;
	memcpy(out->cose_key, ad.cose, ad.cose_len);
	out->cose_key_len = ad.cose_len;
	out->alg = ad.key.alg;
	out->sign_count = ad.sign_count;
	memcpy(out->aaguid, ad.aaguid, SRV_WEBAUTHN_AAGUID_LEN);
	out->uv = (ad.flags & AD_UV) != 0;
	out->be = (ad.flags & AD_BE) != 0;
	out->bs = (ad.flags & AD_BS) != 0;
	out->attestation = att;
	w = "ok";
	r = 0;
out:
	if (ao.root != NULL)    /* libcbor's cbor_decref does not take NULL */
		cbor_decref(&ao.root);
	if (why != NULL)
		*why = w;
	return r;
}

/* The stored COSE key as a libfido2 public key of the stored algorithm. */
static int
stored_key_to_fido(const struct srv_webauthn_stored *cred, void **pk, const char **why)
{
	struct cose_key k;
	cbor_item_t *item = NULL;
	uint8_t buf[sizeof(k.n) + sizeof(k.e)];
	size_t used = 0;
	int r;

	*pk = NULL;
	*why = "stored public key malformed";
	if (cred->cose_key == NULL || cred->cose_key_len == 0 ||
	    cred->cose_key_len > SRV_WEBAUTHN_MAX_COSE_KEY)
		return EID_ERR_INVALID_ARGUMENT;
	if ((r = cbor_load_first(cred->cose_key, cred->cose_key_len, &item, &used)) != 0)
		return r;
	r = used != cred->cose_key_len ? EID_ERR_TRAILING_DATA : parse_cose_key(item, &k, why);
	cbor_decref(&item);
	if (r != 0)
		return r;
	if (k.alg != cred->alg) {
		*why = "stored algorithm mismatch";
		return EID_ERR_INVALID_ARGUMENT;
	}
	r = EID_ERR_NOMEM;
	switch (k.alg) {
	case SRV_WEBAUTHN_ALG_ES256:
		memcpy(buf, k.x, 32);
		memcpy(buf + 32, k.y, 32);
		if ((*pk = es256_pk_new()) != NULL)
			r = es256_pk_from_ptr(*pk, buf, 64) == FIDO_OK ? 0 : EID_ERR_KEY;
		break;
	case SRV_WEBAUTHN_ALG_EDDSA:
		if ((*pk = eddsa_pk_new()) != NULL)
			r = eddsa_pk_from_ptr(*pk, k.x, 32) == FIDO_OK ? 0 : EID_ERR_KEY;
		break;
	default:
		memcpy(buf, k.n, sizeof(k.n));
		memcpy(buf + sizeof(k.n), k.e, sizeof(k.e));
		if ((*pk = rs256_pk_new()) != NULL)
			r = rs256_pk_from_ptr(*pk, buf, sizeof(buf)) == FIDO_OK ? 0 : EID_ERR_KEY;
		break;
	}
	if (r == 0)
		*why = "ok";
	return r;
}

static void
fido_pk_free(int alg, void **pk)
{
	if (*pk == NULL)
		return;
	if (alg == SRV_WEBAUTHN_ALG_ES256)
		es256_pk_free((es256_pk_t **)pk);
	else if (alg == SRV_WEBAUTHN_ALG_EDDSA)
		eddsa_pk_free((eddsa_pk_t **)pk);
	else
		rs256_pk_free((rs256_pk_t **)pk);
	*pk = NULL;
}

int
srv_webauthn_verify_assertion(const struct srv_webauthn_params *p,
    const struct srv_webauthn_stored *cred, const struct srv_webauthn_assertion *a,
    struct srv_webauthn_assertion_result *out, const char **why)
{
	struct authdata ad;
	fido_assert_t *fa = NULL;
	void *pk = NULL;
	uint8_t cdh[CDH_LEN];
	const char *w = "invalid argument";
	int r = EID_ERR_INVALID_ARGUMENT;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (!params_ok(p) || cred == NULL || a == NULL || out == NULL ||
	    cred->cred_id == NULL || cred->cred_id_len == 0 ||
	    cred->cred_id_len > SRV_WEBAUTHN_MAX_CRED_ID ||
	    (cred->user_handle == NULL && cred->user_handle_len != 0))
		goto out;

	/* the credential the browser used is the one the caller looked up */
	if (a->cred_id == NULL || !cx_ct_equal(a->cred_id, a->cred_id_len, cred->cred_id,
	    cred->cred_id_len)) {
		r = EID_ERR_DENIED;
		w = "credential id mismatch";
		goto out;
	}
	if ((r = stored_key_to_fido(cred, &pk, &w)) != 0)
		goto out;
	if ((r = check_client_data(p, a->client_data_json, a->client_data_len, "webauthn.get",
	    cdh, &w)) != 0)
		goto out;
	r = EID_ERR_FORMAT;
	w = "authenticator data malformed";
	if (a->authenticator_data == NULL)
		goto out;
	if (a->authenticator_data_len > SRV_WEBAUTHN_MAX_AUTHDATA) {
		r = EID_ERR_TOO_LARGE;
		goto out;
	}
	if ((r = parse_authdata(a->authenticator_data, a->authenticator_data_len, 0, &ad,
	    &w)) != 0)
		goto out;
	if ((r = check_authdata(p, &ad, &w)) != 0)
		goto out;
	if (((ad.flags & AD_BE) != 0) != (cred->be != 0)) {
		r = EID_ERR_DENIED;
		w = "backup eligibility changed";
		goto out;
	}
	if (a->user_handle_len != 0 && (a->user_handle == NULL || cred->user_handle == NULL ||
	    !cx_ct_equal(a->user_handle, a->user_handle_len, cred->user_handle,
	    cred->user_handle_len))) {
		r = EID_ERR_DENIED;
		w = "user handle mismatch";
		goto out;
	}

	/* the signature, by libfido2, with the flags it checks set explicitly */
	r = EID_ERR_BAD_SIGNATURE;
	w = "signature invalid";
	if (a->signature == NULL || a->signature_len == 0 ||
	    a->signature_len > SRV_WEBAUTHN_MAX_SIGNATURE)
		goto out;
	r = EID_ERR_NOMEM;
	if ((fa = fido_assert_new()) == NULL)
		goto out;
	r = EID_ERR_FORMAT;
	w = "authenticator data malformed";
	if (fido_assert_set_count(fa, 1) != FIDO_OK ||
	    fido_assert_set_rp(fa, p->rp_id) != FIDO_OK ||
	    fido_assert_set_clientdata_hash(fa, cdh, sizeof(cdh)) != FIDO_OK ||
	    fido_assert_set_up(fa, FIDO_OPT_TRUE) != FIDO_OK ||
	    fido_assert_set_uv(fa, p->require_uv ? FIDO_OPT_TRUE : FIDO_OPT_OMIT) != FIDO_OK ||
	    (ad.ext_mask != 0 && fido_assert_set_extensions(fa,
	    ad.ext_mask) != FIDO_OK) ||
	    fido_assert_set_authdata_raw(fa, 0, a->authenticator_data,
	    a->authenticator_data_len) != FIDO_OK)
		goto out;
	r = EID_ERR_BAD_SIGNATURE;
	w = "signature invalid";
	if (fido_assert_set_sig(fa, 0, a->signature, a->signature_len) != FIDO_OK ||
	    fido_assert_verify(fa, 0, cred->alg, pk) != FIDO_OK)
		goto out;

	/* the counter, last */
	if ((r = srv_webauthn_check_counter(cred->sign_count, ad.sign_count, &w)) != 0)
		goto out;
	out->sign_count = ad.sign_count;
	out->uv = (ad.flags & AD_UV) != 0;
	out->be = (ad.flags & AD_BE) != 0;
	out->bs = (ad.flags & AD_BS) != 0;
	w = "ok";
	r = 0;
out:
	fido_assert_free(&fa);
	if (cred != NULL)
		fido_pk_free(cred->alg, &pk);
	if (why != NULL)
		*why = w;
	return r;
}

int
srv_webauthn_check_counter(uint32_t stored, uint32_t received, const char **why)
{
	const char *w = "ok";
	int r = 0;

	if (stored == 0 && received == 0)
		;                       /* the authenticator keeps no counter */
	else if (received == stored) {
		r = EID_ERR_REPLAY;
		w = "counter did not increase";
	} else if (received < stored) {
		r = EID_ERR_REPLAY;
		w = "counter went backwards";
	}
	if (why != NULL)
		*why = w;
	return r;
}

int
srv_webauthn_roots_load(const char *pem_path, X509_STORE **out)
{
	X509_STORE *st = NULL;
	int r = EID_ERR_INVALID_ARGUMENT;

	if (out == NULL)
		return r;
	*out = NULL;
	if (pem_path == NULL)
		return r;
	r = EID_ERR_NOMEM;
	if ((st = X509_STORE_new()) == NULL)
		goto out;
	r = EID_ERR_TRUST;
	if (X509_STORE_load_file(st, pem_path) != 1 ||
	    sk_X509_OBJECT_num(X509_STORE_get0_objects(st)) < 1)
		goto out;
	*out = st;
	st = NULL;
	r = 0;
out:
	X509_STORE_free(st);
	return r;
}

int
srv_webauthn_origin_from_url(const char *url, char *origin, size_t origin_sz, char *rp_id,
    size_t rp_id_sz)
{
	const char *scheme, *host, *s;
	size_t scheme_len, host_len, port_len = 0, i;
	unsigned long port = 0;
	int n;

	if (url == NULL || origin == NULL || rp_id == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if (strncasecmp(url, "https://", 8) == 0) {
		scheme = "https";
		scheme_len = 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		scheme = "http";
		scheme_len = 7;
	} else {
		return EID_ERR_FORMAT;
	}
	host = url + scheme_len;
	for (s = host; *s != '\0' && *s != ':' && *s != '/' && *s != '?' && *s != '#'; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.')
			return EID_ERR_FORMAT;   /* userinfo, IPv6 literals, odd bytes */
	host_len = (size_t)(s - host);
	if (host_len == 0 || host[0] == '.' || host[host_len - 1] == '.')
		return EID_ERR_FORMAT;
	if (*s == ':') {
		for (s++; *s >= '0' && *s <= '9' && port_len < 6; s++, port_len++)
			port = port * 10 + (unsigned long)(*s - '0');
		if (port_len == 0 || port_len > 5 || port == 0 || port > 65535)
			return EID_ERR_FORMAT;
	}
	if (*s != '\0' && *s != '/' && *s != '?' && *s != '#')
		return EID_ERR_FORMAT;
	if (host_len + 1 > rp_id_sz)
		return EID_ERR_TOO_LARGE;
	for (i = 0; i < host_len; i++)
		rp_id[i] = (char)tolower((unsigned char)host[i]);
	rp_id[host_len] = '\0';
	/* browsers serialise an origin without its scheme's default port */
	if (port == 0 || (scheme_len == 8 && port == 443) || (scheme_len == 7 && port == 80))
		n = snprintf(origin, origin_sz, "%s://%s", scheme, rp_id);
	else
		n = snprintf(origin, origin_sz, "%s://%s:%lu", scheme, rp_id, port);
	if (n < 0 || (size_t)n >= origin_sz) {
		origin[0] = '\0';
		return EID_ERR_TOO_LARGE;
	}
	return 0;
}
