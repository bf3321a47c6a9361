/* test_tlv.c - card_tlv: tag/length forms, bounds, depth cap, find. */
#include <stdint.h>
#include <string.h>

#include "t.h"
#include "eid_limits.h"
#include "card_tlv.h"

static const char *vdir;

T_CASE(test_short_and_long_forms)
{
	static const uint8_t s[] = { 0x5F, 0x1F, 0x02, 'A', 'B' };
	uint8_t l81[3 + 200], l82[4 + 300], l83[5 + 70000];
	struct card_tlv t;

	T_EQ_INT(card_tlv_parse_one(s, sizeof(s), 0x5F1F, &t), 0);
	T_EQ_INT(t.len, 2);
	T_ASSERT(!t.constructed);
	T_EQ_MEM(t.value, t.len, "AB", 2);
	T_EQ_INT(t.raw_len, 5);

	memset(l81, 0, sizeof(l81));
	l81[0] = 0x04; l81[1] = 0x81; l81[2] = 200;
	T_EQ_INT(card_tlv_parse_one(l81, sizeof(l81), 0x04, &t), 0);
	T_EQ_INT(t.len, 200);
	memset(l82, 0, sizeof(l82));
	l82[0] = 0x04; l82[1] = 0x82; l82[2] = 0x01; l82[3] = 0x2C;
	T_EQ_INT(card_tlv_parse_one(l82, sizeof(l82), 0x04, &t), 0);
	T_EQ_INT(t.len, 300);
	memset(l83, 0, sizeof(l83));
	l83[0] = 0x04; l83[1] = 0x83; l83[2] = 0x01; l83[3] = 0x11; l83[4] = 0x70;
	T_EQ_INT(card_tlv_parse_one(l83, sizeof(l83), 0x04, &t), 0);
	T_EQ_INT(t.len, 70000);
}

T_CASE(test_three_byte_tag)
{
	static const uint8_t b[] = { 0x5F, 0x81, 0x01, 0x01, 0xAA };
	static const uint8_t four[] = { 0x5F, 0x81, 0x81, 0x01, 0x00 };
	struct card_tlv t;

	T_EQ_INT(card_tlv_parse_one(b, sizeof(b), 0, &t), 0);
	T_EQ_INT(t.tag, 0x5F8101);
	T_EQ_INT(card_tlv_parse_one(four, sizeof(four), 0, &t), EID_ERR_TLV);
}

T_CASE(test_refusals)
{
	static const uint8_t indef[] = { 0x30, 0x80, 0x00, 0x00 };
	static const uint8_t l84[] = { 0x04, 0x84, 0x00, 0x00, 0x00, 0x01, 0x00 };
	static const uint8_t over[] = { 0x04, 0x05, 0x01, 0x02 };
	static const uint8_t over82[] = { 0x04, 0x82, 0xFF, 0xFF, 0x00 };
	static const uint8_t cut_len[] = { 0x04, 0x82, 0x01 };
	static const uint8_t cut_tag[] = { 0x5F };
	static const uint8_t zero_tag[] = { 0x00, 0x00 };
	static const uint8_t trailing[] = { 0x04, 0x01, 0x00, 0x00 };
	static const uint8_t wrongtag[] = { 0x04, 0x00 };
	struct card_tlv t;
	struct cx_reader rd;

	T_EQ_INT(card_tlv_parse_one(indef, sizeof(indef), 0, &t), EID_ERR_TLV);
	T_EQ_INT(card_tlv_parse_one(l84, sizeof(l84), 0, &t), EID_ERR_TLV);
	T_EQ_INT(card_tlv_parse_one(over, sizeof(over), 0, &t), EID_ERR_TRUNCATED);
	T_EQ_INT(card_tlv_parse_one(over82, sizeof(over82), 0, &t), EID_ERR_TRUNCATED);
	T_EQ_INT(card_tlv_parse_one(cut_len, sizeof(cut_len), 0, &t), EID_ERR_TRUNCATED);
	T_EQ_INT(card_tlv_parse_one(cut_tag, sizeof(cut_tag), 0, &t), EID_ERR_TRUNCATED);
	T_EQ_INT(card_tlv_parse_one(zero_tag, sizeof(zero_tag), 0, &t), EID_ERR_TLV);
	T_EQ_INT(card_tlv_parse_one(trailing, sizeof(trailing), 0, &t), EID_ERR_TRAILING_DATA);
	T_EQ_INT(card_tlv_parse_one(wrongtag, sizeof(wrongtag), 0x05, &t), EID_ERR_TLV);
	T_EQ_INT(card_tlv_parse_one(NULL, 0, 0, &t), EID_ERR_INVALID_ARGUMENT);
	/* the reader's error is sticky */
	cx_rd_init(&rd, over, sizeof(over));
	T_ASSERT(card_tlv_next(&rd, &t) != 0);
	T_ASSERT(card_tlv_next(&rd, &t) != 0);
	T_ASSERT(t.value == NULL && t.len == 0);
}

T_CASE(test_find_and_path)
{
	/* EF.COM from ICAO 9303-11 Appendix D.4 */
	static const uint8_t com[] = { 0x60, 0x14, 0x5F, 0x01, 0x04, 0x30, 0x31, 0x30, 0x36,
		0x5F, 0x36, 0x06, 0x30, 0x34, 0x30, 0x30, 0x30, 0x30, 0x5C, 0x02, 0x61, 0x75 };
	static const uint32_t path[] = { 0x60, 0x5C };
	static const uint32_t bad[] = { 0x60, 0x5F01, 0x01 };
	struct card_tlv t;
	size_t n;

	T_EQ_INT(card_tlv_find_path(com, sizeof(com), path, 2, &t), 0);
	T_EQ_MEM(t.value, t.len, "\x61\x75", 2);
	T_EQ_INT(card_tlv_find(com + 2, sizeof(com) - 2, 0x5F36, &t), 0);
	T_EQ_MEM(t.value, t.len, "040000", 6);
	T_EQ_INT(card_tlv_find(com + 2, sizeof(com) - 2, 0x99, &t), EID_ERR_NOT_FOUND);
	T_EQ_INT(card_tlv_find_path(com, sizeof(com), bad, 3, &t), EID_ERR_TLV);
	T_EQ_INT(card_tlv_check(com, sizeof(com), &n), 0);
	T_EQ_INT(n, 4);
}

T_CASE(test_depth_cap)
{
	uint8_t deep[2 * (EID_TLV_MAX_DEPTH + 2)];
	size_t i, levels;
	struct card_tlv t;

	/* levels nested SEQUENCEs, the innermost empty: 30 L 30 L ... 30 00 */
	for (levels = EID_TLV_MAX_DEPTH; levels <= EID_TLV_MAX_DEPTH + 1; levels++) {
		for (i = 0; i < levels; i++) {
			deep[2 * i] = 0x30;
			deep[2 * i + 1] = (uint8_t)(2 * (levels - i - 1));
		}
		T_EQ_INT(card_tlv_check(deep, 2 * levels, NULL),
		    levels <= EID_TLV_MAX_DEPTH ? 0 : EID_ERR_DEPTH);
	}
	{
		uint32_t path[EID_TLV_MAX_DEPTH + 1];

		for (i = 0; i <= EID_TLV_MAX_DEPTH; i++)
			path[i] = 0x30;
		T_EQ_INT(card_tlv_find_path(deep, 2 * (EID_TLV_MAX_DEPTH + 1), path,
		    EID_TLV_MAX_DEPTH + 1, &t), EID_ERR_DEPTH);
	}
}

T_CASE(test_specimen_files_walk)
{
	static const char *files[] = { "bsi_refset_hjp_DG1.bin", "bsi_refset_hjp_DG14.bin",
		"bsi_refset_hjp_DG15.bin", "bsi_refset_DG2.bin", "bsi_bdrtest_DG1.bin" };
	char path[1024];
	unsigned char *buf;
	size_t i, len, n;
	struct card_tlv t;
	int r;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/icao/%s", vdir, files[i]);
		buf = t_read_file(path, &len);
		r = card_tlv_check(buf, len, &n);
		if (r == 0)
			r = card_tlv_parse_one(buf, len, 0, &t);
		/* every truncation of a specimen must be refused */
		while (r == 0 && len > 1) {
			len--;
			if (card_tlv_parse_one(buf, len, 0, &t) == 0)
				r = -1;
			if (len < 40)
				break;
			len -= len / 4;
		}
		free(buf);
		if (r != 0)
			T_FAIL("%s: %d", files[i], r);
	}
}

int
main(int argc, char **argv)
{
	vdir = argc > 1 ? argv[1] : "tests/vectors";
	T_RUN(test_short_and_long_forms);
	T_RUN(test_three_byte_tag);
	T_RUN(test_refusals);
	T_RUN(test_find_and_path);
	T_RUN(test_depth_cap);
	T_RUN(test_specimen_files_walk);
	return t_done();
}
