/* test_sm.c - cardreader/card_sm.c and card_smcrypto.c against ICAO 9303-11 Appendix D.4
 * (3DES SM: protected SELECT / READ BINARY and their responses, byte for byte), the gmrtd
 * AES SM vector, and refusals (bad MAC before decryption, missing DO'99', plain error,
 * broken session). */
#include "card_sm.h"
#include "card_smcrypto.h"
#include "tdata.h"

static const char *ksenc_hex = "979EC13B1CBFE9DCD01AB0FED307EAE5";
static const char *ksmac_hex = "F1CB1F1FB5ADF208806B89DC579DC1F8";
static const char *ssc_hex = "887022120C06C226";

static uint8_t buf[4096], want[512], data[512];
static size_t n, el, dl;

static struct card_sm *
d4_session(void)
{
	uint8_t ke[16], km[16], ssc[8];
	struct card_sm *sm = NULL;

	hex2bin(ksenc_hex, ke, 16);
	hex2bin(ksmac_hex, km, 16);
	hex2bin(ssc_hex, ssc, 8);
	if (card_sm_new(CARD_SM_3DES, ke, km, ssc, 8, &sm) != 0)
		return NULL;
	return sm;
}

T_CASE(retail_mac_and_padding)
{
	uint8_t k[16], msg[64], mac[8];
	size_t len, un;

	/* D.4: N = pad(SSC || M) must MAC to the DO'8E' of the protected SELECT */
	hex2bin(ksmac_hex, k, 16);
	len = hex2bin("887022120C06C2270CA4020C800000008709016375432908C044F68000000000",
	    msg, sizeof(msg));
	T_EQ_INT(card_mac(CARD_SM_3DES, k, msg, len, mac), 0);
	el = hex2bin("BF8B92D635FF24F8", want, sizeof(want));
	T_EQ_MEM(mac, 8, want, el);
	T_EQ_INT(card_mac(CARD_SM_3DES, k, msg, 7, mac), EID_ERR_INVALID_ARGUMENT);
	/* method 2 padding */
	memcpy(msg, "\x01\x1E", 2);
	T_EQ_INT(card_pad(msg, 2, sizeof(msg), 8, &len), 0);
	el = hex2bin("011E800000000000", want, sizeof(want));
	T_EQ_MEM(msg, len, want, el);
	T_EQ_INT(card_unpad(msg, len, &un), 0);
	T_EQ_INT(un, 2);
	T_EQ_INT(card_pad(msg, 8, 8, 8, &len), EID_ERR_TOO_LARGE);
	memset(msg, 0, 16);
	T_EQ_INT(card_unpad(msg, 16, &un), EID_ERR_FORMAT);
}

T_CASE(d4_select_ef_com)
{
	static const uint8_t fid[] = { 0x01, 0x1E };
	struct card_sm *sm = d4_session();
	struct card_apdu a;
	uint8_t ssc[16];
	uint16_t sw = 0;

	T_ASSERT(sm != NULL);
	card_apdu_set(&a, 0x00, 0xA4, 0x02, 0x0C, fid, 2, 0);
	T_EQ_INT(card_sm_protect(sm, &a, buf, sizeof(buf), &n), 0);
	el = hex2bin("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800", want, sizeof(want));
	T_EQ_MEM(buf, n, want, el);
	T_EQ_INT(card_sm_ssc(sm, ssc, sizeof(ssc)), 8);
	el = hex2bin("887022120C06C227", want, sizeof(want));
	T_EQ_MEM(ssc, 8, want, el);
	el = hex2bin("990290008E08FA855A5D4C50A8ED9000", want, sizeof(want));
	T_EQ_INT(card_sm_unprotect(sm, want, el, data, sizeof(data), &dl, &sw), 0);
	T_EQ_INT(sw, 0x9000);
	T_EQ_INT(dl, 0);
	card_sm_ssc(sm, ssc, sizeof(ssc));
	el = hex2bin("887022120C06C228", want, sizeof(want));
	T_EQ_MEM(ssc, 8, want, el);

	/* READ BINARY 4 bytes */
	card_apdu_set(&a, 0x00, 0xB0, 0x00, 0x00, NULL, 0, 4);
	T_EQ_INT(card_sm_protect(sm, &a, buf, sizeof(buf), &n), 0);
	el = hex2bin("0CB000000D9701048E08ED6705417E96BA5500", want, sizeof(want));
	T_EQ_MEM(buf, n, want, el);
	el = hex2bin("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000", want, sizeof(want));
	T_EQ_INT(card_sm_unprotect(sm, want, el, data, sizeof(data), &dl, &sw), 0);
	el = hex2bin("60145F01", want, sizeof(want));
	T_EQ_MEM(data, dl, want, el);

	/* READ BINARY 18 bytes at offset 4 */
	card_apdu_set(&a, 0x00, 0xB0, 0x00, 0x04, NULL, 0, 0x12);
	T_EQ_INT(card_sm_protect(sm, &a, buf, sizeof(buf), &n), 0);
	el = hex2bin("0CB000040D9701128E082EA28A70F3C7B53500", want, sizeof(want));
	T_EQ_MEM(buf, n, want, el);
	el = hex2bin("871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000",
	    want, sizeof(want));
	T_EQ_INT(card_sm_unprotect(sm, want, el, data, sizeof(data), &dl, &sw), 0);
	el = hex2bin("04303130365F36063034303030305C026175", want, sizeof(want));
	T_EQ_MEM(data, dl, want, el);
	card_sm_ssc(sm, ssc, sizeof(ssc));
	el = hex2bin("887022120C06C22C", want, sizeof(want));
	T_EQ_MEM(ssc, 8, want, el);
	card_sm_free(&sm);
	T_ASSERT(sm == NULL);
	card_sm_free(&sm);
}

/* Run the D.4 session up to the READ BINARY 4 response, with that response changed. */
static int
d4_tampered(const char *resp_hex, uint16_t *sw, struct card_sm **smp)
{
	static const uint8_t fid[] = { 0x01, 0x1E };
	struct card_sm *sm = d4_session();
	struct card_apdu a;
	uint8_t r[128];
	size_t rl;
	int rc;

	card_apdu_set(&a, 0x00, 0xA4, 0x02, 0x0C, fid, 2, 0);
	if (sm == NULL || card_sm_protect(sm, &a, buf, sizeof(buf), &n) != 0)
		return -99;
	rl = hex2bin("990290008E08FA855A5D4C50A8ED9000", r, sizeof(r));
	if (card_sm_unprotect(sm, r, rl, data, sizeof(data), &dl, sw) != 0)
		return -98;
	card_apdu_set(&a, 0x00, 0xB0, 0x00, 0x00, NULL, 0, 4);
	if (card_sm_protect(sm, &a, buf, sizeof(buf), &n) != 0)
		return -97;
	rl = hex2bin(resp_hex, r, sizeof(r));
	rc = card_sm_unprotect(sm, r, rl, data, sizeof(data), &dl, sw);
	*smp = sm;
	return rc;
}

T_CASE(unprotect_refusals)
{
	struct card_sm *sm = NULL;
	struct card_apdu a;
	uint16_t sw;

	/* a flipped ciphertext bit: MAC fails, nothing is decrypted */
	T_EQ_INT(d4_tampered("8709019FF0EC34F9922650990290008E08AD55CC17140B2DED9000", &sw, &sm),
	    EID_ERR_SM);
	T_EQ_INT(dl, 0);
	/* the session is now broken */
	card_apdu_set(&a, 0x00, 0xB0, 0x00, 0x00, NULL, 0, 4);
	T_EQ_INT(card_sm_protect(sm, &a, buf, sizeof(buf), &n), EID_ERR_SM);
	card_sm_free(&sm);
	/* wrong MAC */
	T_EQ_INT(d4_tampered("8709019FF0EC34F9922651990290008E08AD55CC17140B2DEE9000", &sw, &sm),
	    EID_ERR_SM);
	card_sm_free(&sm);
	/* DO'99' missing */
	T_EQ_INT(d4_tampered("8709019FF0EC34F99226518E08AD55CC17140B2DED9000", &sw, &sm), EID_ERR_SM);
	card_sm_free(&sm);
	/* something after DO'8E' */
	T_EQ_INT(d4_tampered("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED99029000", &sw,
	    &sm), EID_ERR_SM);
	card_sm_free(&sm);
	/* plain 6988: the card dropped SM */
	T_EQ_INT(d4_tampered("6988", &sw, &sm), EID_ERR_SM);
	T_EQ_INT(sw, 0x6988);
	card_sm_free(&sm);
	/* truncated DO */
	T_EQ_INT(d4_tampered("8709019FF0EC349000", &sw, &sm), EID_ERR_SM);
	card_sm_free(&sm);
	/* output buffer too small for the plain data: the MAC is right, the caller's cap wins */
	{
		static const uint8_t fid[] = { 0x01, 0x1E };
		uint8_t r[64];
		size_t rl;

		sm = d4_session();
		card_apdu_set(&a, 0x00, 0xA4, 0x02, 0x0C, fid, 2, 0);
		T_EQ_INT(card_sm_protect(sm, &a, buf, sizeof(buf), &n), 0);
		rl = hex2bin("990290008E08FA855A5D4C50A8ED9000", r, sizeof(r));
		T_EQ_INT(card_sm_unprotect(sm, r, rl, data, sizeof(data), &dl, &sw), 0);
		card_apdu_set(&a, 0x00, 0xB0, 0x00, 0x00, NULL, 0, 4);
		T_EQ_INT(card_sm_protect(sm, &a, buf, sizeof(buf), &n), 0);
		rl = hex2bin("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000", r, sizeof(r));
		T_EQ_INT(card_sm_unprotect(sm, r, rl, data, 3, &dl, &sw), EID_ERR_TOO_LARGE);
		card_sm_free(&sm);
	}
}

T_CASE(aes_sm_gmrtd_vector)
{
	uint8_t ke[16], km[16], ssc[16] = { 0 }, d[32];
	struct card_sm *sm = NULL;
	struct card_apdu a;
	size_t dlen;

	hex2bin("cc86415f2ed7e8fd663b754265695ae1", ke, 16);
	hex2bin("581e84b8ee06c4d3eee30461498d7fb3", km, 16);
	ssc[15] = 0xBA;         /* gmrtd: SSC ...BA, incremented to ...BB for the command */
	dlen = hex2bin("800a04007f000702020302028401c3", d, sizeof(d));
	T_EQ_INT(card_sm_new(CARD_SM_AES128, ke, km, ssc, 16, &sm), 0);
	T_EQ_INT(card_sm_cipher(sm), CARD_SM_AES128);
	card_apdu_set(&a, 0x00, 0x22, 0x41, 0xA4, d, dlen, 0);
	T_EQ_INT(card_sm_protect(sm, &a, buf, sizeof(buf), &n), 0);
	el = hex2bin("0c2241a41d871101980953d37f67558690045d78a853b18a8e08929767a2cef172e200",
	    want, sizeof(want));
	card_sm_free(&sm);
	T_EQ_MEM(buf, n, want, el);
	T_EQ_INT(card_sm_new(CARD_SM_AES128, ke, km, ssc, 8, &sm), EID_ERR_INVALID_ARGUMENT);
}

T_CASE(aes_sm_round_trip_self)
{
	/* protect a long command with extended Le, then unprotect a response built with the
	 * same primitives from the card's side */
	uint8_t ke[16], km[16], ssc[16] = { 0 }, d[300], resp[600], mac[8], iv[16], mac_in[600];
	struct card_sm *sm = NULL;
	struct card_apdu a;
	size_t i, rl = 0, ml, cl;
	uint16_t sw;

	for (i = 0; i < 16; i++) {
		ke[i] = (uint8_t)i;
		km[i] = (uint8_t)(0xA0 + i);
	}
	for (i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)(i * 7);
	T_EQ_INT(card_sm_new(CARD_SM_AES128, ke, km, ssc, 16, &sm), 0);
	card_apdu_set(&a, 0x00, 0x88, 0x00, 0x00, d, 8, 65536);
	T_EQ_INT(card_sm_protect(sm, &a, buf, sizeof(buf), &n), 0);
	T_EQ_INT(buf[4], 0x00);                 /* extended */
	T_EQ_INT(buf[n - 1], 0x00);
	T_EQ_INT(buf[n - 2], 0x00);
	/* the card's answer at SSC 2: 87 82 01 31 01 E(pad(d)) 99 02 9000 8E 08 mac */
	ssc[15] = 2;
	memcpy(resp + 5, d, 300);
	T_EQ_INT(card_pad(resp + 5, 300, sizeof(resp) - 5, 16, &cl), 0);
	T_EQ_INT(card_aes_ecb_block(ke, ssc, iv), 0);
	T_EQ_INT(card_cbc(CARD_SM_AES128, 1, ke, iv, resp + 5, cl, resp + 5), 0);
	resp[0] = 0x87;
	resp[1] = 0x82;
	resp[2] = (uint8_t)((cl + 1) >> 8);
	resp[3] = (uint8_t)(cl + 1);
	resp[4] = 0x01;
	rl = 5 + cl;
	memcpy(resp + rl, "\x99\x02\x90\x00", 4);
	rl += 4;
	memcpy(mac_in, ssc, 16);
	memcpy(mac_in + 16, resp, rl);
	T_EQ_INT(card_pad(mac_in, 16 + rl, sizeof(mac_in), 16, &ml), 0);
	T_EQ_INT(card_mac(CARD_SM_AES128, km, mac_in, ml, mac), 0);
	resp[rl++] = 0x8E;
	resp[rl++] = 8;
	memcpy(resp + rl, mac, 8);
	rl += 8;
	resp[rl++] = 0x90;
	resp[rl++] = 0x00;
	T_EQ_INT(card_sm_unprotect(sm, resp, rl, data, sizeof(data), &dl, &sw), 0);
	card_sm_free(&sm);
	T_EQ_MEM(data, dl, d, 300);
	T_EQ_INT(sw, 0x9000);
}

int
main(void)
{
	T_RUN(retail_mac_and_padding);
	T_RUN(d4_select_ef_com);
	T_RUN(unprotect_refusals);
	T_RUN(aes_sm_gmrtd_vector);
	T_RUN(aes_sm_round_trip_self);
	return t_done();
}
