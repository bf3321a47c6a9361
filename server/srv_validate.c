/* srv_validate.c - input checks (see srv_validate.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "eid_limits.h"
#include "srv_validate.h"

const char *const srv_known_scopes[] = {
	"openid", "profile", "citizen_id", "address", "phone", "email", "offline_access",
	"document_verify", NULL,
};

int
srv_valid_date(const char *d, long long now_unix, const char **why)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, day, i, leap;
	struct tm tm;
	time_t t;

	*why = "must be a date written YYYY-MM-DD";
	if (d == NULL || strlen(d) != 10 || d[4] != '-' || d[7] != '-')
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)d[i]))
			return 0;
	y = atoi(d);
	m = atoi(d + 5);
	day = atoi(d + 8);
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (m < 1 || m > 12 || day < 1 || day > mdays[m - 1] || (m == 2 && day == 29 && !leap)) {
		*why = "is not a real calendar date";
		return 0;
	}
	if (y < 1880) {
		*why = "is before 1880";
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = day;
	t = timegm(&tm);
	if ((long long)t > now_unix) {
		*why = "is in the future";
		return 0;
	}
	return 1;
}

int
srv_valid_citizen_id(const char *id, const char *birth_date, const char **sex, const char **why)
{
	static const int century_of[10] = { 1900, 1900, 2000, 2000, 2100, 2100, 2200, 2200, 1800, 1800 };
	int i, province, g;

	*sex = NULL;
	if (id == NULL || strlen(id) != EID_CITIZEN_ID_DIGITS) {
		*why = "must be exactly 12 digits (the number on the chip-based citizen ID card)";
		return 0;
	}
	for (i = 0; i < EID_CITIZEN_ID_DIGITS; i++)
		if (!isdigit((unsigned char)id[i])) {
			*why = "must contain digits only";
			return 0;
		}
	province = (id[0] - '0') * 100 + (id[1] - '0') * 10 + (id[2] - '0');
	if (province < 1 || province > 96) {
		*why = "starts with an unknown province code (the first 3 digits must be 001-096)";
		return 0;
	}
	g = id[3] - '0';
	*sex = g % 2 == 0 ? "male" : "female";
	if (birth_date != NULL && strlen(birth_date) >= 4) {
		int year = atoi(birth_date);

		if (century_of[g] != year / 100 * 100) {
			*why = "has a 4th digit (century and sex) that does not match the birth date";
			return 0;
		}
		if ((id[4] - '0') * 10 + (id[5] - '0') != year % 100) {
			*why = "has 5th-6th digits that do not match the birth year";
			return 0;
		}
	}
	return 1;
}

static int
is_loopback_host(const char *h, size_t n)
{
	return (n == 9 && strncmp(h, "localhost", 9) == 0) ||
	    (n == 9 && strncmp(h, "127.0.0.1", 9) == 0) || (n == 5 && strncmp(h, "[::1]", 5) == 0);
}

static int
printable_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/* scheme "://" host[:port] path...; returns host span. */
static int
split_http(const char *uri, const char **host, size_t *hostlen, int *https)
{
	const char *p;

	if (strncmp(uri, "https://", 8) == 0) {
		*https = 1;
		p = uri + 8;
	} else if (strncmp(uri, "http://", 7) == 0) {
		*https = 0;
		p = uri + 7;
	} else
		return 0;
	*host = p;
	if (*p == '[') {
		const char *rb = strchr(p, ']');

		if (rb == NULL)
			return 0;
		*hostlen = (size_t)(rb - p) + 1;
	} else
		*hostlen = strcspn(p, ":/?#");
	return *hostlen > 0 && strchr(p, '@') == NULL;
}

int
srv_valid_https_url(const char *uri, const char **why)
{
	const char *host;
	size_t hostlen;
	int https;

	if (uri == NULL || strlen(uri) > EID_REDIRECT_URI_MAX || !printable_ascii(uri)) {
		*why = "must be a URL of at most 2048 printable characters";
		return 0;
	}
	if (strchr(uri, '#') != NULL) {
		*why = "must not contain a fragment (#)";
		return 0;
	}
	if (!split_http(uri, &host, &hostlen, &https)) {
		*why = "must be an absolute https:// URL with a host and no user name";
		return 0;
	}
	if (!https && !is_loopback_host(host, hostlen)) {
		*why = "must use https (http is allowed only for localhost, 127.0.0.1 and [::1])";
		return 0;
	}
	return 1;
}

int
srv_valid_redirect_uri(const char *uri, const char **why)
{
	const char *colon;
	size_t i;

	if (uri == NULL || *uri == '\0') {
		*why = "must not be empty";
		return 0;
	}
	if (strchr(uri, '*') != NULL) {
		*why = "must not contain wildcards: redirect URIs are compared exactly";
		return 0;
	}
	if (strncmp(uri, "http://", 7) == 0 || strncmp(uri, "https://", 8) == 0)
		return srv_valid_https_url(uri, why);
	/* RFC 8252 section 7.1: private-use scheme, reverse domain name */
	colon = strchr(uri, ':');
	if (colon == NULL || colon == uri || strlen(uri) > EID_REDIRECT_URI_MAX || !printable_ascii(uri) ||
	    strchr(uri, '#') != NULL) {
		*why = "must be an absolute https:// URL (or a native app's reverse-domain scheme like vn.gov.app:/cb)";
		return 0;
	}
	for (i = 0; uri + i < colon; i++)
		if (!isalnum((unsigned char)uri[i]) && uri[i] != '.' && uri[i] != '-' && uri[i] != '+') {
			*why = "has an invalid scheme";
			return 0;
		}
	if (memchr(uri, '.', (size_t)(colon - uri)) == NULL) {
		*why = "uses a scheme that is not in reverse-domain form (RFC 8252 section 7.1), e.g. vn.gov.app:/cb";
		return 0;
	}
	return 1;
}

int
srv_valid_grant(const char *g, const char **why)
{
	if (g != NULL && (strcmp(g, "authorization_code") == 0 || strcmp(g, "refresh_token") == 0 ||
	    strcmp(g, "client_credentials") == 0))
		return 1;
	*why = "must be authorization_code, refresh_token or client_credentials";
	return 0;
}

int
srv_valid_auth_method(const char *m, const char **why)
{
	if (m != NULL && (strcmp(m, "client_secret_basic") == 0 || strcmp(m, "client_secret_post") == 0 ||
	    strcmp(m, "private_key_jwt") == 0 || strcmp(m, "none") == 0))
		return 1;
	*why = "must be client_secret_basic, client_secret_post, private_key_jwt or none";
	return 0;
}

int
srv_valid_scope(const char *scope, const char **why)
{
	const char *p = scope;

	if (scope == NULL || *scope == '\0' || strlen(scope) > 1024) {
		*why = "must list at least one scope (e.g. \"openid profile\")";
		return 0;
	}
	while (*p != '\0') {
		size_t n = strcspn(p, " "), i;
		int known = 0;

		for (i = 0; srv_known_scopes[i] != NULL; i++)
			if (strlen(srv_known_scopes[i]) == n && strncmp(srv_known_scopes[i], p, n) == 0)
				known = 1;
		if (!known) {
			*why = "has an unknown scope; known: openid profile citizen_id address phone email offline_access document_verify";
			return 0;
		}
		p += n;
		while (*p == ' ')
			p++;
	}
	return 1;
}

int
srv_valid_password(const char *pw, const char **why)
{
	size_t n = pw != NULL ? strlen(pw) : 0;

	if (n < 8 || n > 128) {
		*why = "must be 8 to 128 characters long";
		return 0;
	}
	return 1;
}

int
srv_valid_display_name(const char *name, const char **why)
{
	size_t n = name != NULL ? strlen(name) : 0, i;

	if (n == 0 || n > 200) {
		*why = "must be 1 to 200 bytes long";
		return 0;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f) {
			*why = "must not contain control characters";
			return 0;
		}
	return 1;
}

/* ---- contact claims ---- */

int
srv_valid_phone(const char *phone, const char **why)
{
	size_t n, i;

	*why = "must be in E.164 form: + then the country code and number, digits only, "
	    "7 to 15 digits (e.g. +84912345678)";
	if (phone == NULL || phone[0] != '+')
		return 0;
	n = strlen(phone + 1);
	if (n < 7 || n > SRV_PHONE_MAX - 1 || phone[1] == '0')
		return 0;
	for (i = 1; i <= n; i++)
		if (phone[i] < '0' || phone[i] > '9')
			return 0;
	return 1;
}

/* RFC 5322 atext (without the dot, which dot-atom handles). */
static int
is_atext(unsigned char c)
{
	return isalnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* A DNS host name of at least two labels; the last one not all digits. */
static int
valid_domain(const char *d, size_t n, const char **why)
{
	size_t i, label = 0, labels = 0;
	int all_digits = 1;

	*why = "has a domain that is not a host name (letters, digits, hyphens and dots, e.g. example.vn)";
	if (n == 0 || n > 253 || d[0] == '.' || d[n - 1] == '.')
		return 0;
	for (i = 0; i <= n; i++) {
		unsigned char c = i < n ? (unsigned char)d[i] : '.';

		if (c == '.') {
			if (label == 0 || label > 63 || d[i - 1] == '-' || d[i - label] == '-')
				return 0;
			labels++;
			if (i < n) {
				label = 0;
				all_digits = 1;
			}
			continue;
		}
		if (!isalnum(c) && c != '-')
			return 0;
		if (!isdigit(c))
			all_digits = 0;
		label++;
	}
	if (labels < 2) {
		*why = "needs a domain with a dot (e.g. name@example.vn)";
		return 0;
	}
	return !all_digits;
}

int
srv_valid_email(const char *email, char out[SRV_EMAIL_MAX + 1], const char **why)
{
	const char *at;
	size_t n, local, i;

	out[0] = '\0';
	n = email != NULL ? strlen(email) : 0;
	if (n == 0 || n > SRV_EMAIL_MAX) {
		*why = "must be an email address of at most 254 characters";
		return 0;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)email[i] >= 0x80) {
			*why = "must be ASCII (write an internationalised domain in its xn-- form)";
			return 0;
		}
	if ((at = strchr(email, '@')) == NULL || strchr(at + 1, '@') != NULL) {
		*why = "must contain exactly one @ (e.g. name@example.vn)";
		return 0;
	}
	local = (size_t)(at - email);
	if (local == 0 || local > SRV_EMAIL_LOCAL_MAX) {
		*why = "must have 1 to 64 characters before the @";
		return 0;
	}
	for (i = 0; i < local; i++) {
		unsigned char c = (unsigned char)email[i];

		if (c == '.' ? (i == 0 || i + 1 == local || email[i - 1] == '.') : !is_atext(c)) {
			*why = "has a part before the @ with a character not allowed there (spaces, quotes, "
			    "commas, brackets, or a dot at either end or twice in a row)";
			return 0;
		}
	}
	if (!valid_domain(at + 1, n - local - 1, why))
		return 0;
	memcpy(out, email, n + 1);
	for (i = local + 1; i < n; i++)
		out[i] = (char)tolower((unsigned char)out[i]);
	return 1;
}

const char *const srv_address_members[] = {
	"formatted", "street_address", "locality", "region", "postal_code", "country", NULL,
};

/* Length of the UTF-8 sequence at s (RFC 3629: shortest form, no surrogates), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned long cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static int
address_member_known(const char *name, const char **why)
{
	size_t i;

	for (i = 0; name != NULL && srv_address_members[i] != NULL; i++)
		if (strcmp(name, srv_address_members[i]) == 0)
			return 1;
	*why = "is not an address member (formatted, street_address, locality, region, "
	    "postal_code, country)";
	return 0;
}

int
srv_valid_address_member(const char *name, const char *value, const char **why)
{
	const unsigned char *v = (const unsigned char *)value;
	size_t n = value != NULL ? strlen(value) : 0, i, k;
	int multiline, blank = 1;

	if (!address_member_known(name, why))
		return 0;
	if (n == 0 || n > SRV_ADDRESS_MEMBER_MAX) {
		*why = "must be 1 to 512 bytes long";
		return 0;
	}
	multiline = strcmp(name, "formatted") == 0 || strcmp(name, "street_address") == 0;
	for (i = 0; i < n; i += k) {
		if (v[i] == '\n' || (v[i] == '\r' && v[i + 1] == '\n')) {
			if (!multiline) {
				*why = "must be a single line (only formatted and street_address may have line breaks)";
				return 0;
			}
			k = v[i] == '\r' ? 2 : 1;
			continue;
		}
		if (v[i] < 0x20 || v[i] == 0x7f) {
			*why = "must not contain control characters";
			return 0;
		}
		if ((k = utf8_len(v + i, n - i)) == 0) {
			*why = "must be valid UTF-8 text";
			return 0;
		}
		if (v[i] != ' ')
			blank = 0;
	}
	if (blank) {
		*why = "must not be blank";
		return 0;
	}
	return 1;
}

/* Check every member of an address object and write its stored form. */
static int
address_finish(json_t *o, char **out, const char **why)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		if (!address_member_known(k, why))
			return 0;
		if (!json_is_string(v)) {
			*why = "has a member that is not a string";
			return 0;
		}
		if (!srv_valid_address_member(k, json_string_value(v), why))
			return 0;
	}
	if (json_object_size(o) == 0)
		return 1;
	if ((*out = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		*why = "could not be stored (out of memory)";
		return 0;
	}
	return 1;
}

static json_t *
address_parse(const char *text, const char **why)
{
	json_t *o;

	if (text == NULL || strlen(text) > SRV_ADDRESS_TEXT_MAX) {
		*why = "must be a JSON object of at most 4096 bytes";
		return NULL;
	}
	o = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		*why = "must be a JSON object such as {\"street_address\": \"...\", \"locality\": \"...\", "
		    "\"country\": \"...\"} (duplicate members are refused)";
		return NULL;
	}
	return o;
}

int
srv_address_normalize(const char *json_text, char **out, const char **why)
{
	json_t *o;
	int ok;

	*out = NULL;
	if ((o = address_parse(json_text, why)) == NULL)
		return 0;
	ok = address_finish(o, out, why);
	json_decref(o);
	return ok;
}

int
srv_address_set_member(const char *address, const char *name, const char *value,
    char **out, const char **why)
{
	json_t *o;
	int ok = 0;

	*out = NULL;
	if (!address_member_known(name, why))
		return 0;
	if (value == NULL) {
		*why = "needs a value";
		return 0;
	}
	if ((o = address != NULL ? address_parse(address, why) : json_object()) == NULL) {
		if (address == NULL)
			*why = "could not be stored (out of memory)";
		return 0;
	}
	if (*value == '\0') {
		(void)json_object_del(o, name);
	} else if (!srv_valid_address_member(name, value, why)) {
		goto out;
	} else if (json_object_set_new(o, name, json_string(value)) != 0) {
		*why = "could not be stored (out of memory)";
		goto out;
	}
	ok = address_finish(o, out, why);
out:
	json_decref(o);
	return ok;
}
