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
		/* level 2 with the chip card */
		[S_CARD_BIND_TITLE] = "Gắn thẻ căn cước gắn chip",
		[S_CARD_BIND_INTRO] = "Gắn thẻ căn cước gắn chip của bạn vào tài khoản để nâng lên mức độ 2. Đặt thẻ lên đầu đọc và chạy lệnh dưới đây trên máy tính, hoặc nhập mã vào ứng dụng định danh trên điện thoại.",
		[S_CARD_CODE_LABEL] = "Mã dùng một lần",
		[S_CARD_CODE_VALID] = "Mã có hiệu lực trong 5 phút và chỉ dùng được một lần.",
		[S_CARD_CAN_HINT] = "CAN là số truy cập thẻ gồm 6 chữ số: 6 chữ số cuối của số định danh cá nhân.",
		[S_CARD_OWN_CODE_ONLY] = "Chỉ dùng mã hiển thị trên màn hình của chính bạn, không bao giờ dùng mã do người khác gửi.",
		[S_CARD_NEW_CODE] = "Lấy mã mới",
		[S_CARD_LEVEL2_DONE] = "Tài khoản của bạn đã ở mức độ 2: đã gắn thẻ căn cước gắn chip. Khi được cấp thẻ mới, bạn gắn thẻ mới theo cách tương tự.",
		[S_CARD_TOO_MANY] = "Bạn đã yêu cầu quá nhiều mã. Vui lòng thử lại sau ít phút.",
		[S_CARD_LOGIN_LINK] = "Đăng nhập bằng thẻ căn cước gắn chip",
		[S_CARD_LOGIN_TITLE] = "Đăng nhập bằng thẻ căn cước gắn chip",
		[S_CARD_LOGIN_INTRO] = "Đặt thẻ lên đầu đọc và chạy lệnh dưới đây trên máy tính, hoặc nhập mã vào ứng dụng định danh trên điện thoại.",
		[S_CARD_LOGIN_WAITING] = "Đang chờ thẻ… Trang sẽ tự tiếp tục khi thẻ được chấp nhận.",
		[S_CARD_CONTINUE] = "Tiếp tục",
		[S_CARD_LOGIN_PENDING] = "Thẻ chưa xác nhận lần đăng nhập này. Hãy chạy lệnh, rồi bấm Tiếp tục.",
		[S_CARD_LOGIN_EXPIRED] = "Mã đăng nhập đã hết hạn hoặc đã được dùng. Vui lòng bắt đầu lại.",
		[S_CARD_LOGIN_OTHER_BROWSER] = "Mã đăng nhập này được cấp cho một trình duyệt khác. Vui lòng bắt đầu lại trên trình duyệt này.",
		[S_CARD_LOGIN_REFUSED] = "Thẻ vừa dùng không thể đăng nhập: thẻ chưa được liên kết với một tài khoản mức 2, hoặc không kiểm tra được thẻ. Lệnh eid-card đã cho biết lý do. Vui lòng bắt đầu lại.",
		[S_CARD_PASSWORD_INSTEAD] = "Đăng nhập bằng mật khẩu",
		[S_CARD_START_AGAIN] = "Bắt đầu lại",
		[S_PASSKEY_USE] = "Đăng nhập bằng khóa truy cập (passkey)",
		[S_PASSKEY_FAILED] = "Không dùng được khóa truy cập. Vui lòng thử lại hoặc đăng nhập bằng mật khẩu.",
		[S_PASSKEY_DEFAULT_NAME] = "Khóa truy cập",
		[S_ACCOUNT_TITLE] = "Tài khoản của bạn",
		[S_ACCOUNT_NAME] = "Họ và tên",
		[S_ACCOUNT_LEVEL] = "Mức độ định danh",
		[S_ACCOUNT_LEVEL1] = "Mức độ 1 (mật khẩu và mã xác thực)",
		[S_ACCOUNT_LEVEL2] = "Mức độ 2 (danh tính đã xác minh bằng thẻ căn cước gắn chip)",
		[S_PASSKEYS_TITLE] = "Khóa truy cập (passkey)",
		[S_PASSKEYS_NONE] = "Bạn chưa có khóa truy cập nào.",
		[S_PASSKEY_CREATED] = "Tạo lúc",
		[S_PASSKEY_LAST_USED] = "Dùng lần cuối",
		[S_PASSKEY_NEVER] = "chưa dùng",
		[S_PASSKEY_CLONED] = "Đã khóa: có thể đã bị sao chép",
		[S_PASSKEY_REMOVE] = "Xóa",
		[S_PASSKEY_ADD] = "Thêm khóa truy cập",
		[S_PASSKEY_NAME_LABEL] = "Tên cho khóa truy cập mới (không bắt buộc)",
		[S_TOTP_TITLE] = "Ứng dụng xác thực",
		[S_TOTP_ON] = "Đã thiết lập ứng dụng xác thực để tạo mã đăng nhập.",
		[S_TOTP_OFF] = "Chưa thiết lập ứng dụng xác thực.",
		[S_CONSENTS_TITLE] = "Dịch vụ được chia sẻ thông tin",
		[S_CONSENTS_NONE] = "Bạn chưa cho phép dịch vụ nào.",
		[S_CONSENT_SINCE] = "Cho phép từ",
		[S_CONSENT_REVOKE] = "Thu hồi sự đồng ý",
		[S_HISTORY_TITLE] = "Hoạt động gần đây",
		[S_HISTORY_NONE] = "Chưa có hoạt động nào.",
		[S_HIST_LOGIN_PASSWORD] = "Đăng nhập bằng mật khẩu và mã xác thực",
		[S_HIST_LOGIN_PASSKEY] = "Đăng nhập bằng khóa truy cập",
		[S_HIST_LOGIN_CARD] = "Đăng nhập bằng thẻ căn cước gắn chip",
		[S_HIST_LOGIN_FAILED] = "Lần đăng nhập không thành công",
		[S_HIST_RELEASE] = "Chia sẻ thông tin với",
		[S_HIST_DENY] = "Từ chối chia sẻ thông tin với",
		[S_HIST_REVOKE] = "Thu hồi sự đồng ý với",
		[S_HIST_PASSKEY_ADDED] = "Thêm khóa truy cập",
		[S_HIST_PASSKEY_REMOVED] = "Xóa khóa truy cập",
		[S_HIST_PASSKEY_CLONED] = "Khóa truy cập bị khóa vì có thể đã bị sao chép",
		[S_HIST_SIGNOUT_ALL] = "Đăng xuất khỏi mọi nơi",
		[S_HIST_OTHER] = "Hoạt động khác",
		[S_HIST_DOC_VERIFIED] = "Thẻ căn cước của bạn được kiểm tra bởi",
		[S_SIGNOUT_ALL] = "Đăng xuất khỏi mọi nơi",
		[S_SIGNOUT_ALL_HINT] = "Kết thúc mọi phiên đăng nhập của bạn trên mọi thiết bị, kể cả phiên này.",
		[S_PASSKEY_REAUTH] = "Để thêm khóa truy cập, bạn cần vừa mới đăng nhập. Vì an toàn, vui lòng đăng nhập lại.",
		[S_PASSKEY_REAUTH_LINK] = "Đăng nhập lại để thêm khóa truy cập",
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
		/* level 2 with the chip card */
		[S_CARD_BIND_TITLE] = "Bind your chip ID card",
		[S_CARD_BIND_INTRO] = "Bind your chip-based citizen ID card to your account to raise it to level 2. Place the card on the reader and run the command below on your computer, or enter the code in the e-ID phone app.",
		[S_CARD_CODE_LABEL] = "One-time code",
		[S_CARD_CODE_VALID] = "The code is valid for 5 minutes and can be used once.",
		[S_CARD_CAN_HINT] = "CAN is the 6-digit card access number: the last 6 digits of your personal ID number.",
		[S_CARD_OWN_CODE_ONLY] = "Only use a code shown on your own screen, never a code someone sent you.",
		[S_CARD_NEW_CODE] = "Get a new code",
		[S_CARD_LEVEL2_DONE] = "Your account is at level 2: a chip ID card is bound to it. When you get a new card, bind it the same way.",
		[S_CARD_TOO_MANY] = "Too many codes were requested. Try again in a few minutes.",
		[S_CARD_LOGIN_LINK] = "Sign in with your chip ID card",
		[S_CARD_LOGIN_TITLE] = "Sign in with your chip ID card",
		[S_CARD_LOGIN_INTRO] = "Place your card on the reader and run the command below on your computer, or enter the code in the e-ID phone app.",
		[S_CARD_LOGIN_WAITING] = "Waiting for the card… This page continues by itself once the card is accepted.",
		[S_CARD_CONTINUE] = "Continue",
		[S_CARD_LOGIN_PENDING] = "The card has not approved this sign-in yet. Run the command, then press Continue.",
		[S_CARD_LOGIN_EXPIRED] = "The sign-in code has expired or was already used. Start again.",
		[S_CARD_LOGIN_OTHER_BROWSER] = "This sign-in code was issued to another browser. Start again in this browser.",
		[S_CARD_LOGIN_REFUSED] = "The card used cannot sign you in: it is not bound to an account at level 2, or it could not be verified. The eid-card command said why. Start again.",
		[S_CARD_PASSWORD_INSTEAD] = "Sign in with your password instead",
		[S_CARD_START_AGAIN] = "Start again",
		[S_PASSKEY_USE] = "Sign in with a passkey",
		[S_PASSKEY_FAILED] = "The passkey could not be used. Try again or sign in with your password.",
		[S_PASSKEY_DEFAULT_NAME] = "Passkey",
		[S_ACCOUNT_TITLE] = "Your account",
		[S_ACCOUNT_NAME] = "Name",
		[S_ACCOUNT_LEVEL] = "Assurance level",
		[S_ACCOUNT_LEVEL1] = "Level 1 (password and one-time code)",
		[S_ACCOUNT_LEVEL2] = "Level 2 (identity proven with the chip-based ID card)",
		[S_PASSKEYS_TITLE] = "Passkeys",
		[S_PASSKEYS_NONE] = "You have no passkeys.",
		[S_PASSKEY_CREATED] = "Created",
		[S_PASSKEY_LAST_USED] = "Last used",
		[S_PASSKEY_NEVER] = "never",
		[S_PASSKEY_CLONED] = "Blocked: it may have been copied",
		[S_PASSKEY_REMOVE] = "Remove",
		[S_PASSKEY_ADD] = "Add a passkey",
		[S_PASSKEY_NAME_LABEL] = "A name for the new passkey (optional)",
		[S_TOTP_TITLE] = "Authenticator app",
		[S_TOTP_ON] = "An authenticator app is set up for sign-in codes.",
		[S_TOTP_OFF] = "No authenticator app is set up.",
		[S_CONSENTS_TITLE] = "Services you share information with",
		[S_CONSENTS_NONE] = "You have not allowed any service.",
		[S_CONSENT_SINCE] = "Allowed since",
		[S_CONSENT_REVOKE] = "Withdraw consent",
		[S_HISTORY_TITLE] = "Recent activity",
		[S_HISTORY_NONE] = "No activity yet.",
		[S_HIST_LOGIN_PASSWORD] = "Signed in with password and one-time code",
		[S_HIST_LOGIN_PASSKEY] = "Signed in with a passkey",
		[S_HIST_LOGIN_CARD] = "Signed in with the chip-based ID card",
		[S_HIST_LOGIN_FAILED] = "Failed sign-in attempt",
		[S_HIST_RELEASE] = "Information shared with",
		[S_HIST_DENY] = "Refused to share information with",
		[S_HIST_REVOKE] = "Consent withdrawn from",
		[S_HIST_PASSKEY_ADDED] = "Passkey added",
		[S_HIST_PASSKEY_REMOVED] = "Passkey removed",
		[S_HIST_PASSKEY_CLONED] = "Passkey blocked: it may have been copied",
		[S_HIST_SIGNOUT_ALL] = "Signed out everywhere",
		[S_HIST_OTHER] = "Other activity",
		[S_HIST_DOC_VERIFIED] = "Your ID card was checked by",
		[S_SIGNOUT_ALL] = "Sign out everywhere",
		[S_SIGNOUT_ALL_HINT] = "Ends every session of yours on every device, this one included.",
		[S_PASSKEY_REAUTH] = "Adding a passkey needs a recent sign-in. For your safety, please sign in again.",
		[S_PASSKEY_REAUTH_LINK] = "Sign in again to add a passkey",
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
    ".code{font:700 2rem/1.2 ui-monospace,monospace;letter-spacing:.15em;margin:.2rem 0;}\n"
    ".code-label{font-weight:600;margin-bottom:0;}\n"
    "pre.command{white-space:pre-wrap;word-break:break-all;background:rgba(128,128,128,.15);"
    "padding:.6rem;border-radius:4px;}\n"
    ".notice{border-left:4px solid #1e7d32;padding:.6rem .8rem;}\n"
    "@media (prefers-color-scheme:dark){.hint{color:#bbb;}.error{background:#3b1614;color:#fdd;}}\n";
