/* test_pace.c - cardreader/card_pace.c against ICAO 9303-11 Appendix G.1 (ECDH generic
 * mapping, brainpoolP256r1, AES-128): EF.CardAccess, K_pi, nonce, G', shared secret,
 * session keys, tokens, and the whole APDU transcript over the replay transport. */
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include "card_pace.h"
#include "card_smcrypto.h"
#include "card_transport.h"
#include "tdata.h"

#define G1_MRZ "T22000129364081251010318"
#define TERM_MAP_PRIV "7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99"
#define TERM_MAP_PUB "047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D"
#define CHIP_MAP_PUB "04824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F5730D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54"
#define G2 "048CED63C91426D4F0EB1435E7CB1D74A46723A0AF21C89634F65A9AE87A9265E28C879506743F8611AC33645C5B985C80B5F09A0B83407C1B6A4D857AE76FE522"
#define TERM_EPH_PRIV "A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595"
#define TERM_EPH_PUB "042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB36462"
#define CHIP_EPH_PUB "049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094"

static uint8_t want[256], b1[256];
static size_t el;

static EC_POINT *
pt(const EC_GROUP *g, const char *hex)
{
	uint8_t b[80];
	size_t n = hex2bin(hex, b, sizeof(b));
	EC_POINT *p = EC_POINT_new(g);

	if (p != NULL && EC_POINT_oct2point(g, p, b, n, NULL) != 1) {
		EC_POINT_free(p);
		p = NULL;
	}
	return p;
}

static BIGNUM *
bn(const char *hex)
{
	BIGNUM *b = NULL;

	return BN_hex2bn(&b, hex) > 0 ? b : NULL;
}

T_CASE(card_access)
{
	struct card_pace_info info;
	uint8_t b[64];
	size_t n = hex2bin("31143012060A04007F0007020204020202010202010D", b, sizeof(b));

	T_EQ_INT(card_pace_parse_card_access(b, n, &info), 0);
	T_EQ_INT(info.parameter_id, 13);
	T_EQ_INT(info.curve_nid, NID_brainpoolP256r1);
	/* the CCCD constant: TA, CA, then PACEInfo */
	n = hex2bin("3134300D060804007F00070202020201013" "00F060A04007F00070202030202020101"
	    "3012060A04007F0007020204020202010202010D", b, sizeof(b));
	T_EQ_INT(card_pace_parse_card_access(b, n, &info), 0);
	T_EQ_INT(info.parameter_id, 13);
	/* CMAC-256 OID only: unusable */
	n = hex2bin("31143012060A04007F0007020204020402010202010D", b, sizeof(b));
	T_EQ_INT(card_pace_parse_card_access(b, n, &info), EID_ERR_UNSUPPORTED);
	T_EQ_INT(card_pace_parse_card_access(b, 3, &info), EID_ERR_UNSUPPORTED);
}

T_CASE(kpi_and_nonce)
{
	uint8_t kpi[16], z[16], s[16];

	T_EQ_INT(card_pace_kpi(CARD_PACE_MRZ, G1_MRZ, kpi), 0);
	el = hex2bin("89DED1B26624EC1E634C1989302849DD", want, sizeof(want));
	T_EQ_MEM(kpi, 16, want, el);
	hex2bin("95A3A016522EE98D01E76CB6B98B42C3", z, 16);
	T_EQ_INT(card_cbc(CARD_SM_AES128, 0, kpi, NULL, z, 16, s), 0);
	el = hex2bin("3F00C4D39D153F2B2A214A078D899B22", want, sizeof(want));
	T_EQ_MEM(s, 16, want, el);
	/* CCCD: CAN = last 6 digits of the ID; MRZ of cccd1 (manifest values) */
	T_EQ_INT(card_pace_kpi(CARD_PACE_CAN, "012345", kpi), 0);
	el = hex2bin("5E5CD537047973C8F8BFDEA168324EC0", want, sizeof(want));
	T_EQ_MEM(kpi, 16, want, el);
	T_EQ_INT(card_pace_kpi(CARD_PACE_MRZ, "090012345090031523003150", kpi), 0);
	el = hex2bin("0192E4D67BB88753FF2B844EA393EED1", want, sizeof(want));
	T_EQ_MEM(kpi, 16, want, el);
	T_EQ_INT(card_pace_kpi(CARD_PACE_CAN, "", kpi), EID_ERR_INVALID_ARGUMENT);
}

T_CASE(mapping_agreement_tokens)
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_brainpoolP256r1);
	EC_POINT *chip_map = pt(g, CHIP_MAP_PUB), *h = EC_POINT_new(g), *g2 = NULL;
	EC_POINT *want_g2 = pt(g, G2), *pub = EC_POINT_new(g), *k = EC_POINT_new(g);
	BIGNUM *tm = bn(TERM_MAP_PRIV), *te = bn(TERM_EPH_PRIV), *x = BN_new();
	uint8_t s[16], kk[32], ke[16], km[16], tok[8];
	size_t n;
	int ok = 0;

	hex2bin("3F00C4D39D153F2B2A214A078D899B22", s, 16);
	if (g != NULL && chip_map != NULL && h != NULL && want_g2 != NULL && tm != NULL &&
	    te != NULL && x != NULL && pub != NULL && k != NULL &&
	    EC_POINT_mul(g, h, NULL, chip_map, tm, NULL) == 1 &&
	    card_pace_map_generator(g, s, 16, h, &g2) == 0 &&
	    EC_POINT_cmp(g, g2, want_g2, NULL) == 0)
		ok = 1;
	/* terminal ephemeral public key on G' */
	if (ok && EC_POINT_mul(g, pub, NULL, g2, te, NULL) == 1) {
		n = EC_POINT_point2oct(g, pub, POINT_CONVERSION_UNCOMPRESSED, b1, sizeof(b1), NULL);
		el = hex2bin(TERM_EPH_PUB, want, sizeof(want));
		ok = n == el && memcmp(b1, want, n) == 0;
	}
	/* K = x(te * PK_IC) */
	EC_POINT_free(chip_map);
	chip_map = pt(g, CHIP_EPH_PUB);
	if (ok && (chip_map == NULL || EC_POINT_mul(g, k, NULL, chip_map, te, NULL) != 1 ||
	    EC_POINT_get_affine_coordinates(g, k, x, NULL, NULL) != 1 ||
	    BN_bn2binpad(x, kk, 32) != 32))
		ok = 0;
	EC_POINT_free(chip_map);
	EC_POINT_free(h);
	EC_POINT_free(g2);
	EC_POINT_free(want_g2);
	EC_POINT_free(pub);
	EC_POINT_free(k);
	BN_free(tm);
	BN_free(te);
	BN_free(x);
	EC_GROUP_free(g);
	T_ASSERT(ok);
	el = hex2bin("28768D20701247DAE81804C9E780EDE582A9996DB4A315020B2733197DB84925", want,
	    sizeof(want));
	T_EQ_MEM(kk, 32, want, el);
	T_EQ_INT(card_kdf(CARD_SM_AES128, kk, 32, CARD_KDF_ENC, ke), 0);
	T_EQ_INT(card_kdf(CARD_SM_AES128, kk, 32, CARD_KDF_MAC, km), 0);
	el = hex2bin("F5F0E35C0D7161EE6724EE513A0D9A7F", want, sizeof(want));
	T_EQ_MEM(ke, 16, want, el);
	el = hex2bin("FE251C7858B356B24514B3BD5F4297D1", want, sizeof(want));
	T_EQ_MEM(km, 16, want, el);
	n = hex2bin(CHIP_EPH_PUB, b1, sizeof(b1));
	T_EQ_INT(card_pace_token(km, b1, n, tok), 0);
	el = hex2bin("C2B0BD78D94BA866", want, sizeof(want));
	T_EQ_MEM(tok, 8, want, el);
	n = hex2bin(TERM_EPH_PUB, b1, sizeof(b1));
	T_EQ_INT(card_pace_token(km, b1, n, tok), 0);
	el = hex2bin("3ABB9674BCE93C08", want, sizeof(want));
	T_EQ_MEM(tok, 8, want, el);
}

/* terminal keys of G.1, in the order card_pace_perform draws them */
static int g1_draw;
static void
g1_rnd(void *buf, size_t n)
{
	uint8_t v[32];

	hex2bin(g1_draw++ == 0 ? TERM_MAP_PRIV : TERM_EPH_PRIV, v, 32);
	memcpy(buf, v, n < 32 ? n : 32);
}

static struct card_transport *
g1_replay(const char *ga4_resp)
{
	static char cmds[5][400], resps[5][400];
	static uint8_t c[5][200], r[5][200];
	struct card_replay_pair p[5];
	struct card_transport *t = NULL;
	int i;

	snprintf(cmds[0], 400, "0022C1A412800A04007F00070202040202830101" "84010D");
	snprintf(resps[0], 400, "9000");
	snprintf(cmds[1], 400, "10860000027C0000");
	snprintf(resps[1], 400, "7C12801095A3A016522EE98D01E76CB6B98B42C39000");
	snprintf(cmds[2], 400, "10860000457C438141%s00", TERM_MAP_PUB);
	snprintf(resps[2], 400, "7C438241%s9000", CHIP_MAP_PUB);
	snprintf(cmds[3], 400, "10860000457C438341%s00", TERM_EPH_PUB);
	snprintf(resps[3], 400, "7C438441%s9000", CHIP_EPH_PUB);
	snprintf(cmds[4], 400, "008600000C7C0A8508C2B0BD78D94BA86600");
	snprintf(resps[4], 400, "%s", ga4_resp);
	for (i = 0; i < 5; i++) {
		p[i].cmd = c[i];
		p[i].cmd_len = hex2bin(cmds[i], c[i], sizeof(c[i]));
		p[i].resp = r[i];
		p[i].resp_len = hex2bin(resps[i], r[i], sizeof(r[i]));
	}
	g1_draw = 0;
	return card_transport_replay_new(p, 5, &t) == 0 ? t : NULL;
}

T_CASE(g1_transcript_over_replay)
{
	struct card_pace_info info = { 13, NID_brainpoolP256r1 };
	struct card_transport *t = g1_replay("7C0A86083ABB9674BCE93C089000");
	struct card_sm *sm = NULL;
	uint8_t ssc[16], zero[16] = { 0 };

	T_ASSERT(t != NULL);
	T_EQ_INT(card_pace_perform(t, &info, CARD_PACE_MRZ, G1_MRZ, g1_rnd, &sm), 0);
	T_EQ_INT(card_transport_replay_left(t), 0);
	card_transport_free(&t);
	T_EQ_INT(card_sm_cipher(sm), CARD_SM_AES128);
	T_EQ_INT(card_sm_ssc(sm, ssc, sizeof(ssc)), 16);
	card_sm_free(&sm);
	T_EQ_MEM(ssc, 16, zero, 16);
}

T_CASE(g1_refusals)
{
	struct card_pace_info info = { 13, NID_brainpoolP256r1 };
	struct card_transport *t;
	struct card_sm *sm = NULL;

	/* wrong password: the chip answers 6300 to GA4 */
	t = g1_replay("6300");
	T_EQ_INT(card_pace_perform(t, &info, CARD_PACE_MRZ, G1_MRZ, g1_rnd, &sm),
	    EID_ERR_ACCESS_DENIED);
	card_transport_free(&t);
	T_ASSERT(sm == NULL);
	/* the chip's token does not verify */
	t = g1_replay("7C0A86083ABB9674BCE93C099000");
	T_EQ_INT(card_pace_perform(t, &info, CARD_PACE_MRZ, G1_MRZ, g1_rnd, &sm),
	    EID_ERR_ACCESS_DENIED);
	card_transport_free(&t);
	/* a CAN sends another MSE:Set AT (83 01 02): the record refuses it */
	t = g1_replay("7C0A86083ABB9674BCE93C089000");
	T_EQ_INT(card_pace_perform(t, &info, CARD_PACE_CAN, "123456", g1_rnd, &sm), EID_ERR_APDU);
	card_transport_free(&t);
	T_ASSERT(sm == NULL);
}

int
main(void)
{
	T_RUN(card_access);
	T_RUN(kpi_and_nonce);
	T_RUN(mapping_agreement_tokens);
	T_RUN(g1_transcript_over_replay);
	T_RUN(g1_refusals);
	return t_done();
}
