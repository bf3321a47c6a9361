/* card_bac.c - Basic Access Control (see card_bac.h). */
#include <string.h>

#include <openssl/sha.h>
#include <sodium.h>

#include "cx_util.h"
#include "card_apdu.h"
#include "card_bac.h"

int
card_bac_keys(const char *mrz_info, struct card_bac_keys *out)
{
	uint8_t dig[SHA_DIGEST_LENGTH];
	size_t n;
	int r;

	memset(out, 0, sizeof(*out));
	if (mrz_info == NULL || (n = strlen(mrz_info)) < 24 || n > 64)
		return EID_ERR_INVALID_ARGUMENT;
	SHA1((const unsigned char *)mrz_info, n, dig);
	if ((r = card_kdf(CARD_SM_3DES, dig, 16, CARD_KDF_ENC, out->kenc)) == 0)
		r = card_kdf(CARD_SM_3DES, dig, 16, CARD_KDF_MAC, out->kmac);
	sodium_memzero(dig, sizeof(dig));
	if (r != 0)
		sodium_memzero(out, sizeof(*out));
	return r;
}

int
card_bac_request(const struct card_bac_keys *k, const uint8_t rnd_ic[8],
    const uint8_t rnd_ifd[8], const uint8_t k_ifd[16], uint8_t out[CARD_BAC_CMD_LEN])
{
	uint8_t s[32], padded[40];
	size_t plen;
	int r;

	memcpy(s, rnd_ifd, 8);
	memcpy(s + 8, rnd_ic, 8);
	memcpy(s + 16, k_ifd, 16);
	if ((r = card_cbc(CARD_SM_3DES, 1, k->kenc, NULL, s, 32, out)) != 0)
		goto out;
	memcpy(padded, out, 32);
	if ((r = card_pad(padded, 32, sizeof(padded), 8, &plen)) != 0)
		goto out;
	r = card_mac(CARD_SM_3DES, k->kmac, padded, plen, out + 32);
out:
	sodium_memzero(s, sizeof(s));
	return r;
}

int
card_bac_response(const struct card_bac_keys *k, const uint8_t *resp, size_t resp_len,
    const uint8_t rnd_ic[8], const uint8_t rnd_ifd[8], const uint8_t k_ifd[16],
    struct card_sm **out)
{
	uint8_t padded[40], mac[8], rr[32], seed[16], ksenc[16], ksmac[16], ssc[8];
	size_t plen, i;
	int r = EID_ERR_ACCESS_DENIED;

	*out = NULL;
	if (resp_len != CARD_BAC_CMD_LEN)
		goto out;
	memcpy(padded, resp, 32);
	if ((r = card_pad(padded, 32, sizeof(padded), 8, &plen)) != 0 ||
	    (r = card_mac(CARD_SM_3DES, k->kmac, padded, plen, mac)) != 0)
		goto out;
	r = EID_ERR_ACCESS_DENIED;
	if (!cx_ct_equal(mac, 8, resp + 32, 8))
		goto out;
	if ((r = card_cbc(CARD_SM_3DES, 0, k->kenc, NULL, resp, 32, rr)) != 0)
		goto out;
	r = EID_ERR_ACCESS_DENIED;
	/* R = RND.IC || RND.IFD || K.IC */
	if (!cx_ct_equal(rr, 8, rnd_ic, 8) || !cx_ct_equal(rr + 8, 8, rnd_ifd, 8))
		goto out;
	for (i = 0; i < 16; i++)
		seed[i] = k_ifd[i] ^ rr[16 + i];
	if ((r = card_kdf(CARD_SM_3DES, seed, 16, CARD_KDF_ENC, ksenc)) != 0 ||
	    (r = card_kdf(CARD_SM_3DES, seed, 16, CARD_KDF_MAC, ksmac)) != 0)
		goto out;
	memcpy(ssc, rnd_ic + 4, 4);
	memcpy(ssc + 4, rnd_ifd + 4, 4);
	r = card_sm_new(CARD_SM_3DES, ksenc, ksmac, ssc, 8, out);
out:
	sodium_memzero(rr, sizeof(rr));
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(ksenc, sizeof(ksenc));
	sodium_memzero(ksmac, sizeof(ksmac));
	sodium_memzero(mac, sizeof(mac));
	return r;
}

static void
default_rnd(void *buf, size_t n)
{
	cx_random(buf, n);
}

int
card_bac_perform(struct card_transport *t, const char *mrz_info,
    void (*rnd)(void *buf, size_t n), struct card_sm **out)
{
	struct card_bac_keys k;
	struct card_apdu a;
	struct card_rapdu ra;
	uint8_t resp[64], rnd_ic[8], ifd[24], cmd[CARD_BAC_CMD_LEN];
	int r;

	*out = NULL;
	memset(&k, 0, sizeof(k));
	if (rnd == NULL)
		rnd = default_rnd;
	if ((r = card_bac_keys(mrz_info, &k)) != 0)
		goto out;
	/* GET CHALLENGE */
	card_apdu_set(&a, 0x00, 0x84, 0x00, 0x00, NULL, 0, 8);
	if ((r = card_transport_send(t, &a, resp, sizeof(resp), &ra)) != 0)
		goto out;
	if (ra.sw != CARD_SW_OK || ra.len != 8) {
		r = EID_ERR_APDU;
		goto out;
	}
	memcpy(rnd_ic, ra.data, 8);
	rnd(ifd, sizeof(ifd));
	if ((r = card_bac_request(&k, rnd_ic, ifd, ifd + 8, cmd)) != 0)
		goto out;
	/* MUTUAL AUTHENTICATE */
	card_apdu_set(&a, 0x00, 0x82, 0x00, 0x00, cmd, sizeof(cmd), CARD_BAC_CMD_LEN);
	if ((r = card_transport_send(t, &a, resp, sizeof(resp), &ra)) != 0)
		goto out;
	if (ra.sw != CARD_SW_OK) {
		r = (ra.sw == CARD_SW_VERIFY_FAILED || ra.sw == CARD_SW_SECURITY_NOT_SATISFIED ||
		    ra.sw == CARD_SW_SM_INCORRECT || ra.sw == CARD_SW_AUTH_BLOCKED) ?
		    EID_ERR_ACCESS_DENIED : EID_ERR_APDU;
		goto out;
	}
	r = card_bac_response(&k, ra.data, ra.len, rnd_ic, ifd, ifd + 8, out);
out:
	sodium_memzero(&k, sizeof(k));
	sodium_memzero(ifd, sizeof(ifd));
	sodium_memzero(resp, sizeof(resp));
	return r;
}
