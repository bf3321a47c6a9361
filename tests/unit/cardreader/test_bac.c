/* test_bac.c - cardreader/card_bac.c against ICAO 9303-11 Appendix D.2/D.3 exactly
 * (Kenc, Kmac, EIFD||MIFD, EIC||MIC, KSenc/KSmac via the D.4 protected SELECT, SSC), the
 * whole exchange over the replay transport, and refusals. */
#include "cx_util.h"
#include "card_bac.h"
#include "card_mrz.h"
#include "card_transport.h"
#include "tdata.h"

static const char *mrz_info = "L898902C<369080619406236";
static uint8_t rnd_ic[8], rnd_ifd[8], k_ifd[16], want[128], out[128];
static size_t el;

static void
load_nonces(void)
{
	hex2bin("4608F91988702212", rnd_ic, 8);
	hex2bin("781723860C06C226", rnd_ifd, 8);
	hex2bin("0B795240CB7049B01C19B33E32804F0B", k_ifd, 16);
}

/* RND.IFD || K.IFD of the worked example */
static void
d3_rnd(void *buf, size_t n)
{
	uint8_t v[24];

	load_nonces();
	memcpy(v, rnd_ifd, 8);
	memcpy(v + 8, k_ifd, 16);
	memcpy(buf, v, n < 24 ? n : 24);
}

/* The D.4 protected SELECT EF.COM proves KSenc, KSmac and SSC. */
static int
select_matches_d4(struct card_sm *sm)
{
	static const uint8_t fid[] = { 0x01, 0x1E };
	struct card_apdu a;
	uint8_t b[64], e[64];
	size_t n, l;

	card_apdu_set(&a, 0x00, 0xA4, 0x02, 0x0C, fid, 2, 0);
	if (card_sm_protect(sm, &a, b, sizeof(b), &n) != 0)
		return 0;
	l = hex2bin("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800", e, sizeof(e));
	return n == l && memcmp(b, e, n) == 0;
}

T_CASE(d2_mrz_information_and_keys)
{
	struct card_bac_keys k;
	char info[40];

	T_EQ_INT(card_mrz_bac_seed_fields("L898902C", "690806", "940623", info, sizeof(info)), 0);
	T_EQ_STR(info, mrz_info);
	T_EQ_INT(card_bac_keys(mrz_info, &k), 0);
	el = hex2bin("AB94FDECF2674FDFB9B391F85D7F76F2", want, sizeof(want));
	T_EQ_MEM(k.kenc, 16, want, el);
	el = hex2bin("7962D9ECE03D1ACD4C76089DCE131543", want, sizeof(want));
	T_EQ_MEM(k.kmac, 16, want, el);
	T_EQ_INT(card_bac_keys("short", &k), EID_ERR_INVALID_ARGUMENT);
	/* CCCD synthetic vector (VECTORS.md 3.3) */
	T_EQ_INT(card_bac_keys("099012345999051203905128", &k), 0);
	el = hex2bin("02FB40F497C7F8347F45F42580EF5152", want, sizeof(want));
	T_EQ_MEM(k.kenc, 16, want, el);
	el = hex2bin("94944C4AF89231014AADB5430245DF08", want, sizeof(want));
	T_EQ_MEM(k.kmac, 16, want, el);
	cx_wipe(&k, sizeof(k));
}

T_CASE(d3_request_and_response)
{
	struct card_bac_keys k;
	struct card_sm *sm = NULL;
	uint8_t ssc[16];

	load_nonces();
	T_EQ_INT(card_bac_keys(mrz_info, &k), 0);
	T_EQ_INT(card_bac_request(&k, rnd_ic, rnd_ifd, k_ifd, out), 0);
	el = hex2bin("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A7",
	    want, sizeof(want));
	T_EQ_MEM(out, CARD_BAC_CMD_LEN, want, el);
	el = hex2bin("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D7449",
	    want, sizeof(want));
	T_EQ_INT(card_bac_response(&k, want, el, rnd_ic, rnd_ifd, k_ifd, &sm), 0);
	T_EQ_INT(card_sm_ssc(sm, ssc, sizeof(ssc)), 8);
	el = hex2bin("887022120C06C226", want, sizeof(want));
	T_EQ_MEM(ssc, 8, want, el);
	T_ASSERT(select_matches_d4(sm));
	card_sm_free(&sm);
	/* a flipped MIC bit, a flipped EIC bit, a wrong length: access denied, no session */
	el = hex2bin("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D7448",
	    want, sizeof(want));
	T_EQ_INT(card_bac_response(&k, want, el, rnd_ic, rnd_ifd, k_ifd, &sm), EID_ERR_ACCESS_DENIED);
	T_ASSERT(sm == NULL);
	want[0] ^= 1;
	T_EQ_INT(card_bac_response(&k, want, el, rnd_ic, rnd_ifd, k_ifd, &sm), EID_ERR_ACCESS_DENIED);
	T_EQ_INT(card_bac_response(&k, want, 32, rnd_ic, rnd_ifd, k_ifd, &sm), EID_ERR_ACCESS_DENIED);
	/* the chip must echo our RND.IFD */
	el = hex2bin("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D7449",
	    want, sizeof(want));
	rnd_ifd[0] ^= 1;
	T_EQ_INT(card_bac_response(&k, want, el, rnd_ic, rnd_ifd, k_ifd, &sm), EID_ERR_ACCESS_DENIED);
	cx_wipe(&k, sizeof(k));
}

static struct card_transport *
d3_replay(const char *ma_resp_hex)
{
	static uint8_t c1[8], r1[16], c2[64], r2[64];
	struct card_replay_pair p[2];
	struct card_transport *t = NULL;

	p[0].cmd = c1;
	p[0].cmd_len = hex2bin("0084000008", c1, sizeof(c1));
	p[0].resp = r1;
	p[0].resp_len = hex2bin("4608F919887022129000", r1, sizeof(r1));
	p[1].cmd = c2;
	p[1].cmd_len = hex2bin("0082000028"
	    "72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A7" "28",
	    c2, sizeof(c2));
	p[1].resp = r2;
	p[1].resp_len = hex2bin(ma_resp_hex, r2, sizeof(r2));
	if (card_transport_replay_new(p, 2, &t) != 0)
		return NULL;
	return t;
}

T_CASE(perform_over_replay)
{
	struct card_transport *t = d3_replay(
	    "46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D74499000");
	struct card_sm *sm = NULL;

	T_ASSERT(t != NULL);
	T_EQ_INT(card_bac_perform(t, mrz_info, d3_rnd, &sm), 0);
	T_EQ_INT(card_transport_replay_left(t), 0);
	card_transport_free(&t);
	T_ASSERT(t == NULL);
	T_ASSERT(select_matches_d4(sm));
	card_sm_free(&sm);
}

T_CASE(perform_wrong_mrz)
{
	static const char *const sws[] = { "6300", "6982", "6988" };
	struct card_transport *t;
	struct card_sm *sm = NULL;
	size_t i;

	for (i = 0; i < 3; i++) {
		t = d3_replay(sws[i]);
		T_ASSERT(t != NULL);
		T_EQ_INT(card_bac_perform(t, mrz_info, d3_rnd, &sm), EID_ERR_ACCESS_DENIED);
		T_ASSERT(sm == NULL);
		card_transport_free(&t);
	}
	/* a different MRZ gives a different EIFD: the replay refuses the command */
	t = d3_replay("6300");
	T_EQ_INT(card_bac_perform(t, "L898902C<369080619406245", d3_rnd, &sm), EID_ERR_APDU);
	card_transport_free(&t);
	/* card gone after GET CHALLENGE */
	{
		uint8_t c1[8], r1[16];
		struct card_replay_pair p = { c1, 0, r1, 0 };

		p.cmd_len = hex2bin("0084000008", c1, sizeof(c1));
		p.resp_len = hex2bin("4608F919887022129000", r1, sizeof(r1));
		T_EQ_INT(card_transport_replay_new(&p, 1, &t), 0);
		T_EQ_INT(card_bac_perform(t, mrz_info, d3_rnd, &sm), EID_ERR_CARD_REMOVED);
		card_transport_free(&t);
	}
}

int
main(void)
{
	T_RUN(d2_mrz_information_and_keys);
	T_RUN(d3_request_and_response);
	T_RUN(perform_over_replay);
	T_RUN(perform_wrong_mrz);
	return t_done();
}
