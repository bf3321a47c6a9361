/* test_apdu.c - cardreader/card_apdu.c: encoding cases 1-4 short/extended, command
 * parsing round trips, response splitting edge cases. */
#include "eid_limits.h"
#include "card_apdu.h"
#include "tdata.h"

static uint8_t out[70000];
static size_t n;

#define BUILD_EQ(hex) do { \
	uint8_t exp_[64]; size_t el_ = hex2bin(hex, exp_, sizeof(exp_)); \
	T_EQ_INT(card_apdu_build(&a, out, sizeof(out), &n), 0); \
	T_EQ_MEM(out, n, exp_, el_); \
} while (0)

T_CASE(build_short_cases)
{
	static const uint8_t d[] = { 0x01, 0x1E };
	struct card_apdu a;

	card_apdu_set(&a, 0x00, 0x84, 0x00, 0x00, NULL, 0, 0);
	BUILD_EQ("00840000");
	card_apdu_set(&a, 0x00, 0x84, 0x00, 0x00, NULL, 0, 8);
	BUILD_EQ("0084000008");
	card_apdu_set(&a, 0x00, 0xB0, 0x00, 0x00, NULL, 0, 256);
	BUILD_EQ("00B0000000");
	card_apdu_set(&a, 0x00, 0xA4, 0x02, 0x0C, d, 2, 0);
	BUILD_EQ("00A4020C02011E");
	card_apdu_set(&a, 0x00, 0xA4, 0x02, 0x0C, d, 2, 256);
	BUILD_EQ("00A4020C02011E00");
	T_EQ_INT(card_apdu_is_extended(&a), 0);
}

T_CASE(build_extended_cases)
{
	static uint8_t d[300];
	struct card_apdu a;

	card_apdu_set(&a, 0x00, 0xB0, 0x00, 0x00, NULL, 0, 257);
	BUILD_EQ("00B00000000101");
	card_apdu_set(&a, 0x00, 0xB0, 0x00, 0x00, NULL, 0, 65536);
	BUILD_EQ("00B00000000000");
	card_apdu_set(&a, 0x00, 0x88, 0x00, 0x00, d, 8, 65536);
	T_EQ_INT(card_apdu_build(&a, out, sizeof(out), &n), 0);
	T_EQ_INT(n, 4 + 3 + 8 + 2);
	T_EQ_INT(out[4], 0);
	T_EQ_INT(out[6], 8);
	T_EQ_INT(out[15], 0);
	T_EQ_INT(out[16], 0);
	card_apdu_set(&a, 0x00, 0xD6, 0x00, 0x00, d, 300, 0);
	T_EQ_INT(card_apdu_build(&a, out, sizeof(out), &n), 0);
	T_EQ_INT(n, 4 + 3 + 300);
	T_EQ_INT(out[5], 0x01);
	T_EQ_INT(out[6], 0x2C);
}

T_CASE(build_refuses)
{
	static uint8_t d[8];
	struct card_apdu a;

	card_apdu_set(&a, 0, 0xB0, 0, 0, NULL, 0, 65537);
	T_EQ_INT(card_apdu_build(&a, out, sizeof(out), &n), EID_ERR_INVALID_ARGUMENT);
	card_apdu_set(&a, 0, 0xA4, 0, 0, d, 8, 0);
	T_EQ_INT(card_apdu_build(&a, out, 12, &n), EID_ERR_TOO_LARGE);
	T_EQ_INT(n, 0);
	a.data = NULL;
	T_EQ_INT(card_apdu_build(&a, out, sizeof(out), &n), EID_ERR_INVALID_ARGUMENT);
}

T_CASE(parse_command_round_trip)
{
	static uint8_t d[300];
	static const size_t lcs[] = { 0, 1, 255, 256, 300 };
	static const size_t les[] = { 0, 1, 256, 257, 65536 };
	struct card_apdu a, b;
	size_t i, j;

	for (i = 0; i < 300; i++)
		d[i] = (uint8_t)i;
	for (i = 0; i < 5; i++) {
		for (j = 0; j < 5; j++) {
			card_apdu_set(&a, 0x0C, 0xB1, 1, 2, d, lcs[i], les[j]);
			T_EQ_INT(card_apdu_build(&a, out, sizeof(out), &n), 0);
			T_EQ_INT(card_apdu_parse_command(out, n, &b), 0);
			T_EQ_INT(b.lc, lcs[i]);
			T_EQ_INT(b.le, les[j]);
			T_EQ_INT(b.ins, 0xB1);
			if (lcs[i] > 0)
				T_EQ_MEM(b.data, b.lc, d, lcs[i]);
		}
	}
	/* inconsistent lengths */
	T_EQ_INT(card_apdu_parse_command((const uint8_t *)"\x00\xA4\x02\x0C\x05\x01", 6, &b),
	    EID_ERR_APDU);
	T_EQ_INT(card_apdu_parse_command((const uint8_t *)"\x00\xA4\x02", 3, &b), EID_ERR_APDU);
	T_EQ_INT(card_apdu_parse_command((const uint8_t *)"\x00\xA4\x02\x0C\x00\x00", 6, &b),
	    EID_ERR_APDU);
}

T_CASE(parse_response_edges)
{
	static uint8_t big[EID_APDU_MAX_RESPONSE + 3];
	struct card_rapdu r;

	T_EQ_INT(card_apdu_parse_response((const uint8_t *)"\x90", 1, &r), EID_ERR_APDU);
	T_EQ_INT(card_apdu_parse_response(NULL, 2, &r), EID_ERR_APDU);
	T_EQ_INT(card_apdu_parse_response((const uint8_t *)"\x6A\x82", 2, &r), 0);
	T_EQ_INT(r.sw, 0x6A82);
	T_EQ_INT(r.len, 0);
	T_ASSERT(r.data == NULL);
	T_EQ_INT(card_apdu_parse_response((const uint8_t *)"\x01\x02\x62\x82", 4, &r), 0);
	T_EQ_INT(r.sw, CARD_SW_END_OF_FILE);
	T_EQ_INT(r.len, 2);
	T_EQ_INT(r.data[1], 2);
	T_EQ_INT(card_apdu_parse_response(big, EID_APDU_MAX_RESPONSE + 2, &r), 0);
	T_EQ_INT(card_apdu_parse_response(big, EID_APDU_MAX_RESPONSE + 3, &r), EID_ERR_TOO_LARGE);
	T_ASSERT(card_sw_ok(0x9000));
	T_ASSERT(card_sw_ok(0x6110));
	T_ASSERT(!card_sw_ok(0x6282));
}

int
main(void)
{
	T_RUN(build_short_cases);
	T_RUN(build_extended_cases);
	T_RUN(build_refuses);
	T_RUN(parse_command_round_trip);
	T_RUN(parse_response_edges);
	return t_done();
}
