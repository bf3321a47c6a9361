/* test_login_pure.c - the pure parts of sign-in: the decision, language choice, templates. */
#include <string.h>

#include "../t.h"
#include "srv_auth_password.h"
#include "srv_pages.h"

T_CASE(decide_ok_only_when_everything_holds)
{
	struct srv_auth_facts f = { .well_formed = 1, .found = 1, .password_ok = 1, .otp_ok = 1,
	    .otp_fresh = 1 };
	enum srv_auth_reason why;

	T_EQ_INT(srv_auth_decide(&f, &why), SRV_AUTH_OK);
	T_EQ_INT(why, SRV_AUTH_R_NONE);
	f.otp_fresh = 0;
	T_EQ_INT(srv_auth_decide(&f, &why), SRV_AUTH_FAILED);
	T_EQ_INT(why, SRV_AUTH_R_OTP_REPLAY);
	f.otp_fresh = 1;
	f.disabled = 1;
	T_EQ_INT(srv_auth_decide(&f, &why), SRV_AUTH_FAILED);
	T_EQ_INT(why, SRV_AUTH_R_DISABLED);
	f.disabled = 0;
	f.found = 0;
	T_EQ_INT(srv_auth_decide(&f, &why), SRV_AUTH_FAILED);
	f.found = 1;
	f.account_locked = 1;
	T_EQ_INT(srv_auth_decide(&f, &why), SRV_AUTH_THROTTLED);
	f.account_locked = 0;
	f.ip_locked = 1;
	T_EQ_INT(srv_auth_decide(&f, &why), SRV_AUTH_THROTTLED);
}

T_CASE(decide_zeroed_facts_fail)
{
	struct srv_auth_facts f;
	enum srv_auth_reason why;

	memset(&f, 0, sizeof(f));
	T_EQ_INT(srv_auth_decide(&f, &why), SRV_AUTH_FAILED);
	T_ASSERT(SRV_AUTH_FAILED == 0);
}

T_CASE(decide_waiting_is_throttled_and_delays_grow)
{
	struct srv_auth_facts f;
	enum srv_auth_reason why;

	memset(&f, 0, sizeof(f));
	f.well_formed = f.found = f.password_ok = f.otp_ok = f.otp_fresh = 1;
	f.account_waiting = 1;          /* even the right credentials wait */
	T_EQ_INT(srv_auth_decide(&f, &why), SRV_AUTH_THROTTLED);
	T_EQ_INT(why, SRV_AUTH_R_DELAYED);
	T_EQ_STR(srv_auth_reason_name(why), "delayed");
	T_EQ_INT(srv_auth_delay(0, 30), 0);
	T_EQ_INT(srv_auth_delay(1, 30), 0);
	T_EQ_INT(srv_auth_delay(2, 30), 1);
	T_EQ_INT(srv_auth_delay(3, 30), 2);
	T_EQ_INT(srv_auth_delay(4, 30), 4);
	T_EQ_INT(srv_auth_delay(7, 30), 30);
	T_EQ_INT(srv_auth_delay(1000000, 30), 30);
	T_EQ_INT(srv_auth_delay(4, 3), 3);
	T_EQ_INT(srv_auth_delay(9, 0), 0);
}

T_CASE(accept_language)
{
	T_EQ_INT(srv_pages_accept_language(NULL), SRV_LANG_VI);
	T_EQ_INT(srv_pages_accept_language(""), SRV_LANG_VI);
	T_EQ_INT(srv_pages_accept_language("en-US,en;q=0.9"), SRV_LANG_EN);
	T_EQ_INT(srv_pages_accept_language("en;q=0.5, vi"), SRV_LANG_VI);
	T_EQ_INT(srv_pages_accept_language("vi-VN;q=0.4, en;q=0.8"), SRV_LANG_EN);
	T_EQ_INT(srv_pages_accept_language("en, vi"), SRV_LANG_VI);     /* tie: vi first */
	T_EQ_INT(srv_pages_accept_language("fr, de;q=0.7"), SRV_LANG_VI);
	T_EQ_INT(srv_pages_accept_language("en;q=0"), SRV_LANG_VI);
	T_EQ_INT(srv_pages_accept_language("english"), SRV_LANG_VI);
}

T_CASE(template_escapes_arguments)
{
	struct cx_dynbuf b;
	const char *a[] = { "<script>\"x\"&'", NULL };

	cx_dynbuf_init(&b, 4096);
	T_EQ_INT(srv_tpl(&b, "<p title=\"{0}\">{0}{1}{7}</p>[0-9]{{12}", a, 2), 0);
	T_EQ_STR(cx_dynbuf_str(&b),
	    "<p title=\"&lt;script&gt;&quot;x&quot;&amp;&#39;\">&lt;script&gt;&quot;x&quot;&amp;&#39;</p>[0-9]{12}");
	cx_dynbuf_free(&b);
}

T_CASE(string_tables_complete)
{
	int l, s;

	for (l = 0; l < SRV_LANG_COUNT; l++)
		for (s = 0; s < S_STR_COUNT; s++)
			T_ASSERT(srv_str((enum srv_lang)l, (enum srv_str)s)[0] != '\0');
	T_EQ_STR(srv_str(SRV_LANG_VI, S_ERR_CREDENTIALS), "Số định danh, mật khẩu hoặc mã xác thực không đúng.");
	T_EQ_STR(srv_str(SRV_LANG_EN, S_ERR_CREDENTIALS), "ID number, password or code is incorrect.");
}

int
main(void)
{
	T_RUN(decide_ok_only_when_everything_holds);
	T_RUN(decide_zeroed_facts_fail);
	T_RUN(decide_waiting_is_throttled_and_delays_grow);
	T_RUN(accept_language);
	T_RUN(template_escapes_arguments);
	T_RUN(string_tables_complete);
	return t_done();
}
