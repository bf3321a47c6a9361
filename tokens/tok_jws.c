/* tok_jws.c - compact JWS sign and verify (see tok_jws.h). */
#include <stdlib.h>
#include <string.h>

#include "cx_buf.h"
#include "eid_limits.h"
#include "tok_jws.h"
#include "tok_util.h"

/* The three segments of a compact JWS, borrowed from the input. */
struct jws_parts {
	const char *hdr, *pay, *sig;
	size_t hlen, plen, slen;
	size_t signed_len;      /* header '.' payload */
};

static int
jws_split(const char *s, size_t len, struct jws_parts *p)
{
	const char *d1, *d2;

	memset(p, 0, sizeof(*p));
	if ((d1 = memchr(s, '.', len)) == NULL)
		return EID_ERR_JWS;
	if ((d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - s))) == NULL)
		return EID_ERR_JWS;
	if (memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - s)) != NULL)
		return EID_ERR_JWS;         /* JWE (five parts) or junk */
	p->hdr = s;
	p->hlen = (size_t)(d1 - s);
	p->pay = d1 + 1;
	p->plen = (size_t)(d2 - p->pay);
	p->sig = d2 + 1;
	p->slen = len - (size_t)(p->sig - s);
	p->signed_len = (size_t)(d2 - s);
	if (p->hlen == 0 || p->slen == 0)   /* an empty payload is legal (RFC 7515) */
		return EID_ERR_JWS;
	return 0;
}

static int
alg_allowed(enum tok_alg alg, const enum tok_alg *allowed, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (allowed[i] == alg)
			return 1;
	return 0;
}

/* Header rules: alg allowlisted, kid a string if present, crit absent or []. */
static int
jws_header_check(const json_t *h, const enum tok_alg *allowed, size_t nallowed,
    enum tok_alg *alg, const char **kid)
{
	const json_t *a = json_object_get(h, "alg");
	const json_t *k = json_object_get(h, "kid");
	const json_t *crit = json_object_get(h, "crit");

	*kid = NULL;
	if (!json_is_string(a))
		return EID_ERR_JWS;
	if (tok_alg_from_name(json_string_value(a), alg) != 0 ||
	    !alg_allowed(*alg, allowed, nallowed))
		return EID_ERR_ALG_NOT_ALLOWED;
	if (crit != NULL && (!json_is_array(crit) || json_array_size(crit) != 0))
		return EID_ERR_JWS;
	if (k != NULL) {
		if (!json_is_string(k) || json_string_length(k) != strlen(json_string_value(k)))
			return EID_ERR_JWS;
		*kid = json_string_value(k);
	}
	return 0;
}

static int
jws_decode_header(const struct jws_parts *p, json_t **hdr)
{
	uint8_t *raw = NULL;
	size_t n = 0;
	int r;

	*hdr = NULL;
	if (tok_b64url_decode_alloc(p->hdr, p->hlen, EID_JWS_MAX_BYTES, &raw, &n) != 0)
		return EID_ERR_JWS;
	r = tok_json_load_object((const char *)raw, n, EID_JWS_MAX_BYTES, hdr) == 0 ? 0 : EID_ERR_JWS;
	free(raw);
	return r;
}

int
tok_jws_verify(const char *compact, size_t len, const enum tok_alg *allowed, size_t nallowed,
    tok_key_lookup_fn lookup, void *ctx, json_t **header, uint8_t **payload, size_t *plen)
{
	struct jws_parts p;
	json_t *hdr = NULL;
	uint8_t *pay = NULL, *sig = NULL;
	size_t paylen = 0, siglen = 0;
	const struct tok_key *key;
	enum tok_alg alg = TOK_ALG_NONE_;
	const char *kid = NULL;
	int r;

	if (header == NULL || payload == NULL || plen == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	*header = NULL;
	*payload = NULL;
	*plen = 0;
	if (compact == NULL || lookup == NULL || (allowed == NULL && nallowed > 0))
		return EID_ERR_INVALID_ARGUMENT;
	if (len > EID_JWS_MAX_BYTES)
		return EID_ERR_TOO_LARGE;
	if ((r = jws_split(compact, len, &p)) != 0 || (r = jws_decode_header(&p, &hdr)) != 0)
		goto out;
	if ((r = jws_header_check(hdr, allowed, nallowed, &alg, &kid)) != 0)
		goto out;
	if (tok_b64url_decode_alloc(p.pay, p.plen, EID_JWS_MAX_BYTES, &pay, &paylen) != 0 ||
	    tok_b64url_decode_alloc(p.sig, p.slen, TOK_SIG_MAX_BYTES, &sig, &siglen) != 0) {
		r = EID_ERR_JWS;
		goto out;
	}
	if ((key = lookup(ctx, kid, alg)) == NULL) {
		r = EID_ERR_KID_UNKNOWN;
		goto out;
	}
	if (tok_key_alg(key) != alg) {
		r = EID_ERR_ALG_NOT_ALLOWED;
		goto out;
	}
	if ((r = tok_sig_verify(alg, key, compact, p.signed_len, sig, siglen)) != 0)
		goto out;
	*header = hdr;
	*payload = pay;
	*plen = paylen;
	hdr = NULL;
	pay = NULL;
out:
	json_decref(hdr);
	free(pay);
	free(sig);
	return r;
}

static int
jws_header_b64(const struct tok_key *key, const char *typ, char **out)
{
	json_t *h = NULL;
	char *txt = NULL;
	int r = EID_ERR_NOMEM;

	*out = NULL;
	if ((h = json_object()) == NULL ||
	    json_object_set_new(h, "alg", json_string(tok_alg_name(tok_key_alg(key)))) != 0 ||
	    json_object_set_new(h, "kid", json_string(tok_key_kid(key))) != 0 ||
	    (typ != NULL && json_object_set_new(h, "typ", json_string(typ)) != 0))
		goto out;
	if ((txt = json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
		goto out;
	r = tok_b64url_encode_alloc(txt, strlen(txt), out);
out:
	free(txt);
	json_decref(h);
	return r;
}

int
tok_jws_sign(const struct tok_key *key, const char *typ, const void *payload, size_t len,
    char **out)
{
	struct cx_dynbuf b;
	char *hdr = NULL, *pay = NULL, *sigb = NULL;
	uint8_t *sig = NULL;
	size_t siglen = 0;
	int r;

	if (out == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	*out = NULL;
	if (key == NULL || (payload == NULL && len > 0))
		return EID_ERR_INVALID_ARGUMENT;
	if (len > EID_JWS_MAX_BYTES)
		return EID_ERR_TOO_LARGE;
	cx_dynbuf_init(&b, EID_JWS_MAX_BYTES);
	if ((r = jws_header_b64(key, typ, &hdr)) != 0 ||
	    (r = tok_b64url_encode_alloc(payload, len, &pay)) != 0 ||
	    (r = cx_dynbuf_add_str(&b, hdr)) != 0 ||
	    (r = cx_dynbuf_add_str(&b, ".")) != 0 ||
	    (r = cx_dynbuf_add_str(&b, pay)) != 0 ||
	    (r = tok_sig_sign(key, b.ptr, b.len, &sig, &siglen)) != 0 ||
	    (r = tok_b64url_encode_alloc(sig, siglen, &sigb)) != 0 ||
	    (r = cx_dynbuf_add_str(&b, ".")) != 0 ||
	    (r = cx_dynbuf_add_str(&b, sigb)) != 0)
		goto out;
	*out = cx_dynbuf_take(&b, NULL);
	if (*out == NULL)
		r = EID_ERR_NOMEM;
out:
	cx_dynbuf_free(&b);
	free(hdr);
	free(pay);
	free(sig);
	free(sigb);
	return r;
}
