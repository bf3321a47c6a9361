/* test_lds.c - card_lds: EF.COM, DG1, DG2, DG13, DG14, DG15 on specimen and built data. */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "tdata.h"
#include "card_lds.h"

static const char *vdir;

T_CASE(test_com)
{
	/* ICAO 9303-11 Appendix D.4 */
	static const uint8_t com[] = { 0x60, 0x14, 0x5F, 0x01, 0x04, 0x30, 0x31, 0x30, 0x36,
		0x5F, 0x36, 0x06, 0x30, 0x34, 0x30, 0x30, 0x30, 0x30, 0x5C, 0x02, 0x61, 0x75 };
	/* CCCD: DG1, DG2, DG3, DG13, DG14, DG15 */
	static const uint8_t vn[] = { 0x60, 0x18, 0x5F, 0x01, 0x04, 0x30, 0x31, 0x30, 0x37,
		0x5F, 0x36, 0x06, 0x30, 0x34, 0x30, 0x30, 0x30, 0x30,
		0x5C, 0x06, 0x61, 0x75, 0x63, 0x6D, 0x6E, 0x6F };
	uint8_t bad[sizeof(com)];
	struct card_lds_com c;

	T_EQ_INT(card_lds_com_parse(com, sizeof(com), &c), 0);
	T_EQ_STR(c.lds_version, "0106");
	T_EQ_STR(c.unicode_version, "040000");
	T_EQ_INT(c.ndg, 2);
	T_EQ_INT(c.dg[0], 1);
	T_EQ_INT(c.dg[1], 2);
	T_EQ_INT(card_lds_com_parse(vn, sizeof(vn), &c), 0);
	T_EQ_INT(c.ndg, 6);
	T_EQ_INT(c.dg[3], 13);
	T_EQ_INT(c.dg[5], 15);
	memcpy(bad, com, sizeof(com));
	bad[sizeof(bad) - 1] = 0x99;    /* not a DG tag */
	T_EQ_INT(card_lds_com_parse(bad, sizeof(bad), &c), EID_ERR_LDS);
	T_EQ_INT(card_lds_com_parse(com, sizeof(com) - 1, &c), EID_ERR_TRUNCATED);
	T_EQ_INT(card_lds_dg_from_tag(0x6D), 13);
	T_EQ_INT(card_lds_tag_from_dg(15), 0x6F);
	T_EQ_INT(card_lds_tag_from_dg(17), 0);
}

T_CASE(test_dg1_specimens)
{
	static const char *files[] = { "bsi_refset_hjp_DG1.bin", "bsi_bdrtest_DG1.bin" };
	static const char *expiry[] = { "231031", "131031" };
	struct card_mrz m;
	unsigned char *buf;
	size_t len, i;
	int r;

	for (i = 0; i < 2; i++) {
		buf = tv_read(vdir, files[i], &len);
		r = card_lds_dg1_parse(buf, len, &m);
		free(buf);
		T_EQ_INT(r, 0);
		T_EQ_INT(m.format, CARD_MRZ_TD3);
		T_EQ_STR(m.issuing_state, "D");
		T_EQ_STR(m.document_number, "C11T002JM");
		T_EQ_STR(m.primary_name, "MUSTERMANN");
		T_EQ_STR(m.secondary_name, "ERIKA");
		T_EQ_STR(m.birth_date, "960812");
		T_EQ_STR(m.expiry_date, expiry[i]);
		T_EQ_INT(m.sex, 'F');
		T_EQ_INT(m.check_composite, CARD_MRZ_CHECK_OK);
	}
}

T_CASE(test_dg1_cccd_and_tampered)
{
	uint8_t dg1[95];
	struct card_mrz m;

	/* VECTORS.md §3.3 synthetic CCCD DG1 */
	T_EQ_INT(hex2bin("615D5F1F5A4944564E4D303939303132333435393030313039393031323334353C3C"
	    "30393930353132304D33393035313238564E4D3C3C3C3C3C3C3C3C3C3C3C324E475559454E3C3C56414E"
	    "3C413C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C", dg1, sizeof(dg1)), 95);
	T_EQ_INT(card_lds_dg1_parse(dg1, sizeof(dg1), &m), 0);
	T_EQ_STR(m.citizen_id, "001099012345");
	dg1[5 + 5] = '1';               /* document number changed: check digit no longer fits */
	T_EQ_INT(card_lds_dg1_parse(dg1, sizeof(dg1), &m), EID_ERR_CHECK_DIGIT);
	dg1[1] = 0x5E;                  /* length past the end */
	T_EQ_INT(card_lds_dg1_parse(dg1, sizeof(dg1), &m), EID_ERR_TRUNCATED);
	dg1[1] = 0x5D;
	dg1[0] = 0x75;                  /* wrong file tag */
	T_EQ_INT(card_lds_dg1_parse(dg1, sizeof(dg1), &m), EID_ERR_TLV);
}

T_CASE(test_dg2_specimen)
{
	struct card_face f;
	unsigned char *buf;
	size_t len;
	int r;

	buf = tv_read(vdir, "bsi_refset_DG2.bin", &len);
	r = card_lds_dg2_parse(buf, len, &f);
	if (r != 0) {
		free(buf);
		T_FAIL("dg2 parse %d", r);
	}
	T_EQ_INT(f.ninstances, 1);
	T_EQ_INT(f.type, CARD_IMAGE_JPEG2000);
	T_EQ_INT(f.image_data_type, 1);
	T_ASSERT(f.width > 0 && f.height > 0);
	T_ASSERT(f.image > buf && f.image + f.image_len == buf + len);
	printf("# DG2 face %ux%u, %zu bytes of JPEG 2000\n", f.width, f.height, f.image_len);
	/* facial record block length made larger than the record */
	buf[0x26 + 14] = 0x7F;
	T_EQ_INT(card_lds_dg2_parse(buf, len, &f), EID_ERR_LDS);
	T_ASSERT(f.image == NULL);
	free(buf);
}

T_CASE(test_dg2_jpeg_built)
{
	static const uint8_t jpeg[] = { 0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F' };
	struct tbuf rec = { .n = 0 }, bdb = { .n = 0 }, t60 = { .n = 0 }, t61 = { .n = 0 },
	    dg = { .n = 0 }, hdr = { .n = 0 };
	struct card_face f;
	uint32_t total = 14 + 32 + sizeof(jpeg), block = 32 + sizeof(jpeg);
	uint8_t *p = rec.b;

	memcpy(p, "FAC\0" "010\0", 8);
	p[8] = (uint8_t)(total >> 24); p[9] = (uint8_t)(total >> 16);
	p[10] = (uint8_t)(total >> 8); p[11] = (uint8_t)total;
	p[12] = 0; p[13] = 1;
	memset(p + 14, 0, 32);
	p[14 + 3] = (uint8_t)block;
	p[14 + 20 + 1] = 0;             /* image data type JPEG */
	p[14 + 20 + 2] = 0x01; p[14 + 20 + 3] = 0xE0;   /* width 480 */
	p[14 + 20 + 4] = 0x02; p[14 + 20 + 5] = 0x80;   /* height 640 */
	memcpy(p + 46, jpeg, sizeof(jpeg));
	rec.n = total;
	tb_tlv(&hdr, 0x81, "\x02", 1);
	tb_tlv(&t60, 0xA1, hdr.b, hdr.n);
	tb_tlv(&t60, 0x5F2E, rec.b, rec.n);
	tb_tlv(&t61, 0x02, "\x01", 1);
	tb_tlv(&t61, 0x7F60, t60.b, t60.n);
	tb_tlv(&bdb, 0x7F61, t61.b, t61.n);
	tb_tlv(&dg, 0x75, bdb.b, bdb.n);
	T_EQ_INT(card_lds_dg2_parse(dg.b, dg.n, &f), 0);
	T_EQ_INT(f.type, CARD_IMAGE_JPEG);
	T_EQ_INT(f.width, 480);
	T_EQ_INT(f.height, 640);
	T_EQ_MEM(f.image, f.image_len, jpeg, sizeof(jpeg));
	/* no image magic -> refused */
	dg.b[dg.n - sizeof(jpeg)] = 0x00;
	T_EQ_INT(card_lds_dg2_parse(dg.b, dg.n, &f), EID_ERR_LDS);
}

/* DG13 built as VECTORS.md §3.4 describes the CCCD layout */
static void
build_dg13(struct tbuf *dg, int dup)
{
	static const char name[] = "Nguy\xe1\xbb\x85n V\xc4\x83n A";     /* Nguyễn Văn A */
	static const char oid[] = { 0x28, (char)0xD3, 0x16, 0x01, 0x00, 0x08 };
	struct tbuf set = { .n = 0 }, f = { .n = 0 }, seq = { .n = 0 }, par = { .n = 0 };
	char addr[300];

	memset(addr, 'a', sizeof(addr));
	memcpy(addr, "Th\xc3\xb4n 1", 7);
	tb_tlv(&f, 0x02, "\x01", 1);
	tb_tlv(&f, 0x0C, "001099012345", 12);
	tb_tlv(&set, 0x30, f.b, f.n);
	f.n = 0;
	tb_tlv(&f, 0x02, "\x02", 1);
	tb_tlv(&f, 0x0C, name, strlen(name));
	tb_tlv(&set, 0x30, f.b, f.n);
	f.n = 0;
	tb_tlv(&f, 0x02, "\x09", 1);
	tb_tlv(&f, 0x0C, addr, sizeof(addr));   /* > 127 bytes: long-form length */
	tb_tlv(&set, 0x30, f.b, f.n);
	f.n = 0;
	tb_tlv(&par, 0x0C, "Nguy\xe1\xbb\x85n V\xc4\x83n B", 15);
	tb_tlv(&par, 0x0C, "Tr\xe1\xba\xa7n Th\xe1\xbb\x8b C", 14);
	tb_tlv(&f, 0x02, "\x0D", 1);
	tb_tlv(&f, 0x30, par.b, par.n);
	tb_tlv(&set, 0x30, f.b, f.n);
	if (dup) {
		f.n = 0;
		tb_tlv(&f, 0x02, "\x02", 1);
		tb_tlv(&f, 0x0C, "X", 1);
		tb_tlv(&set, 0x30, f.b, f.n);
	}
	tb_tlv(&seq, 0x02, "\x01", 1);
	tb_tlv(&seq, 0x06, oid, sizeof(oid));
	tb_tlv(&seq, 0x31, set.b, set.n);
	dg->n = 0;
	{
		struct tbuf body = { .n = 0 };

		tb_tlv(&body, 0x30, seq.b, seq.n);
		tb_tlv(dg, 0x6D, body.b, body.n);
	}
}

T_CASE(test_dg13)
{
	static struct tbuf dg;
	struct card_dg13 d;
	const struct card_dg13_field *f;
	size_t off;

	build_dg13(&dg, 0);
	T_EQ_INT(card_lds_dg13_parse(dg.b, dg.n, &d), 0);
	T_EQ_INT(d.version, 1);
	T_EQ_STR(d.oid, "1.0.10646.1.0.8");
	T_EQ_INT(d.nfields, 4);
	T_ASSERT((f = card_dg13_get(&d, CARD_DG13_CITIZEN_ID)) != NULL);
	T_EQ_STR(f->values[0], "001099012345");
	T_ASSERT((f = card_dg13_get(&d, CARD_DG13_FULL_NAME)) != NULL);
	T_EQ_STR(f->values[0], "Nguy\xe1\xbb\x85n V\xc4\x83n A");
	T_ASSERT((f = card_dg13_get(&d, CARD_DG13_RESIDENCE)) != NULL);
	T_EQ_INT(strlen(f->values[0]), 300);
	T_ASSERT((f = card_dg13_get(&d, CARD_DG13_PARENTS)) != NULL);
	T_EQ_INT(f->nvalues, 2);
	T_EQ_STR(f->values[1], "Tr\xe1\xba\xa7n Th\xe1\xbb\x8b C");
	T_ASSERT(card_dg13_get(&d, CARD_DG13_SPOUSE) == NULL);   /* absent, not empty */
	card_dg13_clear(&d);
	T_EQ_INT(d.nfields, 0);
	card_dg13_clear(&d);

	/* invalid UTF-8 (overlong '/') in the name */
	build_dg13(&dg, 0);
	for (off = 0; off + 4 < dg.n; off++)
		if (memcmp(dg.b + off, "Nguy", 4) == 0)
			break;
	dg.b[off] = 0xC0;
	dg.b[off + 1] = 0xAF;
	T_EQ_INT(card_lds_dg13_parse(dg.b, dg.n, &d), EID_ERR_LDS);
	/* a field number twice */
	build_dg13(&dg, 1);
	T_EQ_INT(card_lds_dg13_parse(dg.b, dg.n, &d), EID_ERR_LDS);
	/* truncated */
	build_dg13(&dg, 0);
	T_ASSERT(card_lds_dg13_parse(dg.b, dg.n - 3, &d) != 0);
}

T_CASE(test_utf8)
{
	T_ASSERT(card_utf8_valid((const uint8_t *)"abc", 3));
	T_ASSERT(card_utf8_valid((const uint8_t *)"\xe1\xbb\x85", 3));
	T_ASSERT(card_utf8_valid((const uint8_t *)"\xf0\x9f\x98\x80", 4));
	T_ASSERT(!card_utf8_valid((const uint8_t *)"\xe1\xbb", 2));
	T_ASSERT(!card_utf8_valid((const uint8_t *)"\xed\xa0\x80", 3));   /* surrogate */
	T_ASSERT(!card_utf8_valid((const uint8_t *)"\xe0\x80\xaf", 3));   /* overlong */
	T_ASSERT(!card_utf8_valid((const uint8_t *)"\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	T_ASSERT(!card_utf8_valid((const uint8_t *)"a\0b", 3));
	T_ASSERT(!card_utf8_valid((const uint8_t *)"\xff", 1));
}

T_CASE(test_dg14_specimen)
{
	struct card_dg14 d;
	unsigned char *buf;
	const unsigned char *p;
	EVP_PKEY *pk = NULL;
	size_t len;
	int r;

	buf = tv_read(vdir, "bsi_refset_hjp_DG14.bin", &len);
	r = card_lds_dg14_parse(buf, len, &d);
	if (r != 0) {
		free(buf);
		T_FAIL("dg14 parse %d", r);
	}
	T_EQ_INT(d.ninfos, 3);
	T_EQ_INT(d.infos[0].kind, CARD_SECINFO_CA_PUBKEY);
	T_EQ_STR(d.infos[0].protocol, "0.4.0.127.0.7.2.2.1.2");
	T_EQ_INT(d.infos[0].key_id, -1);
	T_EQ_INT(d.infos[1].kind, CARD_SECINFO_CA);
	T_EQ_STR(d.infos[1].protocol, "0.4.0.127.0.7.2.2.3.2.1");
	T_EQ_INT(d.infos[1].version, 1);
	T_EQ_INT(d.infos[2].kind, CARD_SECINFO_TA);
	T_EQ_INT(d.infos[2].version, 1);
	/* the CA key (brainpoolP224r1, explicit parameters) decodes with OpenSSL */
	p = d.infos[0].spki;
	pk = d2i_PUBKEY(NULL, &p, (long)d.infos[0].spki_len);
	T_ASSERT(pk != NULL);
	T_EQ_INT(EVP_PKEY_get_bits(pk), 224);
	EVP_PKEY_free(pk);
	/* the protocol OID replaced by an OCTET STRING: refused */
	buf[12] = 0x04;
	T_EQ_INT(card_lds_dg14_parse(buf, len, &d), EID_ERR_LDS);
	free(buf);
}

T_CASE(test_dg15)
{
	EVP_PKEY *pk = NULL;
	unsigned char *buf;
	size_t len;
	int r;

	buf = tv_read(vdir, "bsi_refset_hjp_DG15.bin", &len);
	r = card_lds_dg15_parse(buf, len, &pk);
	T_EQ_INT(r, 0);
	T_EQ_INT(EVP_PKEY_get_base_id(pk), EVP_PKEY_RSA);
	T_EQ_INT(EVP_PKEY_get_bits(pk), 1024);
	EVP_PKEY_free(pk);
	pk = NULL;
	buf[len - 1] ^= 0xFF;           /* still DER: exponent changes */
	buf[3] = 0x31;                  /* SPKI no longer a SEQUENCE */
	r = card_lds_dg15_parse(buf, len, &pk);
	free(buf);
	T_EQ_INT(r, EID_ERR_LDS);
	T_ASSERT(pk == NULL);
}

int
main(int argc, char **argv)
{
	vdir = argc > 1 ? argv[1] : "tests/vectors";
	T_RUN(test_com);
	T_RUN(test_dg1_specimens);
	T_RUN(test_dg1_cccd_and_tampered);
	T_RUN(test_dg2_specimen);
	T_RUN(test_dg2_jpeg_built);
	T_RUN(test_dg13);
	T_RUN(test_utf8);
	T_RUN(test_dg14_specimen);
	T_RUN(test_dg15);
	return t_done();
}
