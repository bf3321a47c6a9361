/* srv_pages.c - HTML page skeleton, strings and language choice (see srv_pages.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "srv_pages.h"

static const char *const strings[SRV_LANG_COUNT][S_STR_COUNT] = {
	[SRV_LANG_VI] = {
		[S_LANG_CODE] = "vi",
		[S_OTHER_LANG_CODE] = "en",
		[S_OTHER_LANG_NAME] = "English",
		[S_SITE_NAME] = "Định danh điện tử",
		[S_LOGIN_TITLE] = "Đăng nhập",
		[S_LOGIN_INTRO] = "Đăng nhập bằng số định danh cá nhân, mật khẩu và mã xác thực từ ứng dụng xác thực.",
		[S_ID_LABEL] = "Số định danh cá nhân",
		[S_ID_HINT] = "12 chữ số trên thẻ căn cước.",
		[S_PASSWORD_LABEL] = "Mật khẩu",
		[S_OTP_LABEL] = "Mã xác thực",
		[S_OTP_HINT] = "6 chữ số trong ứng dụng xác thực.",
		[S_SUBMIT] = "Đăng nhập",
		[S_ERR_CREDENTIALS] = "Số định danh, mật khẩu hoặc mã xác thực không đúng.",
		[S_ERR_THROTTLED] = "Quá nhiều lần thử. Vui lòng thử lại sau.",
		[S_ERR_CSRF] = "Biểu mẫu đã hết hạn hoặc không hợp lệ. Vui lòng tải lại trang và thử lại.",
		[S_FORBIDDEN_TITLE] = "Không thể xử lý yêu cầu",
		[S_RELOAD] = "Quay lại trang đăng nhập",
		[S_LOGOUT] = "Đăng xuất",
		[S_CONSENT_TITLE] = "Cho phép chia sẻ thông tin",
		[S_CONSENT_INTRO] = "Dịch vụ sau đề nghị truy cập thông tin của bạn:",
		[S_CONSENT_LIST] = "Nếu bạn đồng ý, dịch vụ sẽ nhận được:",
		[S_CONSENT_REMEMBER] = "Lựa chọn của bạn được ghi nhớ. Bạn có thể thu hồi sự đồng ý bất cứ lúc nào trên trang tài khoản.",
		[S_CONSENT_ALLOW] = "Đồng ý",
		[S_CONSENT_DENY] = "Từ chối",
		[S_SCOPE_OPENID] = "Một mã nhận dạng riêng cho dịch vụ này (không phải số định danh của bạn)",
		[S_SCOPE_PROFILE] = "Họ và tên, ngày sinh và giới tính",
		[S_SCOPE_CITIZEN_ID] = "Số định danh cá nhân 12 chữ số",
		[S_SCOPE_ADDRESS] = "Địa chỉ nơi thường trú",
		[S_SCOPE_PHONE] = "Số điện thoại",
		[S_SCOPE_EMAIL] = "Địa chỉ thư điện tử",
		[S_SCOPE_OFFLINE] = "Tiếp tục truy cập các thông tin trên khi bạn không đăng nhập",
		[S_AUTHZ_ERROR_TITLE] = "Không thể tiếp tục đăng nhập",
		[S_AUTHZ_ERR_CLIENT] = "Dịch vụ đã chuyển bạn đến đây chưa được đăng ký hoặc đã bị khóa. Vui lòng quay lại dịch vụ và liên hệ bộ phận hỗ trợ của họ.",
		[S_AUTHZ_ERR_REDIRECT] = "Địa chỉ trả về của dịch vụ không khớp với địa chỉ đã đăng ký. Để bảo vệ bạn, hệ thống không chuyển bạn tiếp. Vui lòng quay lại dịch vụ và thử lại.",
		[S_AUTHZ_ERR_EXPIRED] = "Yêu cầu đăng nhập đã hết hạn. Vui lòng quay lại dịch vụ và bắt đầu lại.",
		[S_LEVEL2_NEEDED] = "Dịch vụ này yêu cầu mức độ 2: đăng nhập bằng thẻ căn cước gắn chip hoặc khóa truy cập (passkey) đã xác minh.",
		[S_SIGNED_IN_AS] = "Bạn đang đăng nhập.",
		[S_LOGOUT_TITLE] = "Đăng xuất",
		[S_LOGOUT_CONFIRM] = "Bạn có muốn đăng xuất khỏi Định danh điện tử không?",
		[S_LOGGED_OUT] = "Bạn đã đăng xuất.",
	},
	[SRV_LANG_EN] = {
		[S_LANG_CODE] = "en",
		[S_OTHER_LANG_CODE] = "vi",
		[S_OTHER_LANG_NAME] = "Tiếng Việt",
		[S_SITE_NAME] = "Electronic identification",
		[S_LOGIN_TITLE] = "Sign in",
		[S_LOGIN_INTRO] = "Sign in with your personal ID number, your password and the code from your authenticator app.",
		[S_ID_LABEL] = "Personal ID number",
		[S_ID_HINT] = "The 12 digits on your citizen identity card.",
		[S_PASSWORD_LABEL] = "Password",
		[S_OTP_LABEL] = "One-time code",
		[S_OTP_HINT] = "The 6 digits shown in your authenticator app.",
		[S_SUBMIT] = "Sign in",
		[S_ERR_CREDENTIALS] = "ID number, password or code is incorrect.",
		[S_ERR_THROTTLED] = "Too many attempts. Try again later.",
		[S_ERR_CSRF] = "The form has expired or is not valid. Reload the page and try again.",
		[S_FORBIDDEN_TITLE] = "The request cannot be processed",
		[S_RELOAD] = "Back to the sign-in page",
		[S_LOGOUT] = "Sign out",
		[S_CONSENT_TITLE] = "Allow access to your information",
		[S_CONSENT_INTRO] = "This service asks to access your information:",
		[S_CONSENT_LIST] = "If you allow it, the service will receive:",
		[S_CONSENT_REMEMBER] = "Your choice is remembered. You can withdraw your consent at any time on your account page.",
		[S_CONSENT_ALLOW] = "Allow",
		[S_CONSENT_DENY] = "Deny",
		[S_SCOPE_OPENID] = "An identifier for you that only this service uses (not your ID number)",
		[S_SCOPE_PROFILE] = "Your full name, date of birth and sex",
		[S_SCOPE_CITIZEN_ID] = "Your 12-digit personal ID number",
		[S_SCOPE_ADDRESS] = "Your permanent address",
		[S_SCOPE_PHONE] = "Your phone number",
		[S_SCOPE_EMAIL] = "Your email address",
		[S_SCOPE_OFFLINE] = "Continued access to this information while you are not signed in",
		[S_AUTHZ_ERROR_TITLE] = "Sign-in cannot continue",
		[S_AUTHZ_ERR_CLIENT] = "The service that sent you here is not registered or has been disabled. Go back to the service and contact its support.",
		[S_AUTHZ_ERR_REDIRECT] = "The service's return address does not match the one it registered. For your safety you were not sent on. Go back to the service and try again.",
		[S_AUTHZ_ERR_EXPIRED] = "The sign-in request has expired. Go back to the service and start again.",
		[S_LEVEL2_NEEDED] = "This service requires level 2: sign in with your chip-based citizen ID card or a verified passkey.",
		[S_SIGNED_IN_AS] = "You are signed in.",
		[S_LOGOUT_TITLE] = "Sign out",
		[S_LOGOUT_CONFIRM] = "Do you want to sign out of e-ID?",
		[S_LOGGED_OUT] = "You are signed out.",
	},
};

const char *
srv_str(enum srv_lang lang, enum srv_str id)
{
	if ((unsigned)lang >= SRV_LANG_COUNT || (unsigned)id >= S_STR_COUNT)
		return "";
	return strings[lang][id] != NULL ? strings[lang][id] : "";
}

/* The language a tag names, or -1 ("vi", "vi-VN", "en", "en-GB"; case-insensitive). */
static int
tag_lang(const char *s, size_t n)
{
	if (n >= 2 && strncasecmp(s, "vi", 2) == 0 && (n == 2 || s[2] == '-'))
		return SRV_LANG_VI;
	if (n >= 2 && strncasecmp(s, "en", 2) == 0 && (n == 2 || s[2] == '-'))
		return SRV_LANG_EN;
	return -1;
}

/* ui_locales: space-separated tags in order of preference; the first we have wins. */
int
srv_pages_ui_locales(const char *v)
{
	while (v != NULL && *v != '\0') {
		size_t n;
		int l;

		v += strspn(v, " ");
		n = strcspn(v, " ");
		if (n > 0 && (l = tag_lang(v, n)) >= 0)
			return l;
		v += n;
	}
	return -1;
}

enum srv_lang
srv_pages_accept_language(const char *h)
{
	int best = SRV_LANG_VI, best_q = -1;

	while (h != NULL && *h != '\0') {
		size_t n = strcspn(h, ",");
		const char *item = h, *semi;
		size_t tlen;
		int l, q = 1000;

		item += strspn(item, " \t");
		tlen = strcspn(item, ";, \t");
		if ((semi = memchr(item, ';', (size_t)(h + n - item))) != NULL) {
			const char *qs = semi + 1;

			qs += strspn(qs, " \t");
			if (strncmp(qs, "q=", 2) == 0) {
				/* q = 0(.ddd) | 1(.000): parse three decimals by hand */
				const char *d = qs + 2;
				int i, scale = 100;

				q = (*d == '1') ? 1000 : 0;
				if (*d == '0' || *d == '1') {
					d++;
					if (*d == '.')
						for (d++, i = 0; i < 3 && *d >= '0' && *d <= '9'; i++, d++, scale /= 10)
							q += (*d - '0') * scale;
				}
				if (q > 1000)
					q = 1000;
			}
		}
		if ((l = tag_lang(item, tlen)) >= 0 && q > 0 &&
		    (q > best_q || (q == best_q && l == SRV_LANG_VI))) {
			best = l;
			best_q = q;
		}
		h += n;
		if (*h == ',')
			h++;
	}
	return (enum srv_lang)best;
}

enum srv_lang
srv_pages_lang(const struct srv_req *req)
{
	const char *v;
	int l;

	if ((v = srv_kvlist_get(&req->query, "ui_locales", NULL)) != NULL &&
	    (l = srv_pages_ui_locales(v)) >= 0)
		return (enum srv_lang)l;
	if (req->method == SRV_POST && (v = srv_kvlist_get(&req->form, "lang", NULL)) != NULL &&
	    (l = srv_pages_ui_locales(v)) >= 0)
		return (enum srv_lang)l;
	return srv_pages_accept_language(srv_req_header(req, "accept-language"));
}

int
srv_tpl(struct cx_dynbuf *b, const char *tpl, const char *const *args, size_t nargs)
{
	const char *p = tpl;
	int r = 0;

	while (r == 0 && *p != '\0') {
		size_t n = strcspn(p, "{");

		if (n > 0)
			r = cx_dynbuf_add(b, p, n);
		p += n;
		if (r != 0 || *p == '\0')
			break;
		if (p[1] == '{') {
			r = cx_dynbuf_add(b, "{", 1);
			p += 2;
		} else if (p[1] >= '0' && p[1] <= '9' && p[2] == '}') {
			size_t i = (size_t)(p[1] - '0');

			if (i < nargs && args[i] != NULL)
				r = srv_html_add_escaped(b, args[i]);
			p += 3;
		} else {
			r = cx_dynbuf_add(b, "{", 1);
			p++;
		}
	}
	return r;
}

int
srv_page_begin(struct srv_resp *resp, unsigned status, enum srv_lang lang, const char *title)
{
	const char *a[] = { srv_str(lang, S_LANG_CODE), title, srv_str(lang, S_SITE_NAME) };

	cx_dynbuf_reset(&resp->body);
	resp->status = status;
	resp->content_type = "text/html; charset=utf-8";
	resp->html = 1;
	return srv_tpl(&resp->body,
	    "<!doctype html>\n<html lang=\"{0}\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	    "<title>{1} - {2}</title><link rel=\"stylesheet\" href=\"/static/eid.css\"></head>\n"
	    "<body><header><p class=\"site\">{2}</p></header>\n<main>\n<h1>{1}</h1>\n", a, 3);
}

int
srv_page_end(struct srv_resp *resp, enum srv_lang lang, const char *switch_path,
    const char *return_to)
{
	struct cx_dynbuf href;
	const char *a[2];
	int r;

	cx_dynbuf_init(&href, 4096);
	r = srv_pct_encode(&href, switch_path != NULL ? switch_path : "/login", "/");
	r = r != 0 ? r : cx_dynbuf_add_str(&href, "?ui_locales=");
	r = r != 0 ? r : cx_dynbuf_add_str(&href, srv_str(lang, S_OTHER_LANG_CODE));
	if (r == 0 && return_to != NULL && strcmp(return_to, "/") != 0) {
		r = cx_dynbuf_add_str(&href, "&return_to=");
		r = r != 0 ? r : srv_pct_encode(&href, return_to, "/");
	}
	a[0] = r == 0 ? cx_dynbuf_str(&href) : "";
	a[1] = srv_str(lang, S_OTHER_LANG_NAME);
	if (r == 0)
		r = srv_tpl(&resp->body, "</main>\n<footer><nav><a class=\"lang\" href=\"{0}\" hreflang=\"",
		    a, 2);
	r = r != 0 ? r : srv_html_add_escaped(&resp->body, srv_str(lang, S_OTHER_LANG_CODE));
	r = r != 0 ? r : srv_tpl(&resp->body, "\" lang=\"", NULL, 0);
	r = r != 0 ? r : srv_html_add_escaped(&resp->body, srv_str(lang, S_OTHER_LANG_CODE));
	r = r != 0 ? r : srv_tpl(&resp->body, "\">{1}</a></nav></footer>\n</body></html>\n", a, 2);
	cx_dynbuf_free(&href);
	return r;
}

const char srv_pages_css[] =
    ":root{color-scheme:light dark;--accent:#b3261e;}\n"
    "body{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;margin:0;line-height:1.5;}\n"
    "header{background:var(--accent);color:#fff;padding:.6rem 1rem;}\n"
    "header .site{margin:0;font-weight:600;}\n"
    "main{max-width:26rem;margin:2rem auto;padding:0 1rem;}\n"
    "form{display:flex;flex-direction:column;gap:.3rem;}\n"
    "label{font-weight:600;margin-top:.8rem;}\n"
    "input{font-size:1.1rem;padding:.5rem;border:1px solid #888;border-radius:4px;}\n"
    "input:focus{outline:3px solid #1a73e8;outline-offset:1px;}\n"
    ".hint{font-size:.9rem;margin:0;color:#555;}\n"
    "button{margin-top:1.2rem;font-size:1.1rem;padding:.6rem;border:0;border-radius:4px;"
    "background:var(--accent);color:#fff;cursor:pointer;}\n"
    ".error{border-left:4px solid var(--accent);background:#fde8e7;color:#5f1410;padding:.6rem .8rem;}\n"
    "footer{text-align:center;margin:2rem 0;}\n"
    "ul.scopes{padding-left:1.2rem;}\n"
    ".actions{display:flex;gap:.8rem;}\n.actions button{flex:1;}\n"
    "button.secondary{background:#555;}\n"
    "@media (prefers-color-scheme:dark){.hint{color:#bbb;}.error{background:#3b1614;color:#fdd;}}\n";
