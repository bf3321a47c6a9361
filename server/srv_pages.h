/*
 * srv_pages.h - the HTML pages citizens see: language choice, one string table per
 * language, and a tiny template helper that escapes every value.
 *
 * Vietnamese is the default; English is chosen by the `ui_locales` query parameter
 * (OpenID Connect Core 3.1.2.1), the `lang` form field (the hidden copy a form posts
 * back), or Accept-Language. Pages carry no inline script or style (the CSP forbids
 * both); the stylesheet is /static/eid.css.
 */
#ifndef SRV_PAGES_H
#define SRV_PAGES_H

#include "srv_req.h"

enum srv_lang { SRV_LANG_VI = 0, SRV_LANG_EN, SRV_LANG_COUNT };

enum srv_str {
	S_LANG_CODE,                /* "vi" / "en" */
	S_OTHER_LANG_CODE,
	S_OTHER_LANG_NAME,          /* the switch link's text, in the other language */
	S_SITE_NAME,
	S_LOGIN_TITLE,
	S_LOGIN_INTRO,
	S_ID_LABEL,
	S_ID_HINT,
	S_PASSWORD_LABEL,
	S_OTP_LABEL,
	S_OTP_HINT,
	S_SUBMIT,
	S_ERR_CREDENTIALS,
	S_ERR_THROTTLED,
	S_ERR_CSRF,
	S_FORBIDDEN_TITLE,
	S_RELOAD,
	S_LOGOUT,
	/* authorization and consent (srv_handle_authorize.c) */
	S_CONSENT_TITLE,
	S_CONSENT_INTRO,            /* followed by the portal's name */
	S_CONSENT_LIST,
	S_CONSENT_REMEMBER,
	S_CONSENT_ALLOW,
	S_CONSENT_DENY,
	S_SCOPE_OPENID,
	S_SCOPE_PROFILE,
	S_SCOPE_CITIZEN_ID,
	S_SCOPE_ADDRESS,
	S_SCOPE_PHONE,
	S_SCOPE_EMAIL,
	S_SCOPE_OFFLINE,
	S_AUTHZ_ERROR_TITLE,
	S_AUTHZ_ERR_CLIENT,
	S_AUTHZ_ERR_REDIRECT,
	S_AUTHZ_ERR_EXPIRED,
	S_LEVEL2_NEEDED,
	S_SIGNED_IN_AS,
	/* sign-out (end_session) */
	S_LOGOUT_TITLE,
	S_LOGOUT_CONFIRM,
	S_LOGGED_OUT,
	/* level 2 with the chip card (srv_handle_card.c) */
	S_CARD_BIND_TITLE,
	S_CARD_BIND_INTRO,
	S_CARD_CODE_LABEL,
	S_CARD_CODE_VALID,
	S_CARD_CAN_HINT,
	S_CARD_OWN_CODE_ONLY,
	S_CARD_NEW_CODE,
	S_CARD_LEVEL2_DONE,
	S_CARD_TOO_MANY,
	S_CARD_LOGIN_LINK,
	S_CARD_LOGIN_TITLE,
	S_CARD_LOGIN_INTRO,
	S_CARD_LOGIN_WAITING,
	S_CARD_CONTINUE,
	S_CARD_LOGIN_PENDING,
	S_CARD_LOGIN_EXPIRED,
	S_CARD_LOGIN_OTHER_BROWSER,
	S_CARD_LOGIN_REFUSED,
	S_CARD_PASSWORD_INSTEAD,
	S_CARD_START_AGAIN,
	/* passkeys and the account page (srv_handle_passkey.c, srv_handle_account.c) */
	S_PASSKEY_USE,
	S_PASSKEY_FAILED,
	S_PASSKEY_DEFAULT_NAME,
	S_ACCOUNT_TITLE,
	S_ACCOUNT_NAME,
	S_ACCOUNT_LEVEL,
	S_ACCOUNT_LEVEL1,
	S_ACCOUNT_LEVEL2,
	S_PASSKEYS_TITLE,
	S_PASSKEYS_NONE,
	S_PASSKEY_CREATED,
	S_PASSKEY_LAST_USED,
	S_PASSKEY_NEVER,
	S_PASSKEY_CLONED,
	S_PASSKEY_REMOVE,
	S_PASSKEY_ADD,
	S_PASSKEY_NAME_LABEL,
	S_TOTP_TITLE,
	S_TOTP_ON,
	S_TOTP_OFF,
	S_CONSENTS_TITLE,
	S_CONSENTS_NONE,
	S_CONSENT_SINCE,
	S_CONSENT_REVOKE,
	S_HISTORY_TITLE,
	S_HISTORY_NONE,
	S_HIST_LOGIN_PASSWORD,
	S_HIST_LOGIN_PASSKEY,
	S_HIST_LOGIN_CARD,
	S_HIST_LOGIN_FAILED,
	S_HIST_RELEASE,
	S_HIST_DENY,
	S_HIST_REVOKE,
	S_HIST_PASSKEY_ADDED,
	S_HIST_PASSKEY_REMOVED,
	S_HIST_PASSKEY_CLONED,
	S_HIST_SIGNOUT_ALL,
	S_HIST_OTHER,
	S_HIST_DOC_VERIFIED,
	S_SIGNOUT_ALL,
	S_SIGNOUT_ALL_HINT,
	S_PASSKEY_REAUTH,
	S_PASSKEY_REAUTH_LINK,
	S_STR_COUNT
};

const char *srv_str(enum srv_lang lang, enum srv_str id);

/* Pure: the language for a request (ui_locales > lang field > Accept-Language > vi). */
enum srv_lang srv_pages_lang(const struct srv_req *req);
/* Pure: the first language of a ui_locales value we have, or -1. */
int srv_pages_ui_locales(const char *v);
/* Pure: the best of vi/en in an Accept-Language value (RFC 9110 12.5.4); vi on ties. */
enum srv_lang srv_pages_accept_language(const char *header);

/*
 * Append tpl to b, replacing {0}..{9} with the matching HTML-escaped argument (NULL is
 * empty). The template itself is trusted markup (a literal in the code); "{{" is "{".
 */
int srv_tpl(struct cx_dynbuf *b, const char *tpl, const char *const *args, size_t nargs) EID_WARN_UNUSED;

/* Start a page: reset the body, set status and type, write the skeleton up to <main>. */
int srv_page_begin(struct srv_resp *resp, unsigned status, enum srv_lang lang,
    const char *title) EID_WARN_UNUSED;
/* The language switch link (to path with ui_locales=other [&return_to=...]) and the end. */
int srv_page_end(struct srv_resp *resp, enum srv_lang lang, const char *switch_path,
    const char *return_to) EID_WARN_UNUSED;

/* GET /static/eid.css */
extern const char srv_pages_css[];

#endif /* SRV_PAGES_H */
