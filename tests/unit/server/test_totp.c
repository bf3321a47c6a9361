/* test_totp.c - RFC 6238 TOTP: Appendix B vectors, skew window, input checks. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "srv_totp.h"
#include "../t.h"

static const uint8_t rfc_secret[] = "12345678901234567890";
#define RFC_LEN 20

/* RFC 6238 Appendix B, SHA-1 column (8 digits). */
static const struct { int64_t t; uint32_t code8; } vectors[] = {
	{ 59, 94287082 },
	{ 1111111109, 7081804 },
	{ 1111111111, 14050471 },
	{ 1234567890, 89005924 },
	{ 2000000000, 69279037 },
	{ 20000000000LL, 65353130 },
};

static void
code_str(int64_t t, char out[7])
{
	uint32_t v = 0;

	if (srv_totp_code(rfc_secret, RFC_LEN, (uint64_t)t / 30, &v) != 0)
		v = 999999999;
	snprintf(out, 7, "%06u", (unsigned)(v % 1000000));
}

T_CASE(rfc6238_vectors_8_digits)
{
	size_t i;
	uint32_t v;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		T_EQ_INT(srv_totp_code_digits(rfc_secret, RFC_LEN, (uint64_t)vectors[i].t / 30, 8, &v), 0);
		T_EQ_INT(v, vectors[i].code8);
	}
}

T_CASE(rfc6238_vectors_6_digits)
{
	size_t i;
	uint32_t v;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		T_EQ_INT(srv_totp_code(rfc_secret, RFC_LEN, (uint64_t)vectors[i].t / 30, &v), 0);
		T_EQ_INT(v, vectors[i].code8 % 1000000);
	}
}

T_CASE(verify_accepts_vectors)
{
	size_t i;
	char s[8];
	uint64_t c;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		snprintf(s, sizeof(s), "%06u", (unsigned)(vectors[i].code8 % 1000000));
		T_EQ_INT(srv_totp_verify(rfc_secret, RFC_LEN, s, vectors[i].t, &c), 0);
		T_EQ_INT(c, (uint64_t)vectors[i].t / 30);
	}
}

T_CASE(skew_one_step_accepted)
{
	int64_t now = 1234567890;       /* counter 41152263, 0 s into the step */
	char s[7];
	uint64_t c;

	code_str(now - 30, s);
	T_EQ_INT(srv_totp_verify(rfc_secret, RFC_LEN, s, now, &c), 0);
	T_EQ_INT(c, (uint64_t)(now - 30) / 30);
	code_str(now + 30, s);
	T_EQ_INT(srv_totp_verify(rfc_secret, RFC_LEN, s, now, &c), 0);
	T_EQ_INT(c, (uint64_t)(now + 30) / 30);
	code_str(now, s);
	T_EQ_INT(srv_totp_verify(rfc_secret, RFC_LEN, s, now + 29, &c), 0);
	T_EQ_INT(c, (uint64_t)now / 30);
}

T_CASE(skew_two_steps_refused)
{
	int64_t now = 1234567890;
	char s[7], a[7], b[7], m1[7], p1[7];
	uint64_t c = 77;

	code_str(now - 60, s);
	code_str(now, a);
	code_str(now - 30, m1);
	code_str(now + 30, p1);
	/* make sure the refused code is not by chance equal to one in the window */
	T_ASSERT(strcmp(s, a) != 0 && strcmp(s, m1) != 0 && strcmp(s, p1) != 0);
	T_EQ_INT(srv_totp_verify(rfc_secret, RFC_LEN, s, now, &c), EID_ERR_DENIED);
	T_EQ_INT(c, 0);
	code_str(now + 60, b);
	T_ASSERT(strcmp(b, a) != 0 && strcmp(b, m1) != 0 && strcmp(b, p1) != 0);
	T_EQ_INT(srv_totp_verify(rfc_secret, RFC_LEN, b, now, &c), EID_ERR_DENIED);
}

T_CASE(malformed_codes_refused)
{
	/* the last one is "12", a NUL, then "456": split so the escape ends at \x00 */
	static const char nul_inside[] = { '1', '2', '\0', '4', '5', '6', '\0' };
	static const char *bad[] = { "", "12345", "1234567", "12345a", " 12345", "12345 ",
		"+12345", "-12345", "１２３４５６", nul_inside };
	char good[7];
	size_t i;
	uint64_t c;

	code_str(59, good);
	T_EQ_INT(srv_totp_verify(rfc_secret, RFC_LEN, good, 59, &c), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		T_EQ_INT(srv_totp_verify(rfc_secret, RFC_LEN, bad[i], 59, &c), EID_ERR_FORMAT);
	T_EQ_INT(srv_totp_verify(rfc_secret, RFC_LEN, NULL, 59, &c), EID_ERR_FORMAT);
}

T_CASE(wrong_secret_refused)
{
	static const uint8_t other[] = "abcdefghijabcdefghij";
	char s[7];
	uint64_t c;

	code_str(1111111111, s);
	T_EQ_INT(srv_totp_verify(other, 20, s, 1111111111, &c), EID_ERR_DENIED);
}

T_CASE(epoch_start_no_underflow)
{
	char s[7];
	uint64_t c;

	code_str(0, s);
	T_EQ_INT(srv_totp_verify(rfc_secret, RFC_LEN, s, 0, &c), 0);
	T_EQ_INT(c, 0);
	T_EQ_INT(srv_totp_verify(rfc_secret, RFC_LEN, s, -5, &c), EID_ERR_INVALID_ARGUMENT);
}

T_CASE(bad_arguments)
{
	uint32_t v;

	T_EQ_INT(srv_totp_code(NULL, 20, 1, &v), EID_ERR_INVALID_ARGUMENT);
	T_EQ_INT(srv_totp_code(rfc_secret, 0, 1, &v), EID_ERR_INVALID_ARGUMENT);
	T_EQ_INT(srv_totp_code_digits(rfc_secret, RFC_LEN, 1, 9, &v), EID_ERR_INVALID_ARGUMENT);
}

int
main(void)
{
	T_RUN(rfc6238_vectors_8_digits);
	T_RUN(rfc6238_vectors_6_digits);
	T_RUN(verify_accepts_vectors);
	T_RUN(skew_one_step_accepted);
	T_RUN(skew_two_steps_refused);
	T_RUN(malformed_codes_refused);
	T_RUN(wrong_secret_refused);
	T_RUN(epoch_start_no_underflow);
	T_RUN(bad_arguments);
	return t_done();
}
