/*
 * test_jsonw.c - tokens/tok_jsonw.c: objects written directly are the bytes jansson's
 * json_dumps(JSON_COMPACT) gives for the same members, and whatever needs an escape is
 * refused (EID_ERR_UNSUPPORTED) rather than written.
 */
#include <limits.h>
#include <string.h>

#include "tok_jsonw.h"
#include "tok_test.h"

/* jansson's text of o (compact), for comparison. Caller frees. */
static char *
dumped(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);

	json_decref(o);
	return s;
}

T_CASE(plain_strings)
{
	T_ASSERT(tok_json_plain(""));
	T_ASSERT(tok_json_plain("eyJhbGciOiJFUzI1NiJ9.e30.abc-_"));
	T_ASSERT(tok_json_plain("openid profile ~!#$%&'()*+,-./:;<=>?@[]^`{|}"));
	T_ASSERT(!tok_json_plain("a\"b"));
	T_ASSERT(!tok_json_plain("a\\b"));
	T_ASSERT(!tok_json_plain("tab\there"));
	T_ASSERT(!tok_json_plain("del\x7f"));
	T_ASSERT(!tok_json_plain("Nguy\xe1\xbb\x85n"));
	/* every byte: plain exactly when printable ASCII other than '"' and '\\' */
	for (int c = 1; c < 256; c++) {
		char one[2] = { (char)c, 0 };
		int want = c >= 0x20 && c <= 0x7e && c != '"' && c != '\\';

		if (tok_json_plain(one) != want)
			T_FAIL("byte 0x%02x", c);
	}
}

T_CASE(same_bytes_as_jansson)
{
	static const long long ints[] = { 0, 1, -1, 9, 10, 300, 1763935200, -1763935200,
		LLONG_MAX, LLONG_MIN };
	json_t *amr = json_pack("[s,s]", "pwd", "otp"), *empty = json_array();
	struct cx_dynbuf b;
	struct tok_jsonw w;
	json_t *o;
	char *want;
	size_t i;

	T_ASSERT(amr != NULL && empty != NULL);
	cx_dynbuf_init(&b, 4096);
	/* an empty object */
	tok_jsonw_begin(&w, &b);
	T_EQ_INT(tok_jsonw_end(&w), 0);
	want = dumped(json_object());
	T_EQ_STR(cx_dynbuf_str(&b), want);
	free(want);
	/* every kind of member, in insertion order */
	cx_dynbuf_reset(&b);
	tok_jsonw_begin(&w, &b);
	tok_jsonw_str(&w, "iss", "https://eid.example/");
	tok_jsonw_str(&w, "empty", "");
	tok_jsonw_int(&w, "iat", 1763935200);
	tok_jsonw_strings(&w, "amr", amr);
	tok_jsonw_strings(&w, "none", empty);
	tok_jsonw_str(&w, "scope", "openid profile");
	T_EQ_INT(tok_jsonw_end(&w), 0);
	o = json_object();
	T_ASSERT(o != NULL);
	json_object_set_new(o, "iss", json_string("https://eid.example/"));
	json_object_set_new(o, "empty", json_string(""));
	json_object_set_new(o, "iat", json_integer(1763935200));
	json_object_set(o, "amr", amr);
	json_object_set(o, "none", empty);
	json_object_set_new(o, "scope", json_string("openid profile"));
	want = dumped(o);
	T_EQ_STR(cx_dynbuf_str(&b), want);
	free(want);
	/* integers at the edges */
	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		cx_dynbuf_reset(&b);
		tok_jsonw_begin(&w, &b);
		tok_jsonw_int(&w, "n", ints[i]);
		T_EQ_INT(tok_jsonw_end(&w), 0);
		want = dumped(json_pack("{s:I}", "n", (json_int_t)ints[i]));
		T_EQ_STR(cx_dynbuf_str(&b), want);
		free(want);
	}
	cx_dynbuf_free(&b);
	json_decref(amr);
	json_decref(empty);
}

/* One member that must be refused: EID_ERR_UNSUPPORTED, and nothing after it written. */
static int
refused_str(const char *value)
{
	struct cx_dynbuf b;
	struct tok_jsonw w;
	int r;

	cx_dynbuf_init(&b, 4096);
	tok_jsonw_begin(&w, &b);
	tok_jsonw_str(&w, "a", value);
	tok_jsonw_str(&w, "b", "after");
	r = tok_jsonw_end(&w);
	if (r != 0 && strstr(cx_dynbuf_str(&b), "after") != NULL)
		r = 12345;
	cx_dynbuf_free(&b);
	return r;
}

static int
refused_strings(json_t *array)
{
	struct cx_dynbuf b;
	struct tok_jsonw w;
	int r;

	cx_dynbuf_init(&b, 4096);
	tok_jsonw_begin(&w, &b);
	tok_jsonw_strings(&w, "amr", array);
	r = tok_jsonw_end(&w);
	cx_dynbuf_free(&b);
	json_decref(array);
	return r;
}

T_CASE(escapes_are_refused)
{
	T_EQ_INT(refused_str("quote\"d"), EID_ERR_UNSUPPORTED);
	T_EQ_INT(refused_str("back\\slash"), EID_ERR_UNSUPPORTED);
	T_EQ_INT(refused_str("new\nline"), EID_ERR_UNSUPPORTED);
	T_EQ_INT(refused_str("caf\xc3\xa9"), EID_ERR_UNSUPPORTED);
	T_EQ_INT(refused_str(NULL), EID_ERR_UNSUPPORTED);
	T_EQ_INT(refused_str("plain"), 0);
	T_EQ_INT(refused_strings(json_pack("[s,i]", "pwd", 1)), EID_ERR_UNSUPPORTED);
	T_EQ_INT(refused_strings(json_pack("[s,s]", "pwd", "o\"tp")), EID_ERR_UNSUPPORTED);
	T_EQ_INT(refused_strings(json_pack("[s,s%]", "pwd", "a\0b", (size_t)3)), EID_ERR_UNSUPPORTED);
	T_EQ_INT(refused_strings(json_string("pwd")), EID_ERR_UNSUPPORTED);
	T_EQ_INT(refused_strings(NULL), EID_ERR_UNSUPPORTED);
	T_EQ_INT(refused_strings(json_pack("[s]", "pwd")), 0);
}

T_CASE(cap_sticks)
{
	struct cx_dynbuf b;
	struct tok_jsonw w;

	cx_dynbuf_init(&b, 16);
	tok_jsonw_begin(&w, &b);
	tok_jsonw_str(&w, "iss", "https://eid.example/");
	tok_jsonw_int(&w, "n", 1);
	T_EQ_INT(tok_jsonw_end(&w), EID_ERR_TOO_LARGE);
	T_ASSERT(b.len <= 16);
	cx_dynbuf_free(&b);
}

int
main(void)
{
	T_RUN(plain_strings);
	T_RUN(same_bytes_as_jansson);
	T_RUN(escapes_are_refused);
	T_RUN(cap_sticks);
	return t_done();
}
