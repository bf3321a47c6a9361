/* card_sm.c - ICAO 9303-11 secure messaging, 3DES and AES (see card_sm.h). */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cx_buf.h"
#include "cx_util.h"
#include "eid_limits.h"
#include "card_sm.h"
#include "card_tlv.h"

struct card_sm {
	enum card_sm_cipher cipher;
	uint8_t kenc[CARD_SM_KEY_LEN];
	uint8_t kmac[CARD_SM_KEY_LEN];
	uint8_t ssc[16];
	size_t ssc_len;
	size_t block;
	int broken;
};

int
card_sm_new(enum card_sm_cipher c, const uint8_t kenc[CARD_SM_KEY_LEN],
    const uint8_t kmac[CARD_SM_KEY_LEN], const uint8_t *ssc, size_t ssc_len,
    struct card_sm **out)
{
	struct card_sm *sm;

	*out = NULL;
	if ((c != CARD_SM_3DES && c != CARD_SM_AES128) ||
	    ssc_len != card_sm_block_size(c))
		return EID_ERR_INVALID_ARGUMENT;
	if ((sm = calloc(1, sizeof(*sm))) == NULL)
		return EID_ERR_NOMEM;
	sm->cipher = c;
	sm->block = card_sm_block_size(c);
	memcpy(sm->kenc, kenc, CARD_SM_KEY_LEN);
	memcpy(sm->kmac, kmac, CARD_SM_KEY_LEN);
	memcpy(sm->ssc, ssc, ssc_len);
	sm->ssc_len = ssc_len;
	*out = sm;
	return EID_OK;
}

void
card_sm_free(struct card_sm **sm)
{
	if (sm == NULL || *sm == NULL)
		return;
	sodium_memzero(*sm, sizeof(**sm));
	free(*sm);
	*sm = NULL;
}

enum card_sm_cipher
card_sm_cipher(const struct card_sm *sm)
{
	return sm->cipher;
}

size_t
card_sm_ssc(const struct card_sm *sm, uint8_t *out, size_t outsz)
{
	if (outsz < sm->ssc_len)
		return 0;
	memcpy(out, sm->ssc, sm->ssc_len);
	return sm->ssc_len;
}

static void
ssc_inc(struct card_sm *sm)
{
	size_t i = sm->ssc_len;

	while (i > 0) {
		i--;
		if (++sm->ssc[i] != 0)
			break;
	}
}

/* IV for the current SSC: zero (3DES) or AES(KSenc, SSC). */
static int
sm_iv(const struct card_sm *sm, uint8_t iv[16])
{
	memset(iv, 0, 16);
	if (sm->cipher == CARD_SM_AES128)
		return card_aes_ecb_block(sm->kenc, sm->ssc, iv);
	return EID_OK;
}

/* Append a DER length. */
static size_t
put_len(uint8_t *p, size_t len)
{
	if (len < 0x80) {
		p[0] = (uint8_t)len;
		return 1;
	}
	if (len < 0x100) {
		p[0] = 0x81;
		p[1] = (uint8_t)len;
		return 2;
	}
	p[0] = 0x82;
	p[1] = (uint8_t)(len >> 8);
	p[2] = (uint8_t)len;
	return 3;
}

/* MAC over pad(SSC || msg). */
static int
sm_mac(const struct card_sm *sm, const uint8_t *msg, size_t len, uint8_t mac[CARD_SM_MAC_LEN])
{
	uint8_t *buf = NULL;
	size_t n = sm->ssc_len + len, padded;
	size_t cap = n + CARD_SM_MAX_BLOCK;
	int r;

	if ((buf = malloc(cap)) == NULL)
		return EID_ERR_NOMEM;
	memcpy(buf, sm->ssc, sm->ssc_len);
	if (len > 0)
		memcpy(buf + sm->ssc_len, msg, len);
	if ((r = card_pad(buf, n, cap, sm->block, &padded)) == 0)
		r = card_mac(sm->cipher, sm->kmac, buf, padded, mac);
	sodium_memzero(buf, cap);
	free(buf);
	return r;
}

int
card_sm_protect(struct card_sm *sm, const struct card_apdu *cmd, uint8_t *out,
    size_t outsz, size_t *outlen)
{
	uint8_t *m = NULL, *enc = NULL, iv[16], mac[CARD_SM_MAC_LEN];
	size_t mcap, mlen, hdr, enclen = 0, body_off;
	struct card_apdu p;
	int r = EID_ERR_SM;

	*outlen = 0;
	if (sm->broken)
		return EID_ERR_SM;
	if (cmd->lc > EID_APDU_MAX_RESPONSE || (cmd->cla & 0x0C) != 0)
		return EID_ERR_INVALID_ARGUMENT;
	/* M = padded header || DO'87'/'85' || DO'97' ; room for everything */
	mcap = 16 + 5 + cmd->lc + CARD_SM_MAX_BLOCK + 4 + 10 + CARD_SM_MAX_BLOCK;
	if ((m = malloc(mcap)) == NULL || (enc = malloc(cmd->lc + CARD_SM_MAX_BLOCK)) == NULL) {
		r = EID_ERR_NOMEM;
		goto out;
	}
	ssc_inc(sm);
	m[0] = cmd->cla | 0x0C;
	m[1] = cmd->ins;
	m[2] = cmd->p1;
	m[3] = cmd->p2;
	if ((r = card_pad(m, 4, mcap, sm->block, &hdr)) != 0)
		goto out;
	mlen = body_off = hdr;
	if (cmd->lc > 0) {
		int odd = cmd->ins & 1;

		memcpy(enc, cmd->data, cmd->lc);
		if ((r = card_pad(enc, cmd->lc, cmd->lc + CARD_SM_MAX_BLOCK, sm->block,
		    &enclen)) != 0 || (r = sm_iv(sm, iv)) != 0 ||
		    (r = card_cbc(sm->cipher, 1, sm->kenc, iv, enc, enclen, enc)) != 0)
			goto out;
		m[mlen++] = odd ? 0x85 : 0x87;
		mlen += put_len(m + mlen, enclen + (odd ? 0 : 1));
		if (!odd)
			m[mlen++] = 0x01;
		memcpy(m + mlen, enc, enclen);
		mlen += enclen;
	}
	if (cmd->le > 0) {
		m[mlen++] = 0x97;
		if (cmd->le == CARD_APDU_LE_SHORT_MAX) {
			m[mlen++] = 1;
			m[mlen++] = 0x00;
		} else if (cmd->le == CARD_APDU_LE_EXT_MAX) {
			m[mlen++] = 2;
			m[mlen++] = 0x00;
			m[mlen++] = 0x00;
		} else if (cmd->le > CARD_APDU_LE_SHORT_MAX) {
			m[mlen++] = 2;
			m[mlen++] = (uint8_t)(cmd->le >> 8);
			m[mlen++] = (uint8_t)cmd->le;
		} else {
			m[mlen++] = 1;
			m[mlen++] = (uint8_t)cmd->le;
		}
	}
	if ((r = sm_mac(sm, m, mlen, mac)) != 0)
		goto out;
	/* body = DOs || 8E 08 mac, written after the header in m */
	m[mlen++] = 0x8E;
	m[mlen++] = CARD_SM_MAC_LEN;
	memcpy(m + mlen, mac, CARD_SM_MAC_LEN);
	mlen += CARD_SM_MAC_LEN;
	/* answers larger than ~0xDF plain bytes no longer fit a short protected response */
	card_apdu_set(&p, cmd->cla | 0x0C, cmd->ins, cmd->p1, cmd->p2, m + body_off,
	    mlen - body_off, cmd->le > 0xDF ? CARD_APDU_LE_EXT_MAX : CARD_APDU_LE_SHORT_MAX);
	r = card_apdu_build(&p, out, outsz, outlen);
out:
	if (r != 0)
		sm->broken = 1;
	if (m != NULL) {
		sodium_memzero(m, mcap);
		free(m);
	}
	if (enc != NULL) {
		sodium_memzero(enc, cmd->lc + CARD_SM_MAX_BLOCK);
		free(enc);
	}
	sodium_memzero(iv, sizeof(iv));
	return r;
}

int
card_sm_unprotect(struct card_sm *sm, const uint8_t *resp, size_t resp_len,
    uint8_t *data, size_t datasz, size_t *datalen, uint16_t *sw)
{
	struct card_rapdu ra;
	struct cx_reader rd;
	struct card_tlv t, d87 = { 0 }, d99 = { 0 }, d8e = { 0 };
	uint8_t mac[CARD_SM_MAC_LEN], iv[16], *plain = NULL;
	const uint8_t *mac_end = NULL;
	size_t plen = 0, clen, unp, plain_cap = 0;
	int have87 = 0, have99 = 0, have8e = 0, r = EID_ERR_SM;

	*datalen = 0;
	*sw = 0;
	if (sm->broken)
		return EID_ERR_SM;
	if ((r = card_apdu_parse_response(resp, resp_len, &ra)) != 0)
		goto out;
	ssc_inc(sm);
	r = EID_ERR_SM;
	if (ra.len == 0) {              /* plain status: the card dropped SM */
		*sw = ra.sw;
		goto out;
	}
	cx_rd_init(&rd, ra.data, ra.len);
	while (rd.len > 0) {
		if (card_tlv_next(&rd, &t) != 0)
			goto out;
		if (have8e)
			goto out;               /* nothing may follow the MAC */
		switch (t.tag) {
		case 0x85:
		case 0x87:
			if (have87 || have99)
				goto out;
			d87 = t;
			have87 = 1;
			break;
		case 0x99:
			if (have99 || t.len != 2)
				goto out;
			d99 = t;
			have99 = 1;
			break;
		case 0x8E:
			if (t.len != CARD_SM_MAC_LEN)
				goto out;
			d8e = t;
			have8e = 1;
			mac_end = t.raw;
			break;
		default:
			goto out;
		}
	}
	if (!have8e || !have99)
		goto out;
	/* MAC first, in constant time */
	if ((r = sm_mac(sm, ra.data, (size_t)(mac_end - ra.data), mac)) != 0)
		goto out;
	if (!cx_ct_equal(mac, sizeof(mac), d8e.value, d8e.len)) {
		r = EID_ERR_SM;
		goto out;
	}
	*sw = (uint16_t)((d99.value[0] << 8) | d99.value[1]);
	if (have87) {
		const uint8_t *c = d87.value;

		clen = d87.len;
		if (d87.tag == 0x87) {
			if (clen < 1 || c[0] != 0x01)
				goto out;
			c++;
			clen--;
		}
		if (clen == 0 || clen % sm->block != 0)
			goto out;
		plain_cap = clen;
		if ((plain = malloc(plain_cap)) == NULL) {
			r = EID_ERR_NOMEM;
			goto out;
		}
		if ((r = sm_iv(sm, iv)) != 0 ||
		    (r = card_cbc(sm->cipher, 0, sm->kenc, iv, c, clen, plain)) != 0)
			goto out;
		r = EID_ERR_SM;
		if (card_unpad(plain, clen, &unp) != 0)
			goto out;
		if (unp > datasz) {
			r = EID_ERR_TOO_LARGE;
			goto out;
		}
		memcpy(data, plain, unp);
		plen = unp;
	}
	*datalen = plen;
	r = EID_OK;
out:
	if (r != 0)
		sm->broken = 1;
	if (plain != NULL) {
		sodium_memzero(plain, plain_cap);
		free(plain);
	}
	sodium_memzero(iv, sizeof(iv));
	return r;
}
