/* srv_config.c - configuration file and environment (see srv_config.h). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cx_util.h"
#include "eid_limits.h"
#include "srv_config.h"
#include "srv_webauthn.h"

enum key_type { K_STR, K_UINT, K_LISTEN, K_LOGLEVEL, K_ISSUER, K_REDIS, K_PATH, K_ATTESTATION };

struct key_spec {
	const char *name;
	enum key_type type;
	size_t offset;          /* into struct srv_config (K_STR, K_UINT, K_PATH) */
	unsigned min, max;      /* K_UINT bounds */
	int required;
};

#define OFF(f) offsetof(struct srv_config, f)

/* The keys, as data. docs/configuration.md mirrors this table. */
static const struct key_spec key_specs[] = {
	{ "listen", K_LISTEN, 0, 0, 0, 0 },
	{ "issuer", K_ISSUER, 0, 0, 0, 1 },
	{ "redis_url", K_REDIS, 0, 0, 0, 0 },
	{ "data_dir", K_PATH, OFF(data_dir), 0, 0, 1 },
	{ "log_level", K_LOGLEVEL, 0, 0, 0, 0 },
	{ "http_threads", K_UINT, OFF(http_threads), 0, 256, 0 },
	{ "http_timeout", K_UINT, OFF(http_timeout), 1, 3600, 0 },
	{ "http_max_connections", K_UINT, OFF(http_max_connections), 1, 65536, 0 },
	{ "session_idle_timeout", K_UINT, OFF(session_idle_timeout), 60, 86400, 0 },
	{ "session_max_lifetime", K_UINT, OFF(session_max_lifetime), 60, 30 * 86400, 0 },
	{ "argon2_opslimit", K_UINT, OFF(argon2_opslimit), 1, 64, 0 },
	{ "argon2_memlimit_kib", K_UINT, OFF(argon2_memlimit_kib), 8192, 4 * 1024 * 1024, 0 },
	{ "login_delay_max", K_UINT, OFF(login_delay_max), 0, 300, 0 },
	{ "documents_require_crl", K_UINT, OFF(documents_require_crl), 0, 1, 0 },
	{ "webauthn_attestation", K_ATTESTATION, 0, 0, 0, 0 },
	{ "webauthn_attestation_roots", K_PATH, OFF(webauthn_attestation_roots), 0, 0, 0 },
	{ "passkey_register_max_age", K_UINT, OFF(passkey_register_max_age), 1, 86400, 0 },
};
#define N_KEYS (sizeof(key_specs) / sizeof(key_specs[0]))

static const char *log_level_names[] = { "debug", "info", "warn", "error" };
static const char *attestation_names[] = { "none", "optional", "required" };

const char *
srv_log_level_name(enum srv_log_level level)
{
	return (unsigned)level < 4 ? log_level_names[level] : "info";
}

static void seterr(char *err, size_t errlen, const char *fmt, ...) EID_PRINTF(3, 4);

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int
replace_str(char **slot, const char *v, size_t n)
{
	char *p;

	if ((p = strndup(v, n)) == NULL)
		return EID_ERR_NOMEM;
	cx_free_str(*slot);
	*slot = p;
	return 0;
}

int
srv_config_init(struct srv_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->listen_port = 8080;
	cfg->log_level = SRV_LOG_INFO;
	cfg->http_threads = 0;
	cfg->http_timeout = EID_HTTP_TIMEOUT_SECONDS;
	cfg->http_max_connections = EID_HTTP_MAX_CONNECTIONS;
	cfg->session_idle_timeout = 30 * 60;
	cfg->session_max_lifetime = 12 * 3600;
	/*
	 * Argon2id at one of OWASP's equivalent minimums (2024+): m=9 MiB, t=4, p=1 (the
	 * same defence as m=19 MiB, t=2 in OWASP's table). Of that list it keeps a node
	 * under 40 MB while its workers check passwords at once (one per CPU, each holding
	 * m: 37 MB high-water mark with 64 concurrent sign-ins against 55-58 MB), and on the
	 * project's machines a check took 15-20 ms of CPU against 40-45 ms for m=19 MiB, t=2
	 * (tests/bench/bench_argon2).
	 */
	cfg->argon2_opslimit = 4;
	cfg->login_delay_max = 30;
	cfg->argon2_memlimit_kib = 9 * 1024;
	cfg->webauthn_attestation = SRV_ATTESTATION_NONE;
	cfg->passkey_register_max_age = SRV_PASSKEY_REGISTER_MAX_AGE_DEFAULT;
	cfg->redis_port = 6379;
	if (replace_str(&cfg->listen_host, "127.0.0.1", 9) != 0 ||
	    replace_str(&cfg->source, "(defaults)", 10) != 0 ||
	    replace_str(&cfg->redis_url, "redis://127.0.0.1:6379/0", 24) != 0 ||
	    replace_str(&cfg->redis_host, "127.0.0.1", 9) != 0) {
		srv_config_free(cfg);
		return EID_ERR_NOMEM;
	}
	return 0;
}

void
srv_config_free(struct srv_config *cfg)
{
	free(cfg->source);
	free(cfg->listen_host);
	free(cfg->issuer);
	cx_free_str(cfg->redis_url);       /* may embed the password */
	free(cfg->data_dir);
	free(cfg->redis_host);
	cx_free_str(cfg->redis_password);
	free(cfg->webauthn_attestation_roots);
	X509_STORE_free(cfg->webauthn_roots);
	memset(cfg, 0, sizeof(*cfg));
}

/* Strict unsigned decimal: digits only, no sign, no overflow. */
static int
parse_uint(const char *s, size_t n, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0 || n > 10)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

static int
host_chars_ok(const char *h, size_t n)
{
	size_t i;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)h[i]) && strchr(".-:_", h[i]) == NULL)
			return 0;
	return 1;
}

/*
 * The set_* helpers return 0 (set), 1 (invalid: *why says how) or EID_ERR_NOMEM.
 */

/* host:port, [v6]:port; port 1..65535 */
static int
set_listen(struct srv_config *cfg, const char *v, size_t n, const char **why)
{
	const char *colon, *host = v;
	size_t hostlen;
	unsigned long port;

	if (n > 0 && v[0] == '[') {
		const char *rb = memchr(v, ']', n);

		if (rb == NULL || (size_t)(rb - v) + 1 >= n || rb[1] != ':') {
			*why = "is not [ipv6]:port";
			return 1;
		}
		host = v + 1;
		hostlen = (size_t)(rb - v) - 1;
		colon = rb + 1;
	} else {
		colon = memrchr(v, ':', n);
		if (colon == NULL) {
			*why = "is not host:port";
			return 1;
		}
		hostlen = (size_t)(colon - v);
	}
	if (!host_chars_ok(host, hostlen)) {
		*why = "has a bad host part";
		return 1;
	}
	if (parse_uint(colon + 1, n - (size_t)(colon + 1 - v), 65535, &port) != 0 || port == 0) {
		*why = "has a bad port (1-65535)";
		return 1;
	}
	if (replace_str(&cfg->listen_host, host, hostlen) != 0)
		return EID_ERR_NOMEM;
	cfg->listen_port = (unsigned)port;
	return 0;
}

/* http(s)://host[:port][/path]: no query, no fragment, no userinfo, no trailing '/' */
static int
set_issuer(struct srv_config *cfg, const char *v, size_t n, const char **why)
{
	const char *rest;
	size_t i, hostlen;

	if (n >= 8 && strncmp(v, "https://", 8) == 0)
		rest = v + 8;
	else if (n >= 7 && strncmp(v, "http://", 7) == 0)
		rest = v + 7;
	else {
		*why = "must start with https:// (or http:// for a loopback test set-up)";
		return 1;
	}
	for (i = 0; i < n; i++)
		if (v[i] == '?' || v[i] == '#' || v[i] == '@' || isspace((unsigned char)v[i]) ||
		    (unsigned char)v[i] < 0x21 || (unsigned char)v[i] > 0x7e) {
			*why = "must not contain a query, fragment, user name or spaces (OpenID Connect Discovery 1.0, section 2)";
			return 1;
		}
	{
		/* v is a slice of the file, not NUL-terminated: stay within n */
		size_t restlen = n - (size_t)(rest - v);
		const char *slash = memchr(rest, '/', restlen);

		hostlen = slash != NULL ? (size_t)(slash - rest) : restlen;
	}
	if (hostlen == 0) {
		*why = "has no host";
		return 1;
	}
	if (v[n - 1] == '/') {
		*why = "must not end with '/'";
		return 1;
	}
	return replace_str(&cfg->issuer, v, n) != 0 ? EID_ERR_NOMEM : 0;
}

static int
url_unescape_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

/*
 * redis://[[user]:password@]host[:port][/db]  or  unix:/path[?db=N][&password=P]
 */
static int
set_redis(struct srv_config *cfg, const char *v, size_t n, const char **why)
{
	char *host = NULL, *pass = NULL;
	unsigned long port = 6379, db = 0;
	int is_unix = 0, r = 1;

	if (!url_unescape_ok(v, n)) {
		*why = "contains spaces or control characters";
		return 1;
	}
	if (n > 5 && strncmp(v, "unix:", 5) == 0) {
		const char *path = v + 5, *q = memchr(v, '?', n);
		size_t plen = q != NULL ? (size_t)(q - path) : n - 5;

		if (plen == 0 || path[0] != '/') {
			*why = "unix: needs an absolute socket path (unix:/run/redis/redis.sock)";
			goto out;
		}
		is_unix = 1;
		if ((host = strndup(path, plen)) == NULL)
			goto nomem;
		while (q != NULL && (size_t)(q - v) < n) {
			const char *k = q + 1, *amp = memchr(k, '&', n - (size_t)(k - v));
			size_t klen = amp != NULL ? (size_t)(amp - k) : n - (size_t)(k - v);

			if (klen > 3 && strncmp(k, "db=", 3) == 0) {
				if (parse_uint(k + 3, klen - 3, 15, &db) != 0) {
					*why = "has a bad db number (0-15)";
					goto out;
				}
			} else if (klen > 9 && strncmp(k, "password=", 9) == 0) {
				cx_free_str(pass);
				if ((pass = strndup(k + 9, klen - 9)) == NULL)
					goto nomem;
			} else {
				*why = "has an unknown parameter (use db= and password=)";
				goto out;
			}
			q = amp;
		}
	} else if (n > 8 && strncmp(v, "redis://", 8) == 0) {
		const char *p = v + 8, *end = v + n, *at, *slash, *colon;

		slash = memchr(p, '/', (size_t)(end - p));
		if (slash == NULL)
			slash = end;
		at = memrchr(p, '@', (size_t)(slash - p));
		if (at != NULL) {
			const char *pc = memchr(p, ':', (size_t)(at - p));

			if (pc == NULL || at - pc < 2) {
				*why = "has user info without a password (redis://:password@host:port/db)";
				goto out;
			}
			if ((pass = strndup(pc + 1, (size_t)(at - pc - 1))) == NULL)
				goto nomem;
			p = at + 1;
		}
		{
			const char *hs = p, *hend, *pstart = NULL;

			if (p < slash && *p == '[') {
				const char *rb = memchr(p, ']', (size_t)(slash - p));

				if (rb == NULL || (rb + 1 < slash && rb[1] != ':')) {
					*why = "has a bad [ipv6] host";
					goto out;
				}
				hs = p + 1;
				hend = rb;
				if (rb + 1 < slash)
					pstart = rb + 2;
			} else {
				colon = memchr(p, ':', (size_t)(slash - p));
				hend = colon != NULL ? colon : slash;
				if (colon != NULL)
					pstart = colon + 1;
			}
			if (pstart != NULL &&
			    (parse_uint(pstart, (size_t)(slash - pstart), 65535, &port) != 0 || port == 0)) {
				*why = "has a bad port (1-65535)";
				goto out;
			}
			if (!host_chars_ok(hs, (size_t)(hend - hs))) {
				*why = "has a bad or empty host";
				goto out;
			}
			if ((host = strndup(hs, (size_t)(hend - hs))) == NULL)
				goto nomem;
		}
		if (slash < end && slash + 1 < end &&
		    parse_uint(slash + 1, (size_t)(end - slash - 1), 15, &db) != 0) {
			*why = "has a bad db number (0-15)";
			goto out;
		}
	} else {
		*why = "must be redis://[:password@]host[:port][/db] or unix:/path[?db=N]";
		goto out;
	}
	if (replace_str(&cfg->redis_url, v, n) != 0)
		goto nomem;
	free(cfg->redis_host);
	cfg->redis_host = host;
	host = NULL;
	cx_free_str(cfg->redis_password);
	cfg->redis_password = pass;
	pass = NULL;
	cfg->redis_port = is_unix ? 0 : (unsigned)port;
	cfg->redis_db = (unsigned)db;
	cfg->redis_is_unix = is_unix;
	r = 0;
	goto out;
nomem:
	r = EID_ERR_NOMEM;
out:
	free(host);
	cx_free_str(pass);
	return r;
}

static const struct key_spec *
find_key(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < N_KEYS; i++)
		if (strlen(key_specs[i].name) == n && strncmp(key_specs[i].name, name, n) == 0)
			return &key_specs[i];
	return NULL;
}

/*
 * Set one key. `where` is "file:line" or "environment EID_X" for messages.
 * Returns 0, EID_ERR_CONFIG (err filled) or EID_ERR_NOMEM.
 */
static int
set_key(struct srv_config *cfg, const struct key_spec *ks, const char *v, size_t n,
    const char *where, char *err, size_t errlen)
{
	const char *why = "is not valid";
	unsigned long u;
	size_t i;
	int r = 1;	/* 1: invalid value (why says how) */

	if (n == 0) {
		seterr(err, errlen, "%s: %s: empty value", where, ks->name);
		return EID_ERR_CONFIG;
	}
	switch (ks->type) {
	case K_LISTEN:
		r = set_listen(cfg, v, n, &why);
		break;
	case K_ISSUER:
		r = set_issuer(cfg, v, n, &why);
		break;
	case K_REDIS:
		r = set_redis(cfg, v, n, &why);
		if (r != 0) {
			/* never echo a Redis URL back: it may carry a password */
			if (r != EID_ERR_NOMEM)
				seterr(err, errlen, "%s: %s %s", where, ks->name, why);
			return r == EID_ERR_NOMEM ? r : EID_ERR_CONFIG;
		}
		break;
	case K_LOGLEVEL:
		for (i = 0; i < 4; i++)
			if (strlen(log_level_names[i]) == n && strncmp(log_level_names[i], v, n) == 0) {
				cfg->log_level = (enum srv_log_level)i;
				r = 0;
			}
		why = "must be one of debug, info, warn, error";
		break;
	case K_ATTESTATION:
		for (i = 0; i < 3; i++)
			if (strlen(attestation_names[i]) == n && strncmp(attestation_names[i], v, n) == 0) {
				cfg->webauthn_attestation = (enum srv_attestation_policy)i;
				r = 0;
			}
		why = "must be one of none, optional, required";
		break;
	case K_UINT:
		if (parse_uint(v, n, UINT_MAX, &u) != 0) {
			why = "is not a whole number";
			break;
		}
		if (u < ks->min || u > ks->max) {
			seterr(err, errlen, "%s: %s: %lu is out of range (%u-%u)", where, ks->name,
			    u, ks->min, ks->max);
			return EID_ERR_CONFIG;
		}
		*(unsigned *)((char *)cfg + ks->offset) = (unsigned)u;
		r = 0;
		break;
	case K_PATH:
		if (v[0] != '/' && !(n >= 2 && v[0] == '.' && v[1] == '/')) {
			why = "must be an absolute path (or start with ./)";
			break;
		}
		for (i = 0; i < n; i++)
			if ((unsigned char)v[i] < 0x20) {
				why = "contains control characters";
				goto bad;
			}
		r = replace_str((char **)((char *)cfg + ks->offset), v, n);
		break;
	case K_STR:
		r = replace_str((char **)((char *)cfg + ks->offset), v, n);
		break;
	}
bad:
	if (r == EID_ERR_NOMEM)
		return r;
	if (r != 0) {
		seterr(err, errlen, "%s: %s: '%.*s' %s", where, ks->name,
		    (int)(n > 200 ? 200 : n), v, why);
		return EID_ERR_CONFIG;
	}
	return 0;
}

int
srv_config_parse(struct srv_config *cfg, const char *text, size_t len, const char *source,
    char *err, size_t errlen)
{
	const char *p = text, *end = text + len;
	unsigned seen[N_KEYS];
	char where[512];
	unsigned lineno = 0;
	int r;

	memset(seen, 0, sizeof(seen));
	if (len > EID_CONFIG_MAX_BYTES) {
		seterr(err, errlen, "%s: larger than %d bytes", source, EID_CONFIG_MAX_BYTES);
		return EID_ERR_CONFIG;
	}
	if (memchr(text, '\0', len) != NULL) {
		seterr(err, errlen, "%s: contains a NUL byte (not a text file?)", source);
		return EID_ERR_CONFIG;
	}
	if ((r = replace_str(&cfg->source, source, strlen(source))) != 0)
		return r;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl != NULL ? nl : end;
		const char *k, *ke, *v, *ve, *eq;
		const struct key_spec *ks;

		lineno++;
		snprintf(where, sizeof(where), "%s:%u", source, lineno);
		if (le - p > EID_CONFIG_MAX_LINE) {
			seterr(err, errlen, "%s: line longer than %d bytes", where, EID_CONFIG_MAX_LINE);
			return EID_ERR_CONFIG;
		}
		k = p;
		p = nl != NULL ? nl + 1 : end;
		while (k < le && isspace((unsigned char)*k))
			k++;
		ve = le;
		while (ve > k && isspace((unsigned char)ve[-1]))
			ve--;
		if (k == ve || *k == '#')
			continue;
		if ((eq = memchr(k, '=', (size_t)(ve - k))) == NULL) {
			seterr(err, errlen, "%s: expected 'key = value', got '%.*s'", where,
			    (int)(ve - k > 80 ? 80 : ve - k), k);
			return EID_ERR_CONFIG;
		}
		ke = eq;
		while (ke > k && isspace((unsigned char)ke[-1]))
			ke--;
		v = eq + 1;
		while (v < ve && isspace((unsigned char)*v))
			v++;
		if (ve - v >= 2 && *v == '"' && ve[-1] == '"') {
			v++;
			ve--;
		}
		if ((ks = find_key(k, (size_t)(ke - k))) == NULL) {
			seterr(err, errlen, "%s: unknown key '%.*s' (see docs/configuration.md)",
			    where, (int)(ke - k > 80 ? 80 : ke - k), k);
			return EID_ERR_CONFIG;
		}
		if (seen[ks - key_specs]++) {
			seterr(err, errlen, "%s: %s is set twice", where, ks->name);
			return EID_ERR_CONFIG;
		}
		if ((r = set_key(cfg, ks, v, (size_t)(ve - v), where, err, errlen)) != 0)
			return r;
	}
	return 0;
}

int
srv_config_load_file(struct srv_config *cfg, const char *path, char *err, size_t errlen)
{
	FILE *f = NULL;
	char *buf = NULL;
	size_t n;
	int r = EID_ERR_CONFIG;

	if ((f = fopen(path, "r")) == NULL) {
		seterr(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	if ((buf = malloc(EID_CONFIG_MAX_BYTES + 1)) == NULL) {
		r = EID_ERR_NOMEM;
		goto out;
	}
	n = fread(buf, 1, EID_CONFIG_MAX_BYTES + 1, f);
	if (ferror(f)) {
		seterr(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		goto out;
	}
	r = srv_config_parse(cfg, buf, n, path, err, errlen);
out:
	if (f != NULL)
		fclose(f);
	if (buf != NULL) {
		cx_wipe(buf, EID_CONFIG_MAX_BYTES + 1);     /* may hold a Redis password */
		free(buf);
	}
	return r;
}

int
srv_config_apply_env(struct srv_config *cfg, char *const *envp, char *err, size_t errlen)
{
	char where[128], lower[64];
	size_t i, j;
	int r;

	for (i = 0; envp != NULL && envp[i] != NULL; i++) {
		const char *e = envp[i], *eq;
		const struct key_spec *ks;
		size_t klen;

		if (strncmp(e, "EID_", 4) != 0 || (eq = strchr(e, '=')) == NULL)
			continue;
		klen = (size_t)(eq - e) - 4;
		if (klen == 0 || klen >= sizeof(lower))
			continue;
		for (j = 0; j < klen; j++)
			lower[j] = (char)tolower((unsigned char)e[4 + j]);
		lower[klen] = '\0';
		if ((ks = find_key(lower, klen)) == NULL)
			continue;
		snprintf(where, sizeof(where), "environment EID_%.*s", (int)klen, e + 4);
		if ((r = set_key(cfg, ks, eq + 1, strlen(eq + 1), where, err, errlen)) != 0)
			return r;
	}
	return 0;
}

#define ROOTS_MAX_BYTES (1024 * 1024)  /* a PEM bundle of attestation roots */

/* webauthn_attestation_roots: required with `required`, loaded whenever it is set. */
static int
load_attestation_roots(struct srv_config *cfg, char *err, size_t errlen)
{
	const char *path = cfg->webauthn_attestation_roots;
	struct stat sb;
	FILE *f;
	int r, ok;

	X509_STORE_free(cfg->webauthn_roots);
	cfg->webauthn_roots = NULL;
	if (path == NULL) {
		if (cfg->webauthn_attestation != SRV_ATTESTATION_REQUIRED)
			return 0;
		seterr(err, errlen, "%s: webauthn_attestation = required needs "
		    "webauthn_attestation_roots (a PEM file of the accepted attestation roots)",
		    cfg->source);
		return EID_ERR_CONFIG;
	}
	if ((f = fopen(path, "r")) == NULL) {
		seterr(err, errlen, "%s: webauthn_attestation_roots: cannot open '%s': %s",
		    cfg->source, path, strerror(errno));
		return EID_ERR_CONFIG;
	}
	/* a regular file of bounded size: never a FIFO or a device that reads forever */
	ok = fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size <= ROOTS_MAX_BYTES;
	fclose(f);
	if (!ok) {
		seterr(err, errlen, "%s: webauthn_attestation_roots: '%s' is not a regular file of "
		    "at most %d bytes", cfg->source, path, ROOTS_MAX_BYTES);
		return EID_ERR_CONFIG;
	}
	if ((r = srv_webauthn_roots_load(path, &cfg->webauthn_roots)) == EID_ERR_NOMEM)
		return r;
	if (r != 0) {
		seterr(err, errlen, "%s: webauthn_attestation_roots: '%s' holds no readable PEM "
		    "certificate", cfg->source, path);
		return EID_ERR_CONFIG;
	}
	return 0;
}

int
srv_config_validate(struct srv_config *cfg, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < N_KEYS; i++) {
		const struct key_spec *ks = &key_specs[i];
		char *upper = NULL;
		size_t j;

		if (!ks->required)
			continue;
		if ((ks->type == K_ISSUER && cfg->issuer != NULL) ||
		    (ks->type == K_PATH && *(char **)((char *)cfg + ks->offset) != NULL))
			continue;
		if ((upper = strdup(ks->name)) == NULL)
			return EID_ERR_NOMEM;
		for (j = 0; upper[j] != '\0'; j++)
			upper[j] = (char)toupper((unsigned char)upper[j]);
		seterr(err, errlen, "%s: missing required key '%s' (set it in the file or as EID_%s)",
		    cfg->source, ks->name, upper);
		free(upper);
		return EID_ERR_CONFIG;
	}
	if (cfg->session_idle_timeout > cfg->session_max_lifetime) {
		seterr(err, errlen, "%s: session_idle_timeout (%u) is longer than session_max_lifetime (%u)",
		    cfg->source, cfg->session_idle_timeout, cfg->session_max_lifetime);
		return EID_ERR_CONFIG;
	}
	return load_attestation_roots(cfg, err, errlen);
}

int
srv_config_load(struct srv_config *cfg, const char *path, char *const *envp, char *err,
    size_t errlen)
{
	int r;

	if ((r = srv_config_init(cfg)) != 0) {
		seterr(err, errlen, "out of memory");
		return r;
	}
	if (path == NULL && envp != NULL) {
		size_t i;

		for (i = 0; envp[i] != NULL; i++)
			if (strncmp(envp[i], "EID_CONFIG=", 11) == 0 && envp[i][11] != '\0')
				path = envp[i] + 11;
	}
	if ((path != NULL && (r = srv_config_load_file(cfg, path, err, errlen)) != 0) ||
	    (r = srv_config_apply_env(cfg, envp, err, errlen)) != 0 ||
	    (r = srv_config_validate(cfg, err, errlen)) != 0) {
		srv_config_free(cfg);
		return r;
	}
	return 0;
}

void
srv_config_print_settings(const struct srv_config *cfg, FILE *f)
{
	static const char *const policies[] = { "none", "optional", "required" };
	size_t i;

	for (i = 0; i < N_KEYS; i++) {
		const struct key_spec *k = &key_specs[i];

		if (k->type == K_UINT)
			fprintf(f, "%s = %u\n", k->name,
			    *(const unsigned *)(const void *)((const char *)cfg + k->offset));
		else if (k->type == K_ATTESTATION)
			fprintf(f, "%s = %s\n", k->name, (unsigned)cfg->webauthn_attestation < 3 ?
			    policies[cfg->webauthn_attestation] : "?");
		else if (k->type == K_PATH && strcmp(k->name, "data_dir") != 0) {
			const char *v = *(char *const *)(const void *)((const char *)cfg + k->offset);

			fprintf(f, "%s = %s\n", k->name, v != NULL ? v : "-");
		}
	}
}
