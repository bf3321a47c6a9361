/* srv_validate.c - input checks (see srv_validate.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
