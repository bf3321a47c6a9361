/* srv_tokens.c - RFC 9068 access tokens (see srv_tokens.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <sodium.h>

#include "cx_util.h"
#include "eid_limits.h"
#include "srv_keys.h"
#include "srv_oauth_client.h"
#include "srv_secret.h"
#include "srv_revocations.h"
#include "srv_tokens.h"
#include "tok_jsonw.h"
#include "tok_jws.h"
#include "tok_jwt.h"
#include "tok_keyset.h"
#include "tok_util.h"

#define DENYLIST_SECTION "atrev"

/* Room for b64url_public of n bytes (standard base64 with padding, and a NUL). */
#define B64_ROOM(n) (4 * (((n) + 2) / 3) + 1)

/*
 * base64url without padding of public bytes into out (B64_ROOM(n)); returns the length.
 * Tokens, their hashes and sealed (encrypted) values are public, so they go through
 * OpenSSL's table encoder rather than the constant-time one kept for secrets.
 */
static size_t
b64url_public(char *out, const void *in, size_t n)
{
	int len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	size_t i, m = len > 0 ? (size_t)len : 0;

	while (m > 0 && out[m - 1] == '=')
		m--;
	for (i = 0; i < m; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	out[m] = '\0';
	return m;
}

int
srv_tokens_access_claims(const char *issuer, const struct srv_access_token_params *p,
    time_t now, const char *jti, json_t **out)
{
	long lifetime = p->lifetime > 0 ? p->lifetime : SRV_ACCESS_TOKEN_LIFETIME;
	json_t *c = NULL;
	int r;

	*out = NULL;
	if (p->client_id == NULL || p->sub == NULL || jti == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if ((r = tok_jwt_claims_new(issuer, p->sub, p->aud != NULL ? p->aud : issuer, now,
	    lifetime, &c)) != 0)
		return r;
	r = EID_ERR_NOMEM;
	/* RFC 9068 2.2: nbf is optional; leave it out, exp/iat carry the window */
	(void)json_object_del(c, "nbf");
	if (json_object_set_new(c, "client_id", json_string(p->client_id)) != 0 ||
	    json_object_set_new(c, "jti", json_string(jti)) != 0 ||
	    (p->scope != NULL && json_object_set_new(c, "scope", json_string(p->scope)) != 0) ||
	    (p->acr != NULL && json_object_set_new(c, "acr", json_string(p->acr)) != 0) ||
	    (p->auth_time > 0 && json_object_set_new(c, "auth_time", json_integer(p->auth_time)) != 0))
		goto out;
	*out = c;
	c = NULL;
	r = 0;
out:
	json_decref(c);
	return r;
}

/* tok_jwt_claims_new's bound on NumericDate values (year 9999). */
#define CLAIMS_DATE_MAX 253402300800LL

/* 1 if tok_jwt_claims_new takes iat and lifetime (else the general way reports it). */
static int
claims_times_ok(time_t iat, long lifetime)
{
	return iat >= 0 && lifetime > 0 && (long long)iat <= CLAIMS_DATE_MAX &&
	    lifetime <= CLAIMS_DATE_MAX - (long long)iat;
}

int
srv_tokens_access_text(const char *issuer, const struct srv_access_token_params *p,
    time_t now, const char *jti, const char *eid_ref, struct cx_dynbuf *out)
{
	long lifetime = p->lifetime > 0 ? p->lifetime : SRV_ACCESS_TOKEN_LIFETIME;
	struct tok_jsonw w;

	if (issuer == NULL || p->client_id == NULL || p->sub == NULL || jti == NULL ||
	    !claims_times_ok(now, lifetime))
		return EID_ERR_UNSUPPORTED;
	/* the members and order of srv_tokens_access_claims (+ seal_account's eid_ref) */
	tok_jsonw_begin(&w, out);
	tok_jsonw_str(&w, "iss", issuer);
	tok_jsonw_str(&w, "sub", p->sub);
	tok_jsonw_str(&w, "aud", p->aud != NULL ? p->aud : issuer);
	tok_jsonw_int(&w, "iat", (long long)now);
	tok_jsonw_int(&w, "exp", (long long)now + lifetime);
	tok_jsonw_str(&w, "client_id", p->client_id);
	tok_jsonw_str(&w, "jti", jti);
	if (p->scope != NULL)
		tok_jsonw_str(&w, "scope", p->scope);
	if (p->acr != NULL)
		tok_jsonw_str(&w, "acr", p->acr);
	if (p->auth_time > 0)
		tok_jsonw_int(&w, "auth_time", p->auth_time);
	if (eid_ref != NULL)
		tok_jsonw_str(&w, "eid_ref", eid_ref);
	return tok_jsonw_end(&w);
}

#define REF_MAX_ACCOUNT 64

#define REF_BOX_MAX (crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + REF_MAX_ACCOUNT)

/* The "eid_ref" value for account into enc. */
static int
seal_ref(const struct srv_secret *secret, const char *account, char enc[B64_ROOM(REF_BOX_MAX)])
{
	uint8_t key[32], box[REF_BOX_MAX];
	size_t n = strlen(account);

	if (n == 0 || n > REF_MAX_ACCOUNT)
		return EID_ERR_INVALID_ARGUMENT;
	srv_secret_derive(secret, SRV_SUBKEY_TOKEN_REF, key);
	cx_random(box, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, (const uint8_t *)account, n, box, key);
	cx_wipe(key, sizeof(key));
	(void)b64url_public(enc, box, crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n);
	return 0;
}

static int
seal_account(const struct srv_secret *secret, const char *account, json_t *claims)
{
	char enc[B64_ROOM(REF_BOX_MAX)];
	int r;

	if ((r = seal_ref(secret, account, enc)) != 0)
		return r;
	return json_object_set_new(claims, "eid_ref", json_string(enc)) == 0 ? 0 : EID_ERR_NOMEM;
}

int
srv_tokens_account_ref(const struct srv_secret *secret, const json_t *claims, char **account)
{
	const char *ref = json_string_value(json_object_get(claims, "eid_ref"));
	uint8_t key[32], box[crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + REF_MAX_ACCOUNT];
	uint8_t plain[REF_MAX_ACCOUNT + 1];
	size_t n = 0;
	int r = EID_ERR_NOT_FOUND;

	*account = NULL;
	if (ref == NULL || cx_b64url_decode(box, sizeof(box), &n, ref, strlen(ref)) != 0 ||
	    n <= crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
		return EID_ERR_NOT_FOUND;
	srv_secret_derive(secret, SRV_SUBKEY_TOKEN_REF, key);
	if (crypto_secretbox_open_easy(plain, box + crypto_secretbox_NONCEBYTES,
	    n - crypto_secretbox_NONCEBYTES, box, key) == 0) {
		n -= crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
		plain[n] = '\0';
		if (strlen((char *)plain) == n) {
			*account = strdup((char *)plain);
			r = *account != NULL ? 0 : EID_ERR_NOMEM;
		}
	}
	cx_wipe(key, sizeof(key));
	cx_wipe(plain, sizeof(plain));
	return r;
}

int
srv_tokens_at_hash(enum tok_alg alg, const char *access_token, char *out, size_t outsz)
{
	unsigned char h[64];
	char enc[B64_ROOM(32)];
	size_t hl, n;

	if (alg == TOK_ALG_EDDSA) {
		crypto_hash_sha512(h, (const unsigned char *)access_token, strlen(access_token));
		hl = 64;
	} else {
		if (cx_sha256(h, access_token, strlen(access_token)) != 0)
			return EID_ERR_CRYPTO;
		hl = 32;
	}
	/* the left-most half of the hash, base64url */
	n = b64url_public(enc, h, hl / 2);
	if (n >= outsz)
		return EID_ERR_TOO_LARGE;
	memcpy(out, enc, n + 1);
	return 0;
}

/*
 * Authentication claims only. The scope claims (profile, citizen_id, address, phone,
 * email) are released by /userinfo: every flow we support issues an access token, and
 * OIDC Core 5.4 puts them in the ID token only when none is issued.
 */
int
srv_tokens_id_claims(const char *issuer, const struct srv_id_token_params *p, time_t now,
    json_t **out)
{
	char ath[CX_B64URL_LEN(32)];
	json_t *c = NULL;
	int r;

	*out = NULL;
	if (p->client_id == NULL || p->sub == NULL || p->acr == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if ((r = tok_jwt_claims_new(issuer, p->sub, p->client_id, now, SRV_ID_TOKEN_LIFETIME, &c)) != 0)
		return r;
	(void)json_object_del(c, "nbf");
	r = EID_ERR_NOMEM;
	if (json_object_set_new(c, "auth_time", json_integer(p->auth_time)) != 0 ||
	    json_object_set_new(c, "acr", json_string(p->acr)) != 0 ||
	    json_object_set_new(c, "azp", json_string(p->client_id)) != 0 ||
	    (p->amr != NULL && json_object_set(c, "amr", (json_t *)p->amr) != 0) ||
	    (p->nonce != NULL && json_object_set_new(c, "nonce", json_string(p->nonce)) != 0) ||
	    (p->sid != NULL && json_object_set_new(c, "sid", json_string(p->sid)) != 0))
		goto out;
	if (p->access_token != NULL) {
		if ((r = srv_tokens_at_hash(p->alg, p->access_token, ath, sizeof(ath))) != 0)
			goto out;
		r = EID_ERR_NOMEM;
		if (json_object_set_new(c, "at_hash", json_string(ath)) != 0)
			goto out;
	}
	*out = c;
	c = NULL;
	r = 0;
out:
	json_decref(c);
	return r;
}

int
srv_tokens_id_text(const char *issuer, const struct srv_id_token_params *p, time_t now,
    struct cx_dynbuf *out)
{
	char ath[CX_B64URL_LEN(64)];
	struct tok_jsonw w;
	int r;

	if (issuer == NULL || p->client_id == NULL || p->sub == NULL || p->acr == NULL ||
	    !claims_times_ok(now, SRV_ID_TOKEN_LIFETIME))
		return EID_ERR_UNSUPPORTED;
	/* the members and order of srv_tokens_id_claims */
	tok_jsonw_begin(&w, out);
	tok_jsonw_str(&w, "iss", issuer);
	tok_jsonw_str(&w, "sub", p->sub);
	tok_jsonw_str(&w, "aud", p->client_id);
	tok_jsonw_int(&w, "iat", (long long)now);
	tok_jsonw_int(&w, "exp", (long long)now + SRV_ID_TOKEN_LIFETIME);
	tok_jsonw_int(&w, "auth_time", p->auth_time);
	tok_jsonw_str(&w, "acr", p->acr);
	tok_jsonw_str(&w, "azp", p->client_id);
	if (p->amr != NULL)
		tok_jsonw_strings(&w, "amr", p->amr);
	if (p->nonce != NULL)
		tok_jsonw_str(&w, "nonce", p->nonce);
	if (p->sid != NULL)
		tok_jsonw_str(&w, "sid", p->sid);
	if (p->access_token != NULL && w.err == 0) {
		if ((r = srv_tokens_at_hash(p->alg, p->access_token, ath, sizeof(ath))) != 0)
			return r;
		tok_jsonw_str(&w, "at_hash", ath);
	}
	return tok_jsonw_end(&w);
}

/* The calling thread's object under key: size zeroed bytes made on first use (the key's
 * destructor frees it); NULL on failure. */
static void *
thread_object(pthread_key_t key, size_t size)
{
	void *p = pthread_getspecific(key);

	if (p == NULL) {
		if ((p = calloc(1, size)) == NULL)
			return NULL;
		if (pthread_setspecific(key, p) != 0) {
			free(p);
			return NULL;
		}
	}
	return p;
}

/* The signed-token keys as they are now (reloaded when keys_generation moved); the
 * caller releases the snapshot. */
static const struct srv_keys_snapshot *
keys_current(struct srv_app *app)
{
	(void)srv_keys_refresh(app->keys);
	return srv_keys_acquire(app->keys);
}

/*
 * The ES256 signer for our own tokens. Every client_credentials request signs one
 * access token and every code exchange an access and an ID token, so what does not
 * change between tokens is kept per thread: the base64url JWS headers of the active key
 * ({"alg":"ES256","kid":...,"typ":"at+jwt"} and the same with "JWT": the bytes
 * tok_jws_sign makes) and an EVP_PKEY_CTX set up for signing with that key. The context
 * holds a reference to the key, so while it is cached the key cannot be freed and its
 * address not reused: a pointer compare tells whether the active key is still the same.
 * The signature is ECDSA P-256 over SHA-256, as raw r||s (RFC 7518 3.4). Tokens are
 * public data, so they are base64url-encoded with OpenSSL's table encoder, not the
 * constant-time one kept for secrets.
 */
static const char *const signer_typs[] = { SRV_ACCESS_TOKEN_TYP, "JWT" };
#define SIGNER_TYPS (sizeof(signer_typs) / sizeof(signer_typs[0]))

struct es256_signer {
	EVP_PKEY *pkey;             /* the key ctx signs with (our own reference) */
	EVP_PKEY_CTX *ctx;
	char *header[SIGNER_TYPS];  /* base64url JWS header per signer_typs entry */
	size_t header_len[SIGNER_TYPS];
};

static pthread_key_t signer_key;
static pthread_once_t signer_once = PTHREAD_ONCE_INIT;
static int signer_key_ok;

static void
signer_reset(struct es256_signer *s)
{
	size_t i;

	EVP_PKEY_CTX_free(s->ctx);
	EVP_PKEY_free(s->pkey);
	for (i = 0; i < SIGNER_TYPS; i++)
		free(s->header[i]);
	memset(s, 0, sizeof(*s));
}

static void
signer_destroy(void *p)
{
	if (p != NULL) {
		signer_reset(p);
		free(p);
	}
}

static void
signer_key_init(void)
{
	signer_key_ok = pthread_key_create(&signer_key, signer_destroy) == 0;
}

/* The calling thread's signer for key, (re)made when the key changed; NULL on failure. */
static struct es256_signer *
signer_for(const struct tok_key *key)
{
	EVP_PKEY *pkey = tok_key_evp(key);
	struct es256_signer *s;
	size_t i;

	if (pthread_once(&signer_once, signer_key_init) != 0 || !signer_key_ok ||
	    (s = thread_object(signer_key, sizeof(*s))) == NULL)
		return NULL;
	if (s->pkey == pkey && s->ctx != NULL)
		return s;
	signer_reset(s);
	if (EVP_PKEY_up_ref(pkey) != 1)
		return NULL;
	s->pkey = pkey;
	if ((s->ctx = EVP_PKEY_CTX_new(pkey, NULL)) == NULL || EVP_PKEY_sign_init(s->ctx) != 1)
		goto fail;
	for (i = 0; i < SIGNER_TYPS; i++) {
		json_t *h = json_pack("{s:s,s:s,s:s}", "alg", "ES256", "kid", tok_key_kid(key),
		    "typ", signer_typs[i]);
		char *txt = h != NULL ? json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

		json_decref(h);
		if (txt == NULL || (s->header[i] = malloc(B64_ROOM(strlen(txt)))) == NULL) {
			free(txt);
			goto fail;
		}
		s->header_len[i] = b64url_public(s->header[i], txt, strlen(txt));
		free(txt);
	}
	ERR_clear_error();
	return s;
fail:
	signer_reset(s);
	ERR_clear_error();
	return NULL;
}

/* The signer_typs index of typ, or -1 (a typ the signer does not keep a header for). */
static int
signer_typ(const char *typ)
{
	size_t i;

	for (i = 0; i < SIGNER_TYPS; i++)
		if (strcmp(signer_typs[i], typ) == 0)
			return (int)i;
	return -1;
}

/*
 * The compact JWS of the claims text txt (plen bytes) with signer s and header t:
 * base64url header "." payload "." raw r||s. *out malloc'd.
 */
static int
sign_es256_text(struct es256_signer *s, int t, const char *txt, size_t plen, char **out)
{
	uint8_t digest[SHA256_DIGEST_LENGTH], der[80], raw[64];
	const uint8_t *dp = der;
	const BIGNUM *br, *bs;
	ECDSA_SIG *es = NULL;
	char *tok = NULL;
	size_t n, derlen = sizeof(der), cap;
	int r = EID_ERR_CRYPTO;

	*out = NULL;
	if (plen > EID_JWS_MAX_BYTES)
		return EID_ERR_TOO_LARGE;
	/* header "." payload "." signature, all base64url */
	cap = s->header_len[t] + 1 + B64_ROOM(plen) + 1 + B64_ROOM(sizeof(raw));
	if ((tok = malloc(cap)) == NULL)
		return EID_ERR_NOMEM;
	memcpy(tok, s->header[t], s->header_len[t]);
	n = s->header_len[t];
	tok[n++] = '.';
	n += b64url_public(tok + n, txt, plen);
	if (cx_sha256(digest, tok, n) != 0)
		goto out;
	/* OpenSSL answers DER; JWS wants r||s */
	if (EVP_PKEY_sign(s->ctx, der, &derlen, digest, sizeof(digest)) != 1 ||
	    (es = d2i_ECDSA_SIG(NULL, &dp, (long)derlen)) == NULL)
		goto out;
	ECDSA_SIG_get0(es, &br, &bs);
	if (BN_bn2binpad(br, raw, 32) != 32 || BN_bn2binpad(bs, raw + 32, 32) != 32)
		goto out;
	tok[n++] = '.';
	(void)b64url_public(tok + n, raw, sizeof(raw));
	*out = tok;
	tok = NULL;
	r = 0;
out:
	ECDSA_SIG_free(es);
	ERR_clear_error();
	free(tok);
	return r;
}

/*
 * Sign claims as a compact JWS with key (ES256, private) and typ (one of signer_typs;
 * others go the general way, tok_jwt_sign). *out malloc'd.
 */
static int
sign_es256(const struct tok_key *key, const char *typ, const json_t *claims, char **out)
{
	struct es256_signer *s;
	char *txt;
	int r, t = signer_typ(typ);

	*out = NULL;
	if (tok_key_alg(key) != TOK_ALG_ES256 || !tok_key_has_private(key))
		return EID_ERR_KEY;
	if (t < 0 || (s = signer_for(key)) == NULL)
		return tok_jwt_sign(key, typ, claims, out);     /* the general way */
	if ((txt = json_dumps(claims, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
		return EID_ERR_NOMEM;
	r = sign_es256_text(s, t, txt, strlen(txt), out);
	free(txt);
	return r;
}

/* Room reserved up front for a token's claims text (one allocation for the usual ones). */
#define CLAIMS_TEXT_ROOM 1000

/*
 * The direct way for an ES256 token: the claims text in b (srv_tokens_*_text) signed by
 * this thread's signer. EID_ERR_UNSUPPORTED when it does not apply (no usable ES256
 * key or signer): the caller takes the general way, which reports what is wrong.
 */
static int
sign_text_fast(const struct tok_key *key, const char *typ, struct cx_dynbuf *b, char **out)
{
	struct es256_signer *s;
	int t = signer_typ(typ);

	if (key == NULL || tok_key_alg(key) != TOK_ALG_ES256 || !tok_key_has_private(key) ||
	    t < 0 || (s = signer_for(key)) == NULL)
		return EID_ERR_UNSUPPORTED;
	return sign_es256_text(s, t, cx_dynbuf_str(b), b->len, out);
}

int
srv_tokens_issue_id(struct srv_app *app, const struct srv_id_token_params *p, char **token)
{
	const struct srv_keys_snapshot *snap;
	struct cx_dynbuf text;
	json_t *claims = NULL;
	time_t now = app->now();
	int r = EID_ERR_UNSUPPORTED;

	*token = NULL;
	/* the direct way for ES256: the claims text without jansson (srv_tokens_id_text) */
	if (p->alg == TOK_ALG_ES256) {
		cx_dynbuf_init(&text, EID_JWS_MAX_BYTES);
		snap = keys_current(app);
		if ((r = cx_dynbuf_reserve(&text, CLAIMS_TEXT_ROOM)) == 0 &&
		    (r = srv_tokens_id_text(app->cfg->issuer, p, now, &text)) == 0)
			r = sign_text_fast(snap->active[TOK_ALG_ES256], "JWT", &text, token);
		srv_keys_release(app->keys, snap);
		cx_dynbuf_free(&text);
		if (r != EID_ERR_UNSUPPORTED)
			return r;
	}
	/* the general way */
	if ((r = srv_tokens_id_claims(app->cfg->issuer, p, now, &claims)) != 0)
		return r;
	r = srv_tokens_sign_jwt(app, p->alg, "JWT", claims, token);
	json_decref(claims);
	return r;
}

int
srv_tokens_issue_access(struct srv_app *app, const struct srv_access_token_params *p,
    char **token, long *expires_in)
{
	const struct srv_keys_snapshot *snap;
	char jti[CX_B64URL_LEN(SRV_TOKEN_JTI_BYTES)], ref[B64_ROOM(REF_BOX_MAX)];
	const char *use_jti = p->jti != NULL ? p->jti : jti;
	struct cx_dynbuf text;
	json_t *claims = NULL;
	time_t now = app->now();
	int r = EID_ERR_UNSUPPORTED;

	*token = NULL;
	cx_dynbuf_init(&text, EID_JWS_MAX_BYTES);
	if (p->jti == NULL)
		cx_random_token(jti, sizeof(jti), SRV_TOKEN_JTI_BYTES);
	snap = keys_current(app);
	/* the direct way: the claims text without jansson (srv_tokens_access_text) */
	if ((p->account_id == NULL || seal_ref(app->secret, p->account_id, ref) == 0) &&
	    (r = cx_dynbuf_reserve(&text, CLAIMS_TEXT_ROOM)) == 0 &&
	    (r = srv_tokens_access_text(app->cfg->issuer, p, now, use_jti,
	    p->account_id != NULL ? ref : NULL, &text)) == 0)
		r = sign_text_fast(snap->active[TOK_ALG_ES256], SRV_ACCESS_TOKEN_TYP, &text, token);
	if (r == 0)
		goto done;
	if (r != EID_ERR_UNSUPPORTED)
		goto out;
	/* the general way: a jansson object (also what reports a bad parameter or key) */
	if ((r = srv_tokens_access_claims(app->cfg->issuer, p, now, use_jti, &claims)) != 0)
		goto out;
	if (p->account_id != NULL && (r = seal_account(app->secret, p->account_id, claims)) != 0)
		goto out;
	if (snap->active[TOK_ALG_ES256] == NULL) {
		r = EID_ERR_KEY;
		goto out;
	}
	if ((r = sign_es256(snap->active[TOK_ALG_ES256], SRV_ACCESS_TOKEN_TYP, claims, token)) != 0)
		goto out;
done:
	*expires_in = p->lifetime > 0 ? p->lifetime : SRV_ACCESS_TOKEN_LIFETIME;
out:
	srv_keys_release(app->keys, snap);
	cx_dynbuf_free(&text);
	json_decref(claims);
	return r;
}

int
srv_tokens_sign_jwt(struct srv_app *app, enum tok_alg alg, const char *typ,
    const json_t *claims, char **out)
{
	const struct srv_keys_snapshot *snap;
	int r;

	*out = NULL;
	if ((unsigned)alg > TOK_ALG_EDDSA)
		return EID_ERR_INVALID_ARGUMENT;
	snap = keys_current(app);
	if (snap->active[alg] == NULL)
		r = EID_ERR_KEY;
	else if (alg == TOK_ALG_ES256)
		r = sign_es256(snap->active[alg], typ != NULL ? typ : "JWT", claims, out);
	else
		r = tok_jwt_sign(snap->active[alg], typ != NULL ? typ : "JWT", claims, out);
	srv_keys_release(app->keys, snap);
	return r;
}

int
srv_tokens_respond(struct srv_resp *resp, const char *access_token, long expires_in,
    const char *scope, const char *id_token, const char *refresh_token)
{
	struct tok_jsonw w;
	json_t *o;
	int r;

	resp->no_store = 1;
	cx_dynbuf_reset(&resp->body);
	/* the usual answer: JWS texts, scope-tokens and a refresh token need no escape */
	if (access_token != NULL && scope != NULL &&
	    cx_dynbuf_reserve(&resp->body, 128 + strlen(access_token) + strlen(scope) +
	    (id_token != NULL ? strlen(id_token) : 0) +
	    (refresh_token != NULL ? strlen(refresh_token) : 0)) == 0) {
		tok_jsonw_begin(&w, &resp->body);
		tok_jsonw_str(&w, "access_token", access_token);
		tok_jsonw_str(&w, "token_type", "Bearer");
		tok_jsonw_int(&w, "expires_in", expires_in);
		tok_jsonw_str(&w, "scope", scope);
		if (id_token != NULL)
			tok_jsonw_str(&w, "id_token", id_token);
		if (refresh_token != NULL)
			tok_jsonw_str(&w, "refresh_token", refresh_token);
		if (tok_jsonw_end(&w) == 0) {
			resp->status = 200;
			resp->content_type = "application/json";
			return 0;
		}
		cx_dynbuf_reset(&resp->body);
	}
	/* anything else through jansson, which escapes (and refuses a NULL) */
	o = json_pack("{s:s,s:s,s:I,s:s}", "access_token", access_token, "token_type", "Bearer",
	    "expires_in", (json_int_t)expires_in, "scope", scope);
	if (o == NULL ||
	    (id_token != NULL && json_object_set_new(o, "id_token", json_string(id_token)) != 0) ||
	    (refresh_token != NULL &&
	    json_object_set_new(o, "refresh_token", json_string(refresh_token)) != 0)) {
		json_decref(o);
		return EID_ERR_NOMEM;
	}
	r = srv_resp_json(resp, 200, o);
	json_decref(o);
	return r;
}

static int
nonempty_string(const json_t *o, const char *name)
{
	const char *s = json_string_value(json_object_get(o, name));

	return s != NULL && s[0] != '\0';
}

int
srv_tokens_check_access(const json_t *header, const json_t *claims, const char *issuer,
    time_t now)
{
	const char *typ = json_string_value(json_object_get(header, "typ"));
	int r;

	/* RFC 9068 4: typ must be at+jwt; media types compare case-insensitively */
	if (typ == NULL || (strcasecmp(typ, "at+jwt") != 0 && strcasecmp(typ, "application/at+jwt") != 0))
		return EID_ERR_JWT_CLAIMS;
	if ((r = tok_jwt_check_iss(claims, issuer)) != 0 ||
	    (r = tok_jwt_check_aud(claims, issuer)) != 0 ||
	    (r = tok_jwt_check_times(claims, now, SRV_ACCESS_TOKEN_LEEWAY)) != 0)
		return r;
	if (json_object_get(claims, "iat") == NULL || !nonempty_string(claims, "client_id") ||
	    !nonempty_string(claims, "sub") || !nonempty_string(claims, "jti"))
		return EID_ERR_JWT_CLAIMS;
	if (json_object_get(claims, "scope") != NULL && !json_is_string(json_object_get(claims, "scope")))
		return EID_ERR_JWT_CLAIMS;
	return 0;
}

/* A token to verify: present (EID_ERR_INVALID_ARGUMENT) and not over the JWS cap
 * (EID_ERR_TOO_LARGE); *len its length. */
static int
token_length(const char *token, size_t *len)
{
	if (token == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if ((*len = strlen(token)) > EID_JWS_MAX_BYTES)
		return EID_ERR_TOO_LARGE;
	return 0;
}

/*
 * token's signature checked with snap's published keys (one of the allowed algorithms)
 * and its payload a JSON object (else EID_ERR_JWT_CLAIMS): *header and *claims, which
 * the caller decrefs. No claim is checked here.
 */
static int
verify_signed_claims(const struct srv_keys_snapshot *snap, const char *token, size_t len,
    const enum tok_alg *allowed, size_t nallowed, json_t **header, json_t **claims)
{
	uint8_t *payload = NULL;
	size_t plen = 0;
	int r;

	*header = *claims = NULL;
	if ((r = tok_jws_verify(token, len, allowed, nallowed, tok_keyset_lookup, snap->published,
	    header, &payload, &plen)) != 0)
		return r;
	*claims = json_loadb((const char *)payload, plen, JSON_REJECT_DUPLICATES, NULL);
	free(payload);
	if (*claims == NULL || !json_is_object(*claims)) {
		json_decref(*claims);
		*claims = NULL;
		return EID_ERR_JWT_CLAIMS;
	}
	return 0;
}

int
srv_tokens_verify_id_hint(struct srv_app *app, const char *token, json_t **claims)
{
	static const enum tok_alg allowed[] = { TOK_ALG_RS256, TOK_ALG_PS256, TOK_ALG_ES256,
		TOK_ALG_EDDSA };
	const struct srv_keys_snapshot *snap;
	json_t *header = NULL, *c = NULL;
	size_t len;
	const char *typ;
	int r;

	*claims = NULL;
	if ((r = token_length(token, &len)) != 0)
		return r;
	snap = keys_current(app);
	r = verify_signed_claims(snap, token, len, allowed, sizeof(allowed) / sizeof(allowed[0]),
	    &header, &c);
	srv_keys_release(app->keys, snap);
	if (r != 0)
		goto out;
	/* an ID token (typ JWT), not an access or logout token of ours */
	typ = json_string_value(json_object_get(header, "typ"));
	if ((typ != NULL && strcmp(typ, "JWT") != 0) ||
	    tok_jwt_check_iss(c, app->cfg->issuer) != 0 ||
	    json_object_get(c, "aud") == NULL || json_object_get(c, "sub") == NULL) {
		r = EID_ERR_JWT_CLAIMS;
		goto out;
	}
	*claims = c;
	c = NULL;
out:
	json_decref(header);
	json_decref(c);
	return r;
}

/*
 * Verified access tokens, remembered per thread. A resource server introspects, and a
 * client calls /userinfo with, the same token many times in its short life, and the
 * ECDSA verification is most of what that costs. A token whose signature verified and
 * whose claims passed is remembered by the SHA-256 of its text (compared in constant
 * time) with its header and claims, under the keys generation it was verified with:
 * when the keys change (rotation, retirement) the thread forgets every token, so a
 * retired key's tokens fail as before. The claim checks (exp) run again on every use,
 * and callers read the denylist on every use, so revocation stays immediate.
 */
#define VERIFIED_SLOTS 64

struct verified_cache {
	const struct srv_keys *keys;        /* the key set and generation the entries ... */
	long long generation;               /* ... were verified with */
	struct {
		uint8_t hash[SHA256_DIGEST_LENGTH];
		json_t *header, *claims;        /* NULL: empty slot */
	} slot[VERIFIED_SLOTS];
};

static pthread_key_t verified_key;
static pthread_once_t verified_once = PTHREAD_ONCE_INIT;
static int verified_key_ok;

static void
verified_flush(struct verified_cache *vc)
{
	size_t i;

	for (i = 0; i < VERIFIED_SLOTS; i++) {
		json_decref(vc->slot[i].header);
		json_decref(vc->slot[i].claims);
		vc->slot[i].header = vc->slot[i].claims = NULL;
	}
}

static void
verified_destroy(void *p)
{
	if (p != NULL) {
		verified_flush(p);
		free(p);
	}
}

static void
verified_key_init(void)
{
	verified_key_ok = pthread_key_create(&verified_key, verified_destroy) == 0;
}

/* The calling thread's cache for this key set and generation (emptied when they moved). */
static struct verified_cache *
verified_for(const struct srv_keys *keys, long long generation)
{
	struct verified_cache *vc;

	if (pthread_once(&verified_once, verified_key_init) != 0 || !verified_key_ok ||
	    (vc = thread_object(verified_key, sizeof(*vc))) == NULL)
		return NULL;
	if (vc->keys != keys || vc->generation != generation) {
		verified_flush(vc);
		vc->keys = keys;
		vc->generation = generation;
	}
	return vc;
}

int
srv_tokens_verify_access_signed(struct srv_app *app, const char *token, json_t **claims)
{
	static const enum tok_alg allowed[] = { TOK_ALG_ES256 };
	const struct srv_keys_snapshot *snap = NULL;
	struct verified_cache *vc;
	uint8_t hash[SHA256_DIGEST_LENGTH] = { 0 };
	json_t *header = NULL, *c = NULL, *keep;
	size_t len, slot;
	int r;

	*claims = NULL;
	if ((r = token_length(token, &len)) != 0)
		return r;
	snap = keys_current(app);
	vc = verified_for(app->keys, snap->generation);
	if (cx_sha256(hash, token, len) != 0)
		vc = NULL;              /* not remembered: verify it in full */
	slot = hash[0] % VERIFIED_SLOTS;
	if (vc != NULL && vc->slot[slot].claims != NULL &&
	    cx_ct_equal(vc->slot[slot].hash, sizeof(hash), hash, sizeof(hash))) {
		/* verified before with these keys: the claim checks again, then a copy */
		srv_keys_release(app->keys, snap);
		if ((r = srv_tokens_check_access(vc->slot[slot].header, vc->slot[slot].claims,
		    app->cfg->issuer, app->now())) != 0)
			return r;
		return (*claims = json_deep_copy(vc->slot[slot].claims)) != NULL ? 0 : EID_ERR_NOMEM;
	}
	r = verify_signed_claims(snap, token, len, allowed, 1, &header, &c);
	srv_keys_release(app->keys, snap);
	if (r != 0)
		goto out;
	if ((r = srv_tokens_check_access(header, c, app->cfg->issuer, app->now())) != 0)
		goto out;
	if (vc != NULL && (keep = json_deep_copy(c)) != NULL) {
		json_decref(vc->slot[slot].header);
		json_decref(vc->slot[slot].claims);
		memcpy(vc->slot[slot].hash, hash, sizeof(hash));
		vc->slot[slot].header = json_incref(header);
		vc->slot[slot].claims = keep;
	}
	*claims = c;
	c = NULL;
out:
	json_decref(header);
	json_decref(c);
	return r;
}

static void
denylist_key(struct srv_app *app, const json_t *claims, char key[SRV_REDIS_KEY_MAX])
{
	const char *jti = json_string_value(json_object_get(claims, "jti"));

	srv_redis_key(app->redis, DENYLIST_SECTION, jti, strlen(jti), key);
}

/*
 * Tokens this thread found not revoked, with the revocation epoch read before the
 * denylist read (srv_revocations.h): while the epoch is the same, no revocation can
 * have happened unseen, and the read is skipped. jti values are not secret.
 */
#define UNREVOKED_SLOTS 64
#define UNREVOKED_JTI_MAX 40
struct unrevoked {
	char jti[UNREVOKED_JTI_MAX];
	uint64_t epoch;
};
static _Thread_local struct unrevoked unrevoked[UNREVOKED_SLOTS];

static struct unrevoked *
unrevoked_slot(const char *jti)
{
	uint32_t h = 2166136261u;       /* FNV-1a: spreads our random jti values evenly */
	const char *p;

	for (p = jti; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return &unrevoked[h % UNREVOKED_SLOTS];
}

int
srv_tokens_verify_access(struct srv_app *app, const char *token, json_t **claims)
{
	char key[SRV_REDIS_KEY_MAX];
	struct unrevoked *u = NULL;
	const char *jti;
	uint8_t *val = NULL;
	size_t vlen = 0;
	uint64_t epoch;
	json_t *c = NULL;
	int r;

	*claims = NULL;
	if ((r = srv_tokens_verify_access_signed(app, token, &c)) != 0)
		return r;
	jti = json_string_value(json_object_get(c, "jti"));
	epoch = srv_revocations_epoch();
	if (jti != NULL && strlen(jti) < UNREVOKED_JTI_MAX) {
		u = unrevoked_slot(jti);
		if (epoch != 0 && u->epoch == epoch && strcmp(u->jti, jti) == 0)
			goto ok;                /* found not revoked, and nothing revoked since */
	}
	denylist_key(app, c, key);
	r = srv_redis_get(app->redis, key, &val, &vlen);
	free(val);
	if (r == 0) {
		r = EID_ERR_DENIED;             /* revoked */
		goto out;
	}
	if (r != EID_ERR_NOT_FOUND)
		goto out;
	if (u != NULL && epoch != 0) {
		memcpy(u->jti, jti, strlen(jti) + 1);
		u->epoch = epoch;
	}
ok:
	*claims = c;
	c = NULL;
	r = 0;
out:
	json_decref(c);
	return r;
}

static const char REVOKE_LUA[] =
    "redis.call('SET', KEYS[1], '1', 'EX', ARGV[1]) "
    "redis.call('PUBLISH', ARGV[2], '1') "
    "return 1";

int
srv_tokens_revoke_access(struct srv_app *app, const json_t *claims)
{
	json_int_t exp = json_integer_value(json_object_get(claims, "exp"));
	long long left = (long long)exp - (long long)app->now();
	char key[SRV_REDIS_KEY_MAX], ttl[24];
	const char *argv[3] = { key, ttl, SRV_REVOCATIONS_CHANNEL };
	struct srv_redis_val v[1];
	size_t n = 0;
	int r;

	if (!json_is_string(json_object_get(claims, "jti")))
		return EID_ERR_INVALID_ARGUMENT;
	/* keep it past exp by the leeway a verifier allows */
	left += SRV_ACCESS_TOKEN_LEEWAY;
	if (left < 1)
		left = 1;
	if (left > 86400)
		left = 86400;
	denylist_key(app, claims, key);
	snprintf(ttl, sizeof(ttl), "%lld", left);
	/* the denylist entry and the notice to every node's watcher, in one step */
	if ((r = srv_redis_script(app->redis, REVOKE_LUA, 1, argv, NULL, 3, 1, v, 1, &n)) != 0)
		return r;
	srv_redis_vals_free(v, n);
	srv_revocations_moved();        /* this node: at once, not when the notice comes back */
	return 0;
}

/* ---- RFC 6750 bearer authentication ---- */

#define BEARER_REALM "Bearer realm=\"eid\""

static int
bearer_deny(struct srv_resp *resp, unsigned status, const char *error, const char *challenge,
    const char *description)
{
	int r;

	srv_kvlist_clear(&resp->headers);
	r = srv_resp_error(resp, status, error, description);
	if (r == 0 && challenge != NULL)
		r = srv_resp_header(resp, "WWW-Authenticate", challenge);
	return r != 0 ? r : EID_ERR_DENIED;
}

/* RFC 6750 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
static int
b64token_ok(const char *s)
{
	size_t i = 0;

	while (s[i] != '\0' && (((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z') ||
	    (s[i] >= '0' && s[i] <= '9') || strchr("-._~+/", s[i]) != NULL))
		i++;
	if (i == 0)
		return 0;
	while (s[i] == '=')
		i++;
	return s[i] == '\0';
}

static int
scope_contains(const char *list, const char *want)
{
	size_t n = strlen(want);
	const char *p = list;

	while (p != NULL && *p != '\0') {
		size_t m = strcspn(p, " ");

		if (m == n && strncmp(p, want, n) == 0)
			return 1;
		p += m;
		while (*p == ' ')
			p++;
	}
	return 0;
}

int
srv_tokens_bearer(struct srv_app *app, const struct srv_req *req, const char *required_scope,
    json_t **claims, struct srv_resp *resp)
{
	static const char invalid[] = BEARER_REALM ", error=\"invalid_token\"";
	const char *auth, *tok;
	struct srv_client *client = NULL;
	json_t *c = NULL;
	size_t count = 0;
	int r;

	*claims = NULL;
	auth = srv_kvlist_get(&req->headers, "authorization", &count);
	if (count > 1)
		return bearer_deny(resp, 400, "invalid_request", BEARER_REALM ", error=\"invalid_request\"",
		    "Give the Authorization header once.");
	if (auth == NULL || strncasecmp(auth, "Bearer", 6) != 0 || (auth[6] != ' ' && auth[6] != '\0'))
		return bearer_deny(resp, 401, "invalid_token", BEARER_REALM,
		    "This endpoint needs an access token: Authorization: Bearer <token>.");
	for (tok = auth + 6; *tok == ' '; tok++)
		;
	if (!b64token_ok(tok))
		return bearer_deny(resp, 401, "invalid_token", invalid,
		    "The access token is invalid, expired or revoked.");
	r = srv_tokens_verify_access(app, tok, &c);
	if (r == EID_ERR_NOMEM || r == EID_ERR_REDIS || r == EID_ERR_REDIS_DOWN)
		return r;
	if (r != 0)
		return bearer_deny(resp, 401, "invalid_token", invalid,
		    "The access token is invalid, expired or revoked.");
	/* a removed or disabled client's tokens stop working at once */
	r = srv_oauth_client_get(app, json_string_value(json_object_get(c, "client_id")), &client);
	if (r == EID_ERR_NOT_FOUND || (r == 0 && client->disabled)) {
		srv_client_free(&client);
		json_decref(c);
		return bearer_deny(resp, 401, "invalid_token", invalid,
		    "The access token is invalid, expired or revoked.");
	}
	srv_client_free(&client);
	if (r != 0) {
		json_decref(c);
		return r;
	}
	if (required_scope != NULL &&
	    !scope_contains(json_string_value(json_object_get(c, "scope")), required_scope)) {
		char ch[160];

		json_decref(c);
		snprintf(ch, sizeof(ch), BEARER_REALM ", error=\"insufficient_scope\", scope=\"%s\"",
		    required_scope);
		return bearer_deny(resp, 403, "insufficient_scope", ch,
		    "The access token does not carry the scope this endpoint needs.");
	}
	*claims = c;
	return 0;
}
