/* card_ca.c - Chip Authentication, terminal side, ECDH with AES-128 (see card_ca.h). */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/x509.h>

#include "cx_util.h"
#include "card_ca.h"
#include "card_lds.h"

#define CA_PK_ECDH      "0.4.0.127.0.7.2.2.1.2"
#define CA_MAX_SECRET   66

/* DER content of 0.4.0.127.0.7.2.2.3.2.2 */
static const uint8_t ca_oid_der[] = { 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03, 0x02, 0x02 };

void
card_ca_params_clear(struct card_ca_params *p)
{
	if (p == NULL)
		return;
	EVP_PKEY_free(p->chip_key);
	p->chip_key = NULL;
	p->key_id = -1;
	p->version = -1;
}

/* The id-PK-ECDH key for key_id (-1: the only one there is), or NULL. */
static const struct card_secinfo *
find_key(const struct card_dg14 *d, long key_id)
{
	const struct card_secinfo *found = NULL;
	size_t i, n = 0;

	for (i = 0; i < d->ninfos; i++) {
		const struct card_secinfo *s = &d->infos[i];

		if (s->kind != CARD_SECINFO_CA_PUBKEY || strcmp(s->protocol, CA_PK_ECDH) != 0 ||
		    s->spki == NULL)
			continue;
		if (key_id >= 0 && s->key_id == key_id)
			return s;
		n++;
		found = s;
	}
	/* without a keyId, a single key is unambiguous (TR-03110 A.1.1.2) */
	return key_id < 0 && n == 1 ? found : NULL;
}

int
card_ca_params_from_dg14(const uint8_t *dg14, size_t len, struct card_ca_params *out)
{
	struct card_dg14 d;
	const struct card_secinfo *key = NULL;
	const unsigned char *pp;
	size_t i;
	int r;

	memset(out, 0, sizeof(*out));
	out->key_id = -1;
	out->version = -1;
	if (dg14 == NULL || len == 0)
		return EID_ERR_UNSUPPORTED;
	if ((r = card_lds_dg14_parse(dg14, len, &d)) != 0)
		return r == EID_ERR_NOMEM ? r : EID_ERR_LDS;
	for (i = 0; i < d.ninfos && key == NULL; i++) {
		const struct card_secinfo *s = &d.infos[i];

		if (s->kind != CARD_SECINFO_CA || strcmp(s->protocol, CARD_CA_OID_ECDH_AES128) != 0 ||
		    (s->version != 1 && s->version != 2))
			continue;
		if ((key = find_key(&d, s->key_id)) != NULL) {
			out->key_id = s->key_id;
			out->version = s->version;
		}
	}
	if (key == NULL)
		return EID_ERR_UNSUPPORTED;
	pp = key->spki;
	if ((out->chip_key = d2i_PUBKEY(NULL, &pp, (long)key->spki_len)) == NULL ||
	    pp != key->spki + key->spki_len || !EVP_PKEY_is_a(out->chip_key, "EC")) {
		card_ca_params_clear(out);
		return EID_ERR_KEY;
	}
	return EID_OK;
}

int
card_ca_mse_data(const struct card_ca_params *p, uint8_t *out, size_t outsz, size_t *outlen)
{
	size_t n = 0;

	*outlen = 0;
	if (outsz < 2 + sizeof(ca_oid_der) + 6)
		return EID_ERR_TOO_LARGE;
	out[n++] = 0x80;
	out[n++] = sizeof(ca_oid_der);
	memcpy(out + n, ca_oid_der, sizeof(ca_oid_der));
	n += sizeof(ca_oid_der);
	if (p->key_id >= 0) {
		long k = p->key_id;
		uint8_t be[5];          /* up to 4 value bytes and a leading 0x00 */
		size_t nb = 0, i;

		if (k > 0x7FFFFFFFL)
			return EID_ERR_INVALID_ARGUMENT;
		/* minimal two's complement big-endian INTEGER content */
		do {
			be[sizeof(be) - 1 - nb++] = (uint8_t)(k & 0xFF);
			k >>= 8;
		} while (k > 0 && nb < sizeof(be) - 1);
		if (be[sizeof(be) - nb] & 0x80)
			be[sizeof(be) - 1 - nb++] = 0x00;
		out[n++] = 0x84;
		out[n++] = (uint8_t)nb;
		for (i = sizeof(be) - nb; i < sizeof(be); i++)
			out[n++] = be[i];
	}
	*outlen = n;
	return EID_OK;
}

int
card_ca_ephemeral(const struct card_ca_params *p, EVP_PKEY **out)
{
	EVP_PKEY_CTX *ctx = NULL;
	int r = EID_ERR_CRYPTO;

	*out = NULL;
	if (p == NULL || p->chip_key == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	/* the chip key is the template: same (possibly explicit) domain parameters */
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, p->chip_key, NULL)) == NULL ||
	    EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_keygen(ctx, out) != 1)
		goto out;
	r = EID_OK;
out:
	EVP_PKEY_CTX_free(ctx);
	return r;
}

int
card_ca_public_point(EVP_PKEY *k, uint8_t *out, size_t outsz, size_t *outlen)
{
	size_t n = 0;

	*outlen = 0;
	/* EC public keys are exported in the uncompressed form unless told otherwise */
	if (EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, out, outsz, &n) != 1)
		return EID_ERR_CRYPTO;
	if (n == 0 || out[0] != 0x04)
		return EID_ERR_KEY;
	*outlen = n;
	return EID_OK;
}

int
card_ca_session_keys(EVP_PKEY *own, EVP_PKEY *peer, uint8_t kenc[CARD_SM_KEY_LEN],
    uint8_t kmac[CARD_SM_KEY_LEN])
{
	EVP_PKEY_CTX *ctx = NULL, *chk = NULL;
	uint8_t k[CA_MAX_SECRET];
	size_t klen = sizeof(k);
	int r = EID_ERR_KEY;

	if (own == NULL || peer == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if ((chk = EVP_PKEY_CTX_new_from_pkey(NULL, peer, NULL)) == NULL ||
	    EVP_PKEY_public_check(chk) != 1)
		goto out;
	r = EID_ERR_CRYPTO;
	/* ECDH (not cofactor ECDH): the x-coordinate, field-size bytes (TR-03111 §4.3.1) */
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, own, NULL)) == NULL ||
	    EVP_PKEY_derive_init(ctx) != 1)
		goto out;
	if (EVP_PKEY_derive_set_peer(ctx, peer) != 1) {
		r = EID_ERR_KEY;        /* different domain parameters */
		goto out;
	}
	if (EVP_PKEY_derive(ctx, k, &klen) != 1 || klen == 0)
		goto out;
	if ((r = card_kdf(CARD_SM_AES128, k, klen, CARD_KDF_ENC, kenc)) != 0 ||
	    (r = card_kdf(CARD_SM_AES128, k, klen, CARD_KDF_MAC, kmac)) != 0)
		goto out;
	r = EID_OK;
out:
	cx_wipe(k, sizeof(k));
	if (r != 0) {
		cx_wipe(kenc, CARD_SM_KEY_LEN);
		cx_wipe(kmac, CARD_SM_KEY_LEN);
	}
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_CTX_free(chk);
	return r;
}
