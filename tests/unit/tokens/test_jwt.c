/* test_jwt.c - tokens/tok_jwt.c: claims building and the pure registered-claim checks. */
#include <string.h>

#include "cx_util.h"
#include "tok_jws.h"
#include "tok_jwt.h"
#include "tok_test.h"

static const struct tok_key *
lookup_one(void *ctx, const char *kid, enum tok_alg alg)
{
	(void)kid;
	(void)alg;
	return ctx;
}

static int
times_code(const char *claims, time_t now, int leeway)
{
	json_t *c = json_loads(claims, 0, NULL);
	int r = c != NULL ? tok_jwt_check_times(c, now, leeway) : 12345;

	json_decref(c);
	return r;
}

static int
aud_code(const char *claims, const char *aud)
{
	json_t *c = json_loads(claims, 0, NULL);
	int r = c != NULL ? tok_jwt_check_aud(c, aud) : 12345;

	json_decref(c);
	return r;
}

T_CASE(claims_new)
{
	json_t *c = NULL;

	T_EQ_INT(tok_jwt_claims_new("https://eid.example", "s1", "rp1", 1000, 300, &c), 0);
	T_EQ_STR(json_string_value(json_object_get(c, "iss")), "https://eid.example");
	T_EQ_STR(json_string_value(json_object_get(c, "sub")), "s1");
	T_EQ_STR(json_string_value(json_object_get(c, "aud")), "rp1");
	T_EQ_INT(json_integer_value(json_object_get(c, "iat")), 1000);
	T_EQ_INT(json_integer_value(json_object_get(c, "exp")), 1300);
	T_EQ_INT(tok_jwt_check_times(c, 1299, 0), 0);
	T_EQ_INT(tok_jwt_check_times(c, 1300, 0), EID_ERR_JWT_EXPIRED);
	json_decref(c);
	T_EQ_INT(tok_jwt_claims_new(NULL, NULL, NULL, 1000, 300, &c), EID_ERR_INVALID_ARGUMENT);
	T_EQ_INT(tok_jwt_claims_new("i", NULL, NULL, 1000, 0, &c), EID_ERR_INVALID_ARGUMENT);
	T_EQ_INT(tok_jwt_claims_new("i", NULL, NULL, -1, 10, &c), EID_ERR_INVALID_ARGUMENT);
	T_ASSERT(c == NULL);
}

T_CASE(check_times)
{
	T_EQ_INT(times_code("{\"exp\":1000}", 999, 0), 0);
	T_EQ_INT(times_code("{\"exp\":1000}", 1000, 0), EID_ERR_JWT_EXPIRED);
	T_EQ_INT(times_code("{\"exp\":1000}", 1029, 30), 0);
	T_EQ_INT(times_code("{\"exp\":1000}", 1030, 30), EID_ERR_JWT_EXPIRED);
	T_EQ_INT(times_code("{}", 0, 0), EID_ERR_JWT_CLAIMS);                      /* exp required */
	T_EQ_INT(times_code("{\"exp\":\"2000\"}", 0, 0), EID_ERR_JWT_CLAIMS);
	T_EQ_INT(times_code("{\"exp\":null}", 0, 0), EID_ERR_JWT_CLAIMS);
	T_EQ_INT(times_code("{\"exp\":-5}", 0, 0), EID_ERR_JWT_CLAIMS);
	T_EQ_INT(times_code("{\"exp\":1e300}", 0, 0), EID_ERR_JWT_CLAIMS);
	T_EQ_INT(times_code("{\"exp\":1000.9}", 1000, 0), EID_ERR_JWT_EXPIRED);   /* floor */
	T_EQ_INT(times_code("{\"exp\":1000.5}", 999, 0), 0);
	T_EQ_INT(times_code("{\"exp\":9223372036854775807}", 0, 0), EID_ERR_JWT_CLAIMS);
	T_EQ_INT(times_code("{\"exp\":2000,\"nbf\":1500}", 1000, 0), EID_ERR_JWT_CLAIMS);
	T_EQ_INT(times_code("{\"exp\":2000,\"nbf\":1500}", 1500, 0), 0);
	T_EQ_INT(times_code("{\"exp\":2000,\"nbf\":1500}", 1490, 10), 0);
	T_EQ_INT(times_code("{\"exp\":2000,\"nbf\":1499.1}", 1499, 0), EID_ERR_JWT_CLAIMS); /* ceil */
	T_EQ_INT(times_code("{\"exp\":2000,\"nbf\":true}", 1500, 0), EID_ERR_JWT_CLAIMS);
	T_EQ_INT(times_code("{\"exp\":2000,\"iat\":1600}", 1500, 0), EID_ERR_JWT_CLAIMS);
	T_EQ_INT(times_code("{\"exp\":2000,\"iat\":1600}", 1500, 100), 0);
	T_EQ_INT(times_code("{\"exp\":2000,\"iat\":\"x\"}", 1500, 0), EID_ERR_JWT_CLAIMS);
	T_EQ_INT(times_code("{\"exp\":2000}", 1500, -1), EID_ERR_INVALID_ARGUMENT);
	T_EQ_INT(times_code("{\"exp\":2000}", 1500, TOK_JWT_MAX_LEEWAY + 1), EID_ERR_INVALID_ARGUMENT);
	T_EQ_INT(times_code("[]", 1500, 0), EID_ERR_INVALID_ARGUMENT);
}

T_CASE(check_aud)
{
	T_EQ_INT(aud_code("{\"aud\":\"rp1\"}", "rp1"), 0);
	T_EQ_INT(aud_code("{\"aud\":\"rp1\"}", "rp2"), EID_ERR_JWT_CLAIMS);
	T_EQ_INT(aud_code("{\"aud\":\"rp1\"}", "rp"), EID_ERR_JWT_CLAIMS);
	T_EQ_INT(aud_code("{\"aud\":[\"rp0\",\"rp1\"]}", "rp1"), 0);
	T_EQ_INT(aud_code("{\"aud\":[\"rp0\",\"rp2\"]}", "rp1"), EID_ERR_JWT_CLAIMS);
	T_EQ_INT(aud_code("{\"aud\":[\"rp1\",7]}", "rp1"), EID_ERR_JWT_CLAIMS);
	T_EQ_INT(aud_code("{\"aud\":[]}", "rp1"), EID_ERR_JWT_CLAIMS);
	T_EQ_INT(aud_code("{\"aud\":[\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\","
	    "\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"rp1\"]}", "rp1"), EID_ERR_JWT_CLAIMS);
	T_EQ_INT(aud_code("{}", "rp1"), EID_ERR_JWT_CLAIMS);
	T_EQ_INT(aud_code("{\"aud\":null}", "rp1"), EID_ERR_JWT_CLAIMS);
	T_EQ_INT(aud_code("{\"aud\":\"rp1\"}", NULL), EID_ERR_INVALID_ARGUMENT);
}

T_CASE(check_iss)
{
	json_t *c = json_pack("{s:s}", "iss", "https://eid.example");
	json_t *bad = json_pack("{s:i}", "iss", 1);
	int r[4];

	r[0] = tok_jwt_check_iss(c, "https://eid.example");
	r[1] = tok_jwt_check_iss(c, "https://eid.example/");
	r[2] = tok_jwt_check_iss(bad, "1");
	r[3] = tok_jwt_check_iss(c, NULL);
	json_decref(c);
	json_decref(bad);
	T_EQ_INT(r[0], 0);
	T_EQ_INT(r[1], EID_ERR_JWT_CLAIMS);
	T_EQ_INT(r[2], EID_ERR_JWT_CLAIMS);
	T_EQ_INT(r[3], EID_ERR_INVALID_ARGUMENT);
}

T_CASE(sign_then_verify_and_check)
{
	static const enum tok_alg es[] = { TOK_ALG_ES256 };
	struct tok_key *k = NULL;
	json_t *c = NULL, *h = NULL, *back = NULL;
	char *jwt = NULL;
	uint8_t *p = NULL;
	size_t plen = 0;
	int r;

	T_EQ_INT(tok_key_generate(TOK_ALG_ES256, &k), 0);
	T_EQ_INT(tok_jwt_claims_new("https://eid.example", "s1", "rp1", 1000, 300, &c), 0);
	T_EQ_INT(json_object_set_new(c, "nonce", json_string("n-0S6_WzA2Mj")), 0);
	T_EQ_INT(tok_jwt_sign(k, "JWT", c, &jwt), 0);
	json_decref(c);
	r = tok_jws_verify(jwt, strlen(jwt), es, 1, lookup_one, k, &h, &p, &plen);
	free(jwt);
	tok_key_free(&k);
	T_EQ_INT(r, 0);
	back = json_loadb((const char *)p, plen, JSON_REJECT_DUPLICATES, NULL);
	free(p);
	json_decref(h);
	T_ASSERT(back != NULL);
	r = tok_jwt_check_times(back, 1100, 0) || tok_jwt_check_aud(back, "rp1") ||
	    tok_jwt_check_iss(back, "https://eid.example");
	T_EQ_STR(json_string_value(json_object_get(back, "nonce")), "n-0S6_WzA2Mj");
	json_decref(back);
	T_EQ_INT(r, 0);
}

int
main(void)
{
	if (cx_init() != 0)
		return 1;
	T_RUN(claims_new);
	T_RUN(check_times);
	T_RUN(check_aud);
	T_RUN(check_iss);
	T_RUN(sign_then_verify_and_check);
	return t_done();
}
