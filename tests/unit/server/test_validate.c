/*
 * test_validate.c - the contact-claim checks of srv_validate.c: E.164 phone numbers,
 * email addresses (and their normal form), OIDC address members and address JSON.
 */
#include <stdlib.h>
#include <string.h>

#include "srv_validate.h"
#include "../t.h"

static int
phone_ok(const char *p)
{
	const char *why = NULL;
	int ok = srv_valid_phone(p, &why);

	return ok ? 1 : (why != NULL && strstr(why, "E.164") != NULL ? 0 : -1);
}

T_CASE(t_phone)
{
	T_EQ_INT(phone_ok("+84912345678"), 1);
	T_EQ_INT(phone_ok("+6834002"), 1);                 /* 7 digits: the shortest */
	T_EQ_INT(phone_ok("+123456789012345"), 1);         /* 15 digits: the longest */
	T_EQ_INT(phone_ok("+1234567890123456"), 0);        /* 16 */
	T_EQ_INT(phone_ok("+123456"), 0);                  /* 6 */
	T_EQ_INT(phone_ok("84912345678"), 0);              /* no + */
	T_EQ_INT(phone_ok("0912345678"), 0);               /* national form */
	T_EQ_INT(phone_ok("+0912345678"), 0);              /* country code 0 */
	T_EQ_INT(phone_ok("+84 912 345 678"), 0);
	T_EQ_INT(phone_ok("+84-912-345-678"), 0);
	T_EQ_INT(phone_ok("+8491234567a"), 0);
	T_EQ_INT(phone_ok("++84912345678"), 0);
	T_EQ_INT(phone_ok("+"), 0);
	T_EQ_INT(phone_ok(""), 0);
	T_EQ_INT(phone_ok(NULL), 0);
}

/* 1 and the normal form in out, or 0 and why must contain want. */
static int
email_check(const char *in, const char *want_out, const char *want_why)
{
	char out[SRV_EMAIL_MAX + 1];
	const char *why = NULL;

	memset(out, 'x', sizeof(out));
	if (srv_valid_email(in, out, &why))
		return want_out != NULL && strcmp(out, want_out) == 0;
	if (want_out != NULL || why == NULL || strstr(why, want_why) == NULL) {
		printf("# %s: why = %s\n", in ? in : "(null)", why ? why : "(null)");
		return 0;
	}
	return out[0] == '\0';
}

T_CASE(t_email)
{
	char big[300];

	T_ASSERT(email_check("an.nguyen@example.vn", "an.nguyen@example.vn", NULL));
	/* the domain is lower-cased, the local part kept */
	T_ASSERT(email_check("An.Nguyen@Mail.Example.VN", "An.Nguyen@mail.example.vn", NULL));
	T_ASSERT(email_check("a+tag_1!#$%&'*/=?^`{|}~-@x-y.gov.vn", "a+tag_1!#$%&'*/=?^`{|}~-@x-y.gov.vn", NULL));
	T_ASSERT(email_check("u@xn--bcher-kva.example", "u@xn--bcher-kva.example", NULL));
	T_ASSERT(email_check("", NULL, "at most 254"));
	T_ASSERT(email_check(NULL, NULL, "at most 254"));
	T_ASSERT(email_check("no-at.example.vn", NULL, "exactly one @"));
	T_ASSERT(email_check("a@b@example.vn", NULL, "exactly one @"));
	T_ASSERT(email_check("@example.vn", NULL, "1 to 64"));
	T_ASSERT(email_check(".a@example.vn", NULL, "before the @"));
	T_ASSERT(email_check("a.@example.vn", NULL, "before the @"));
	T_ASSERT(email_check("a..b@example.vn", NULL, "before the @"));
	T_ASSERT(email_check("a b@example.vn", NULL, "before the @"));
	T_ASSERT(email_check("\"a\"@example.vn", NULL, "before the @"));
	T_ASSERT(email_check("a,b@example.vn", NULL, "before the @"));
	T_ASSERT(email_check("a@localhost", NULL, "with a dot"));
	T_ASSERT(email_check("a@", NULL, "not a host name"));
	T_ASSERT(email_check("a@.example.vn", NULL, "not a host name"));
	T_ASSERT(email_check("a@example.vn.", NULL, "not a host name"));
	T_ASSERT(email_check("a@example..vn", NULL, "not a host name"));
	T_ASSERT(email_check("a@-example.vn", NULL, "not a host name"));
	T_ASSERT(email_check("a@example-.vn", NULL, "not a host name"));
	T_ASSERT(email_check("a@exa_mple.vn", NULL, "not a host name"));
	T_ASSERT(email_check("a@[127.0.0.1]", NULL, "not a host name"));
	T_ASSERT(email_check("a@127.0.0.1", NULL, "not a host name"));
	T_ASSERT(email_check("an@vi\xe1\xbb\x87t.vn", NULL, "ASCII"));
	/* lengths: 64 before the @ is the most; 254 in all; 63 per label */
	memset(big, 'a', 64);
	strcpy(big + 64, "@example.vn");
	T_ASSERT(email_check(big, big, NULL));
	memset(big, 'a', 65);
	strcpy(big + 65, "@example.vn");
	T_ASSERT(email_check(big, NULL, "1 to 64"));
	strcpy(big, "a@");
	memset(big + 2, 'b', 64);
	strcpy(big + 66, ".vn");
	T_ASSERT(email_check(big, NULL, "not a host name"));
	/* a@ + three 63-byte labels and dots + a last label of 60: 254 bytes, the most */
	strcpy(big, "a@");
	for (int i = 0; i < 3; i++) {
		memset(big + 2 + i * 64, 'c', 63);
		big[2 + i * 64 + 63] = '.';
	}
	memset(big + 2 + 3 * 64, 'd', 60);
	big[2 + 3 * 64 + 60] = '\0';
	T_EQ_INT(strlen(big), 254);
	T_ASSERT(email_check(big, big, NULL));
	strcat(big, "d");
	T_ASSERT(email_check(big, NULL, "at most 254"));
}

static int
member_check(const char *name, const char *value, const char *want_why)
{
	const char *why = NULL;

	if (srv_valid_address_member(name, value, &why))
		return want_why == NULL;
	if (want_why == NULL || why == NULL || strstr(why, want_why) == NULL) {
		printf("# %s: why = %s\n", name ? name : "(null)", why ? why : "(null)");
		return 0;
	}
	return 1;
}

T_CASE(t_address_member)
{
	char big[SRV_ADDRESS_MEMBER_MAX + 2];

	T_ASSERT(member_check("street_address", "12 Tràng Tiền", NULL));
	T_ASSERT(member_check("locality", "Hoàn Kiếm", NULL));
	T_ASSERT(member_check("region", "Hà Nội", NULL));
	T_ASSERT(member_check("postal_code", "100000", NULL));
	T_ASSERT(member_check("country", "VN", NULL));
	T_ASSERT(member_check("formatted", "12 Tràng Tiền\nHoàn Kiếm, Hà Nội\r\nViệt Nam", NULL));
	T_ASSERT(member_check("street_address", "Số 1\nNgõ 2", NULL));
	T_ASSERT(member_check("locality", "Hoàn\nKiếm", "single line"));
	T_ASSERT(member_check("formatted", "a\rb", "control"));
	T_ASSERT(member_check("country", "V\tN", "control"));
	T_ASSERT(member_check("country", "V\x7fN", "control"));
	T_ASSERT(member_check("street", "x", "not an address member"));
	T_ASSERT(member_check(NULL, "x", "not an address member"));
	T_ASSERT(member_check("country", "", "1 to 512"));
	T_ASSERT(member_check("country", "   ", "blank"));
	T_ASSERT(member_check("region", "\xc3", "UTF-8"));             /* truncated */
	T_ASSERT(member_check("region", "\xc0\xaf", "UTF-8"));         /* overlong */
	T_ASSERT(member_check("region", "\xed\xa0\x80", "UTF-8"));     /* surrogate */
	T_ASSERT(member_check("region", "\xf4\x90\x80\x80", "UTF-8")); /* > U+10FFFF */
	T_ASSERT(member_check("region", "a\x80", "UTF-8"));
	T_ASSERT(member_check("region", "\xf0\x9f\x8f\xa0", NULL));    /* 4 bytes, fine */
	memset(big, 'x', SRV_ADDRESS_MEMBER_MAX);
	big[SRV_ADDRESS_MEMBER_MAX] = '\0';
	T_ASSERT(member_check("formatted", big, NULL));
	big[SRV_ADDRESS_MEMBER_MAX] = 'x';
	big[SRV_ADDRESS_MEMBER_MAX + 1] = '\0';
	T_ASSERT(member_check("formatted", big, "1 to 512"));
}

T_CASE(t_address_normalize)
{
	const char *why = NULL;
	char *out = (char *)"junk";

	T_ASSERT(srv_address_normalize("{ \"region\": \"Hà Nội\", \"country\" : \"VN\" }", &out, &why));
	/* compact, keys sorted, UTF-8 kept as is */
	T_EQ_STR(out, "{\"country\":\"VN\",\"region\":\"Hà Nội\"}");
	free(out);
	T_ASSERT(srv_address_normalize("{}", &out, &why));
	T_ASSERT(out == NULL);
	T_ASSERT(srv_address_normalize("{\"formatted\":\"a\\nb\"}", &out, &why));
	T_EQ_STR(out, "{\"formatted\":\"a\\nb\"}");
	free(out);

	T_ASSERT(!srv_address_normalize("[]", &out, &why));
	T_ASSERT(out == NULL && strstr(why, "JSON object") != NULL);
	T_ASSERT(!srv_address_normalize("{\"country\":\"VN\"", &out, &why));
	T_ASSERT(!srv_address_normalize("\"VN\"", &out, &why));
	T_ASSERT(!srv_address_normalize("", &out, &why));
	T_ASSERT(!srv_address_normalize(NULL, &out, &why));
	T_ASSERT(!srv_address_normalize("{\"country\":\"VN\",\"country\":\"FR\"}", &out, &why));
	T_ASSERT(strstr(why, "duplicate") != NULL);
	T_ASSERT(!srv_address_normalize("{\"country\":\"VN\"} x", &out, &why));
	T_ASSERT(!srv_address_normalize("{\"country\":1}", &out, &why));
	T_ASSERT(strstr(why, "not a string") != NULL);
	T_ASSERT(!srv_address_normalize("{\"country\":null}", &out, &why));
	T_ASSERT(!srv_address_normalize("{\"country\":{\"x\":\"y\"}}", &out, &why));
	T_ASSERT(!srv_address_normalize("{\"city\":\"Huế\"}", &out, &why));
	T_ASSERT(strstr(why, "not an address member") != NULL);
	T_ASSERT(!srv_address_normalize("{\"country\":\"\"}", &out, &why));
	T_ASSERT(!srv_address_normalize("{\"country\":\"V\\u0000N\"}", &out, &why));
	T_ASSERT(!srv_address_normalize("{\"locality\":\"a\\nb\"}", &out, &why));
	T_ASSERT(strstr(why, "single line") != NULL);
	T_ASSERT(out == NULL);
}

T_CASE(t_address_set_member)
{
	const char *why = NULL;
	char *a = NULL, *b = NULL;

	T_ASSERT(srv_address_set_member(NULL, "locality", "Huế", &a, &why));
	T_EQ_STR(a, "{\"locality\":\"Huế\"}");
	T_ASSERT(srv_address_set_member(a, "country", "Việt Nam", &b, &why));
	T_EQ_STR(b, "{\"country\":\"Việt Nam\",\"locality\":\"Huế\"}");
	free(a);
	T_ASSERT(srv_address_set_member(b, "locality", "Đà Nẵng", &a, &why));
	T_EQ_STR(a, "{\"country\":\"Việt Nam\",\"locality\":\"Đà Nẵng\"}");
	free(b);
	/* "" removes the member; removing the last gives no address */
	T_ASSERT(srv_address_set_member(a, "locality", "", &b, &why));
	T_EQ_STR(b, "{\"country\":\"Việt Nam\"}");
	free(a);
	T_ASSERT(srv_address_set_member(b, "country", "", &a, &why));
	T_ASSERT(a == NULL);
	T_ASSERT(srv_address_set_member(b, "postal_code", "", &a, &why));
	T_EQ_STR(a, b);
	free(a);
	T_ASSERT(!srv_address_set_member(b, "city", "Huế", &a, &why));
	T_ASSERT(a == NULL && strstr(why, "not an address member") != NULL);
	T_ASSERT(!srv_address_set_member(b, "city", "", &a, &why));
	T_ASSERT(!srv_address_set_member(b, "region", "a\nb", &a, &why));
	T_ASSERT(!srv_address_set_member("not json", "region", "Huế", &a, &why));
	T_ASSERT(a == NULL);
	free(b);
}

int
main(void)
{
	T_RUN(t_phone);
	T_RUN(t_email);
	T_RUN(t_address_member);
	T_RUN(t_address_normalize);
	T_RUN(t_address_set_member);
	return t_done();
}
