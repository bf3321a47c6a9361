/*
 * srv_config.h - the configuration of eidd and eidctl.
 *
 * One file of `key = value` lines ('#' starts a comment line; values may be quoted with
 * "..."; no sections), then every key may be overridden by the environment variable
 * EID_<KEY> (key upper-cased). Unknown keys are errors, so a typo never passes silently.
 * Parsing is pure: text in, struct out, and on failure a message that names the file,
 * line and key. docs/configuration.md lists every key.
 *
 * The struct owns its strings; srv_config_free() releases them.
 */
#ifndef SRV_CONFIG_H
#define SRV_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "eid_err.h"

enum srv_log_level { SRV_LOG_DEBUG, SRV_LOG_INFO, SRV_LOG_WARN, SRV_LOG_ERROR };

/* webauthn_attestation: what a new passkey must prove about its authenticator. */
enum srv_attestation_policy {
	SRV_ATTESTATION_NONE = 0,       /* ask for none; accept none, self and unchecked x5c */
	SRV_ATTESTATION_OPTIONAL,       /* ask for "direct"; accept as with none, chains are
	                                   checked against the roots when they are configured */
	SRV_ATTESTATION_REQUIRED,       /* ask for "direct"; only packed full attestation
	                                   chaining to webauthn_attestation_roots */
};

/* Adding a passkey needs a sign-in at most this many seconds old (passkey_register_max_age). */
#define SRV_PASSKEY_REGISTER_MAX_AGE_DEFAULT 600

struct x509_store_st;   /* OpenSSL's X509_STORE */

struct srv_config {
	/* where the values came from, for messages: the file path or "(defaults)" */
	char *source;

	char *listen_host;          /* listen = host:port */
	unsigned listen_port;
	char *issuer;               /* public base URL, http(s)://host[:port][/path], no trailing '/' */
	char *redis_url;            /* redis://[:password@]host[:port][/db] or unix:/path[?db=N][&password=..] */
	char *data_dir;             /* SQLite database, signing keys, server secret */
	enum srv_log_level log_level;

	/* HTTP */
	unsigned http_threads;          /* worker threads (0 = number of CPUs) */
	unsigned http_timeout;          /* seconds a connection may be idle (slow clients) */
	unsigned http_max_connections;

	/* sessions (Redis) */
	unsigned session_idle_timeout;  /* seconds */
	unsigned session_max_lifetime;  /* seconds, absolute */

	/* passwords (Argon2id) */
	unsigned argon2_opslimit;       /* iterations (t) */
	unsigned login_delay_max;       /* seconds: cap of the growing wait after failures; 0 off */
	unsigned documents_require_crl; /* 1: a DS whose CSCA has no CRL loaded fails */
	unsigned argon2_memlimit_kib;   /* memory (m), KiB */

	/* passkeys (WebAuthn) */
	enum srv_attestation_policy webauthn_attestation;
	char *webauthn_attestation_roots;       /* PEM bundle path; required with REQUIRED */
	struct x509_store_st *webauthn_roots;   /* loaded from it by srv_config_validate (NULL
	                                           when no path is set); freed by srv_config_free */
	unsigned passkey_register_max_age;      /* seconds since sign-in to add a passkey */

	/* parsed redis_url */
	int redis_is_unix;
	char *redis_host;               /* host name, or the socket path when redis_is_unix */
	unsigned redis_port;
	unsigned redis_db;
	char *redis_password;           /* NULL if none; a secret: wiped by srv_config_free */
};

/* Fill cfg with the built-in defaults (issuer and data_dir stay NULL: they are required). */
int srv_config_init(struct srv_config *cfg) EID_WARN_UNUSED;

/*
 * Parse config text (from `source`, a name used in messages) over what cfg holds.
 * On error returns EID_ERR_CONFIG and writes e.g.
 *   "/etc/eid/eidd.conf:3: listen: '0.0.0.0' is not host:port"
 * into err.
 */
int srv_config_parse(struct srv_config *cfg, const char *text, size_t len,
    const char *source, char *err, size_t errlen) EID_WARN_UNUSED;

/* Read and parse a file (size capped by EID_CONFIG_MAX_BYTES). */
int srv_config_load_file(struct srv_config *cfg, const char *path, char *err,
    size_t errlen) EID_WARN_UNUSED;

/*
 * Apply EID_<KEY> overrides from envp (a NULL-terminated "NAME=value" array, normally
 * `environ`). EID_CONFIG is skipped (it names the file). Unknown EID_* names are
 * ignored, since the environment is shared with other tools.
 */
int srv_config_apply_env(struct srv_config *cfg, char *const *envp, char *err,
    size_t errlen) EID_WARN_UNUSED;

/*
 * Check required keys and cross-key rules after file + environment, and load the files
 * keys name (webauthn_attestation_roots: a missing, unreadable or certificate-less file
 * is an error naming the key).
 */
int srv_config_validate(struct srv_config *cfg, char *err, size_t errlen) EID_WARN_UNUSED;

/*
 * The usual sequence for a program: defaults, the file (path, or $EID_CONFIG, or none),
 * the environment, validation. Returns 0 or EID_ERR_CONFIG with err filled.
 */
int srv_config_load(struct srv_config *cfg, const char *path, char *const *envp,
    char *err, size_t errlen) EID_WARN_UNUSED;

void srv_config_free(struct srv_config *cfg);

/* For eidd --check-config: "key = value" lines for the numeric keys, the attestation
 * policy and its roots file, in the order of docs/configuration.md (no secrets among them). */
void srv_config_print_settings(const struct srv_config *cfg, FILE *f);

const char *srv_log_level_name(enum srv_log_level level);

#endif /* SRV_CONFIG_H */
