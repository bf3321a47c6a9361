/* srv_accounts.c - client and citizen credentials (see srv_accounts.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cx_buf.h"
#include "cx_util.h"
#include "srv_accounts.h"
#include "srv_req.h"

/*
 * A random identifier (16 bytes, base64url) that starts with a letter or digit: operators
 * pass ids on command lines, where a leading '-' reads as an option. Redrawing the 2 in
 * 64 bad first characters costs less than 0.05 bit of the 128.
 */
static void
random_id(char out[24])
{
	do
		cx_random_token(out, 24, 16);
	while (out[0] == '-' || out[0] == '_');
}

void
srv_client_new_credentials(char id[24], char secret[48])
{
	random_id(id);
	cx_random_token(secret, 48, SRV_CLIENT_SECRET_BYTES);
}

void
srv_account_id_new(char out[24])
{
	random_id(out);
}

void
srv_client_secret_hash(const struct srv_secret *s, const char *secret, uint8_t out[32])
{
	uint8_t key[32];

	srv_secret_derive(s, SRV_SUBKEY_CLIENT_SECRET, key);
	crypto_generichash(out, 32, (const uint8_t *)secret, strlen(secret), key, sizeof(key));
	sodium_memzero(key, sizeof(key));
}

int
srv_client_secret_check(const struct srv_secret *s, const struct srv_client *c, const char *secret)
{
	uint8_t h[32];
	int ok;

	if (!c->has_secret || secret == NULL)
		return 0;
	srv_client_secret_hash(s, secret, h);
	ok = cx_ct_equal(h, sizeof(h), c->secret_hash, sizeof(c->secret_hash));
	sodium_memzero(h, sizeof(h));
	return ok;
}

int
srv_password_hash(const struct srv_config *cfg, const char *password, char **out)
{
	char *h = malloc(crypto_pwhash_STRBYTES);

	*out = NULL;
	if (h == NULL)
		return EID_ERR_NOMEM;
	if (crypto_pwhash_str_alg(h, password, strlen(password), cfg->argon2_opslimit,
	    (size_t)cfg->argon2_memlimit_kib * 1024, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		free(h);
		return EID_ERR_NOMEM;   /* libsodium fails only when memory runs out */
	}
	*out = h;
	return 0;
}

/* RFC 4648 base32, no padding (what authenticator apps expect). */
static void
base32_encode(const uint8_t *in, size_t n, char *out)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	unsigned buf = 0;
	int bits = 0;
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		buf = (buf << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = alphabet[(buf >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = alphabet[(buf << (5 - bits)) & 31];
	out[o] = '\0';
}

int
srv_totp_secret_new(const struct srv_secret *s, char **base32, uint8_t **enc, size_t *enclen)
{
	uint8_t raw[SRV_TOTP_SECRET_BYTES], key[32];
	size_t n = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + sizeof(raw);
	uint8_t *e = NULL;
	char *b = NULL;

	*base32 = NULL;
	*enc = NULL;
	if ((b = malloc(SRV_TOTP_SECRET_BYTES * 8 / 5 + 2)) == NULL || (e = malloc(n)) == NULL) {
		free(b);
		return EID_ERR_NOMEM;
	}
	randombytes_buf(raw, sizeof(raw));
	base32_encode(raw, sizeof(raw), b);
	srv_secret_derive(s, SRV_SUBKEY_TOTP, key);
	randombytes_buf(e, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(e + crypto_secretbox_NONCEBYTES, raw, sizeof(raw), e, key);
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(key, sizeof(key));
	*base32 = b;
	*enc = e;
	*enclen = n;
	return 0;
}

int
srv_totp_secret_open(const struct srv_secret *s, const uint8_t *enc, size_t enclen,
    uint8_t raw[SRV_TOTP_SECRET_BYTES])
{
	uint8_t key[32];
	int r;

	if (enclen != crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + SRV_TOTP_SECRET_BYTES)
		return EID_ERR_FORMAT;
	srv_secret_derive(s, SRV_SUBKEY_TOTP, key);
	r = crypto_secretbox_open_easy(raw, enc + crypto_secretbox_NONCEBYTES,
	    enclen - crypto_secretbox_NONCEBYTES, enc, key);
	sodium_memzero(key, sizeof(key));
	return r == 0 ? 0 : EID_ERR_MAC;
}

int
srv_totp_uri(const char *issuer_label, const char *account, const char *base32, char **out)
{
	struct cx_dynbuf b;
	int r;

	*out = NULL;
	cx_dynbuf_init_secret(&b, 1024);
	r = cx_dynbuf_add_str(&b, "otpauth://totp/");
	r = r != 0 ? r : srv_pct_encode(&b, issuer_label, "");
	r = r != 0 ? r : cx_dynbuf_add_str(&b, ":");
	r = r != 0 ? r : srv_pct_encode(&b, account, "");
	r = r != 0 ? r : cx_dynbuf_addf(&b, "?secret=%s&issuer=", base32);
	r = r != 0 ? r : srv_pct_encode(&b, issuer_label, "");
	r = r != 0 ? r : cx_dynbuf_add_str(&b, "&algorithm=SHA1&digits=6&period=30");
	if (r == 0 && (*out = cx_dynbuf_take(&b, NULL)) == NULL)
		r = EID_ERR_NOMEM;
	cx_dynbuf_free(&b);
	return r;
}
