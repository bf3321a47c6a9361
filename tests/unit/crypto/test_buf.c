/* test_buf.c - the bounded reader, the capped buffer, base64 and constant-time compare. */
#include "../t.h"
#include "cx_buf.h"
#include "cx_util.h"
#include "eid_limits.h"

T_CASE(reader_reads_in_order)
{
	static const uint8_t b[] = { 1, 0x02, 0x03, 4, 5, 6, 7, 8 };
	struct cx_reader rd;

	cx_rd_init(&rd, b, sizeof(b));
	T_EQ_INT(cx_rd_u8(&rd), 1);
	T_EQ_INT(cx_rd_u16be(&rd), 0x0203);
	T_EQ_INT(cx_rd_u32be(&rd), 0x04050607);
	T_EQ_INT(cx_rd_u8(&rd), 8);
	T_EQ_INT(cx_rd_end(&rd), 0);
}

T_CASE(reader_error_is_sticky)
{
	static const uint8_t b[] = { 1, 2, 3 };
	struct cx_reader rd;

	cx_rd_init(&rd, b, sizeof(b));
	T_EQ_INT(cx_rd_u32be(&rd), 0);                 /* overrun */
	T_EQ_INT(rd.err, EID_ERR_TRUNCATED);
	T_EQ_INT(cx_rd_u8(&rd), 0);                    /* still failing, though 3 bytes left */
	T_ASSERT(cx_rd_bytes(&rd, 1) == NULL);
	T_EQ_INT(cx_rd_end(&rd), EID_ERR_TRUNCATED);
}

T_CASE(reader_rejects_trailing_bytes)
{
	static const uint8_t b[] = { 1, 2 };
	struct cx_reader rd, sub;

	cx_rd_init(&rd, b, sizeof(b));
	cx_rd_sub(&rd, 1, &sub);
	T_EQ_INT(cx_rd_u8(&sub), 1);
	T_EQ_INT(cx_rd_end(&sub), 0);
	T_EQ_INT(cx_rd_end(&rd), EID_ERR_TRAILING_DATA);
	cx_rd_sub(&rd, 5, &sub);                        /* more than is left */
	T_EQ_INT(sub.err, EID_ERR_TRUNCATED);
	T_EQ_INT(sub.len, 0);
}

T_CASE(dynbuf_enforces_cap)
{
	struct cx_dynbuf b;
	char *s;
	size_t n;

	cx_dynbuf_init(&b, 8);
	T_EQ_INT(cx_dynbuf_add_str(&b, "12345"), 0);
	T_EQ_INT(cx_dynbuf_add_str(&b, "6789"), EID_ERR_TOO_LARGE);
	T_EQ_STR(cx_dynbuf_str(&b), "12345");          /* unchanged after a refused append */
	T_EQ_INT(cx_dynbuf_addf(&b, "%d", 678), 0);
	T_EQ_STR(cx_dynbuf_str(&b), "12345678");
	s = cx_dynbuf_take(&b, &n);
	T_EQ_INT(n, 8);
	T_EQ_STR(s, "12345678");
	T_EQ_INT(b.len, 0);
	free(s);
	cx_dynbuf_free(&b);
}

T_CASE(dynbuf_long_format)
{
	struct cx_dynbuf b;
	char big[600];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cx_dynbuf_init_secret(&b, 4096);
	T_EQ_INT(cx_dynbuf_addf(&b, "[%s]", big), 0);
	T_EQ_INT(b.len, 601);
	cx_dynbuf_free(&b);
	T_ASSERT(b.ptr == NULL);
}

T_CASE(base64url_round_trip_and_strictness)
{
	/* RFC 4648 section 10 vectors, in the url-safe unpadded form */
	static const char *plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *enc[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy" };
	char out[32];
	uint8_t dec[32];
	size_t i, n;

	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		T_EQ_INT(cx_b64url_encode(out, sizeof(out), plain[i], strlen(plain[i])), 0);
		T_EQ_STR(out, enc[i]);
		T_EQ_INT(cx_b64url_decode(dec, sizeof(dec), &n, enc[i], strlen(enc[i])), 0);
		T_EQ_MEM(dec, n, plain[i], strlen(plain[i]));
	}
	T_EQ_INT(cx_b64url_decode(dec, sizeof(dec), &n, "Zm9v\n", 5), EID_ERR_ENCODING);
	T_EQ_INT(cx_b64url_decode(dec, sizeof(dec), &n, "Zg==", 4), EID_ERR_ENCODING);
	T_EQ_INT(cx_b64url_decode(dec, sizeof(dec), &n, "Zh", 2), EID_ERR_ENCODING);  /* stray bits */
	T_EQ_INT(cx_b64url_decode(dec, sizeof(dec), &n, "a+b/", 4), EID_ERR_ENCODING);
	T_EQ_INT(cx_b64url_decode(dec, 2, &n, "Zm9vYmFy", 8), EID_ERR_TOO_LARGE);
	T_EQ_INT(cx_b64_decode(dec, sizeof(dec), &n, "Zm9vYg==", 8), 0);
	T_EQ_MEM(dec, n, "foob", 4);
	T_EQ_INT(cx_b64_decode(dec, sizeof(dec), &n, "Zm9vYg", 6), EID_ERR_ENCODING);
}

T_CASE(base64_alloc_respects_max)
{
	uint8_t *p = NULL;
	size_t n = 0;

	T_EQ_INT(cx_b64_decode_alloc(&p, &n, "Zm9vYmFy", 8, 6), 0);
	T_EQ_MEM(p, n, "foobar", 6);
	free(p);
	T_EQ_INT(cx_b64_decode_alloc(&p, &n, "Zm9vYmFy", 8, 5), EID_ERR_TOO_LARGE);
	T_ASSERT(p == NULL);
}

T_CASE(constant_time_equality)
{
	T_ASSERT(cx_ct_equal("abc", 3, "abc", 3));
	T_ASSERT(!cx_ct_equal("abc", 3, "abd", 3));
	T_ASSERT(!cx_ct_equal("abc", 3, "abcd", 4));
	T_ASSERT(!cx_ct_equal(NULL, 0, "", 0));
	T_ASSERT(cx_ct_streq("s3cret", "s3cret"));
	T_ASSERT(!cx_ct_streq("s3cret", "s3cre"));
	T_ASSERT(!cx_ct_streq(NULL, "x"));
}

T_CASE(random_tokens_differ)
{
	char a[CX_B64URL_LEN(32)], b[CX_B64URL_LEN(32)];

	cx_random_token(a, sizeof(a), 32);
	cx_random_token(b, sizeof(b), 32);
	T_EQ_INT(strlen(a), 43);
	T_ASSERT(strcmp(a, b) != 0);
}

T_CASE(strerror_covers_codes)
{
	T_EQ_STR(eid_strerror(EID_OK), "success");
	T_EQ_STR(eid_strerror(EID_ERR_REDIS_DOWN), "Redis unavailable");
	T_EQ_STR(eid_strerror(12345), "unknown error");
}

/* FIPS 180-2 appendix B.1 ("abc") and the empty message. */
T_CASE(sha256_known_answers)
{
	static const uint8_t abc[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae,
		0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61,
		0xf2, 0x00, 0x15, 0xad,
	};
	static const uint8_t empty[32] = {
		0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f,
		0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b,
		0x78, 0x52, 0xb8, 0x55,
	};
	uint8_t h[32];

	T_EQ_INT(cx_sha256(h, "abc", 3), 0);
	T_EQ_MEM(h, 32, abc, 32);
	T_EQ_INT(cx_sha256(h, "", 0), 0);
	T_EQ_MEM(h, 32, empty, 32);
}

int
main(void)
{
	if (cx_init() != 0)
		return 1;
	T_RUN(reader_reads_in_order);
	T_RUN(reader_error_is_sticky);
	T_RUN(reader_rejects_trailing_bytes);
	T_RUN(dynbuf_enforces_cap);
	T_RUN(dynbuf_long_format);
	T_RUN(base64url_round_trip_and_strictness);
	T_RUN(base64_alloc_respects_max);
	T_RUN(constant_time_equality);
	T_RUN(random_tokens_differ);
	T_RUN(strerror_covers_codes);
	T_RUN(sha256_known_answers);
	return t_done();
}
