/*
 * srv_store.h - durable records: relying-party clients, citizens (accounts), their
 * credentials, signing-key metadata, the append-only audit log, and small settings.
 *
 * The store is an interface: struct srv_store_ops is a table of functions, and the
 * SQLite implementation (srv_store_sqlite.c) is the one in use; a PostgreSQL one for
 * multi-node set-ups will be a second table. Callers use the srv_store_* wrappers only.
 *
 * Ownership: every record a get/list returns is the caller's, freed with the matching
 * _free. Records passed in are borrowed. Secrets (password hashes, TOTP secrets) are
 * wiped when their record is freed.
 */
#ifndef SRV_STORE_H
#define SRV_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "eid_err.h"

struct srv_client {
	char *client_id;
	char *name;
	json_t *metadata;           /* RFC 7591 client metadata (redirect_uris, grant_types, ...) */
	uint8_t secret_hash[32];    /* keyed BLAKE2b of the secret (see srv_clients.c) */
	int has_secret;
	int disabled;
	int64_t created_at;
};

struct srv_citizen {
	int64_t id;
	char *account_id;           /* stable random id: `sub` for public subject type */
	char *citizen_id;           /* the 12-digit number on the card */
	char *name;
	char *birth_date;           /* YYYY-MM-DD */
	char *sex;                  /* "male", "female" (derived from the ID's century digit) */
	char *password_hash;        /* Argon2id encoded string */
	uint8_t *totp_secret_enc;   /* secretbox(nonce || ct) of the TOTP secret */
	size_t totp_secret_enc_len;
	int disabled;
	int level;                  /* 1, or 2 once the identity is proven with the chip card */
	int64_t created_at;
};

struct srv_signing_key_row {
	char *kid;
	char *alg;
	char *state;                /* "active" (signs), "published" (in JWKS only), "retired" */
	char *file;                 /* PEM file name under data_dir/keys/ */
	int64_t created_at;
};

struct srv_audit_event {
	int64_t id;
	int64_t at;                 /* unix seconds */
	char *actor;                /* "eidctl", "eidd", a client id, an account id */
	char *action;               /* "client.add", "citizen.add", "keys.rotate", ... */
	char *subject;              /* what it acted on: client id, account id, kid */
	char *outcome;              /* "success" / "failure" */
	char *details;              /* JSON object text, never secrets or personal data */
};

struct srv_store;

struct srv_store_ops {
	const char *name;
	int (*ping)(struct srv_store *s);
	int (*schema_version)(struct srv_store *s, int *version);
	void (*close)(struct srv_store *s);
	/* settings: small key/value strings (e.g. change counters) */
	int (*setting_get)(struct srv_store *s, const char *key, char **value);
	int (*setting_bump)(struct srv_store *s, const char *key, int64_t *new_value);
	/* clients */
	int (*client_add)(struct srv_store *s, const struct srv_client *c);
	int (*client_update)(struct srv_store *s, const struct srv_client *c);
	int (*client_get)(struct srv_store *s, const char *client_id, struct srv_client **out);
	int (*client_list)(struct srv_store *s, struct srv_client ***out, size_t *n);
	int (*client_remove)(struct srv_store *s, const char *client_id);
	/* citizens */
	int (*citizen_add)(struct srv_store *s, const struct srv_citizen *c, int64_t *id);
	int (*citizen_get)(struct srv_store *s, const char *citizen_id_or_account, struct srv_citizen **out);
	int (*citizen_list)(struct srv_store *s, struct srv_citizen ***out, size_t *n);
	int (*citizen_set_disabled)(struct srv_store *s, const char *citizen_id, int disabled);
	int (*citizen_set_password)(struct srv_store *s, int64_t id, const char *password_hash);
	/* signing keys */
	int (*key_add)(struct srv_store *s, const struct srv_signing_key_row *k);
	int (*key_list)(struct srv_store *s, struct srv_signing_key_row ***out, size_t *n);
	int (*key_set_state)(struct srv_store *s, const char *kid, const char *state);
	/* consents: the scope a citizen (by account id) granted a client; remembered */
	int (*consent_get)(struct srv_store *s, const char *account_id, const char *client_id,
	    char **scope);
	int (*consent_set)(struct srv_store *s, const char *account_id, const char *client_id,
	    const char *scope, int64_t now);
	int (*consent_remove)(struct srv_store *s, const char *account_id, const char *client_id);
	/* audit */
	int (*audit_append)(struct srv_store *s, const struct srv_audit_event *e);
	int (*audit_list)(struct srv_store *s, int64_t after_id, size_t max,
	    struct srv_audit_event ***out, size_t *n);
};

struct srv_store {
	const struct srv_store_ops *ops;
	void *impl;
};

/*
 * Open (creating if needed) the SQLite store at `path` and bring its schema to the
 * current version (migrations in one transaction each). `target_version` 0 means the
 * latest; tests pass an older one to build old databases. A database newer than this
 * program is refused with EID_ERR_MIGRATION and a message in err.
 */
int srv_store_sqlite_open(const char *path, int target_version, struct srv_store **out,
    char *err, size_t errlen) EID_WARN_UNUSED;
/* The schema version this program writes. */
int srv_store_sqlite_latest_version(void);

void srv_store_close(struct srv_store **s);

static inline int srv_store_ping(struct srv_store *s) { return s->ops->ping(s); }
static inline int srv_store_schema_version(struct srv_store *s, int *v) { return s->ops->schema_version(s, v); }
static inline int srv_store_setting_get(struct srv_store *s, const char *k, char **v) { return s->ops->setting_get(s, k, v); }
static inline int srv_store_setting_bump(struct srv_store *s, const char *k, int64_t *v) { return s->ops->setting_bump(s, k, v); }
static inline int srv_store_client_add(struct srv_store *s, const struct srv_client *c) { return s->ops->client_add(s, c); }
static inline int srv_store_client_update(struct srv_store *s, const struct srv_client *c) { return s->ops->client_update(s, c); }
static inline int srv_store_client_get(struct srv_store *s, const char *id, struct srv_client **o) { return s->ops->client_get(s, id, o); }
static inline int srv_store_client_list(struct srv_store *s, struct srv_client ***o, size_t *n) { return s->ops->client_list(s, o, n); }
static inline int srv_store_client_remove(struct srv_store *s, const char *id) { return s->ops->client_remove(s, id); }
static inline int srv_store_citizen_add(struct srv_store *s, const struct srv_citizen *c, int64_t *id) { return s->ops->citizen_add(s, c, id); }
static inline int srv_store_citizen_get(struct srv_store *s, const char *id, struct srv_citizen **o) { return s->ops->citizen_get(s, id, o); }
static inline int srv_store_citizen_list(struct srv_store *s, struct srv_citizen ***o, size_t *n) { return s->ops->citizen_list(s, o, n); }
static inline int srv_store_citizen_set_disabled(struct srv_store *s, const char *id, int d) { return s->ops->citizen_set_disabled(s, id, d); }
static inline int srv_store_citizen_set_password(struct srv_store *s, int64_t id, const char *h) { return s->ops->citizen_set_password(s, id, h); }
static inline int srv_store_key_add(struct srv_store *s, const struct srv_signing_key_row *k) { return s->ops->key_add(s, k); }
static inline int srv_store_key_list(struct srv_store *s, struct srv_signing_key_row ***o, size_t *n) { return s->ops->key_list(s, o, n); }
static inline int srv_store_key_set_state(struct srv_store *s, const char *kid, const char *st) { return s->ops->key_set_state(s, kid, st); }
static inline int srv_store_consent_get(struct srv_store *s, const char *a, const char *c, char **sc) { return s->ops->consent_get(s, a, c, sc); }
static inline int srv_store_consent_set(struct srv_store *s, const char *a, const char *c, const char *sc, int64_t now) { return s->ops->consent_set(s, a, c, sc, now); }
static inline int srv_store_consent_remove(struct srv_store *s, const char *a, const char *c) { return s->ops->consent_remove(s, a, c); }
static inline int srv_store_audit_append(struct srv_store *s, const struct srv_audit_event *e) { return s->ops->audit_append(s, e); }
static inline int srv_store_audit_list(struct srv_store *s, int64_t after, size_t max, struct srv_audit_event ***o, size_t *n) { return s->ops->audit_list(s, after, max, o, n); }

void srv_client_free(struct srv_client **c);
void srv_citizen_free(struct srv_citizen **c);
void srv_signing_key_row_free(struct srv_signing_key_row **k);
void srv_audit_event_free(struct srv_audit_event **e);
/* Free an array returned by a _list call and its records. */
void srv_client_list_free(struct srv_client **v, size_t n);
void srv_citizen_list_free(struct srv_citizen **v, size_t n);
void srv_signing_key_list_free(struct srv_signing_key_row **v, size_t n);
void srv_audit_list_free(struct srv_audit_event **v, size_t n);

#endif /* SRV_STORE_H */
