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
	/* contact claims (OIDC Core 5.1); NULL: not on record (never released) */
	char *address;              /* JSON object text: formatted, street_address, locality,
	                               region, postal_code, country (srv_address_normalize) */
	char *phone_number;         /* E.164, e.g. "+84912345678" */
	int phone_number_verified;
	char *email;                /* domain lower-cased */
	int email_verified;
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

/* A citizen's passkey (credentials row of type 'passkey'; name and flags in metadata). */
struct srv_passkey {
	int64_t id;                 /* row id: what the account page names it by */
	char *account_id;           /* the owner (filled by get/list; add takes it as input) */
	uint8_t *credential_id;     /* WebAuthn rawId */
	size_t credential_id_len;
	uint8_t *public_key;        /* COSE_Key bytes as registered */
	size_t public_key_len;
	int alg;                    /* COSE algorithm (SRV_WEBAUTHN_ALG_*) */
	uint32_t sign_count;
	int be;                     /* backup eligible at registration */
	int uv;                     /* user verified at registration */
	int cloned;                 /* 1: the counter went backwards once; refused since */
	char *name;                 /* the citizen's label, e.g. "Passkey 1" */
	char *attestation;          /* "none", "self", "unverified", "trusted" */
	int64_t created_at;
	int64_t last_used_at;       /* 0: never */
};

/* A consent a citizen holds with a portal, for the account page. */
struct srv_consent {
	char *client_id;
	char *client_name;
	char *scope;
	int64_t granted_at;
};

struct srv_store;

/* A chip card's reference (srv_card_ref(): a keyed hash of the document, 32 bytes). */
#define SRV_STORE_CARD_REF_BYTES 32

/* Called by the audit writer when an event queued with audit_append_async is done. */
typedef void srv_store_audit_done_fn(void *arg, int result);

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
	/* set the contact fields (address, phone_number(_verified), email(_verified)) of the
	 * citizen c->id, nothing else; EID_ERR_NOT_FOUND if there is none */
	int (*citizen_update)(struct srv_store *s, const struct srv_citizen *c);
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
	/* audit: append returns when the event is durable (or failed) */
	int (*audit_append)(struct srv_store *s, const struct srv_audit_event *e);
	/* queue e and return at once: 0 when queued, and then cb(arg, result) is called
	 * exactly once, from another thread, when e is durable (result 0) or failed; e must
	 * stay valid until then. Not queued (an error returned): cb is never called. */
	int (*audit_append_async)(struct srv_store *s, const struct srv_audit_event *e,
	    srv_store_audit_done_fn *cb, void *arg);
	int (*audit_list)(struct srv_store *s, int64_t after_id, size_t max,
	    struct srv_audit_event ***out, size_t *n);
	/* the newest `max` events an account took part in (as actor or subject), newest first */
	int (*audit_list_account)(struct srv_store *s, const char *account_id, size_t max,
	    struct srv_audit_event ***out, size_t *n);
	/* the consents an account holds, oldest first, with the client's display name */
	int (*consent_list)(struct srv_store *s, const char *account_id,
	    struct srv_consent ***out, size_t *n);
	/* passkeys: add (p->account_id names the owner; EID_ERR_EXISTS for a known
	   credential id), list an account's, get by credential id (any account), record a
	   use (only if the counter is still `old_count`: EID_ERR_NOT_FOUND otherwise; with
	   an audit event `e` (NULL: none), e is written in the same transaction, so the new
	   counter and its event are committed together or not at all), mark possibly cloned, remove one of an account's (EID_ERR_NOT_FOUND if not its) */
	int (*passkey_add)(struct srv_store *s, const struct srv_passkey *p, int64_t *id);
	int (*passkey_list)(struct srv_store *s, const char *account_id,
	    struct srv_passkey ***out, size_t *n);
	int (*passkey_get)(struct srv_store *s, const uint8_t *cred_id, size_t cred_id_len,
	    struct srv_passkey **out);
	int (*passkey_use)(struct srv_store *s, int64_t id, uint32_t old_count,
	    uint32_t new_count, int64_t now, const struct srv_audit_event *e);
	int (*passkey_mark_cloned)(struct srv_store *s, int64_t id);
	int (*passkey_remove)(struct srv_store *s, const char *account_id, int64_t id);
	/* chip cards (credentials rows of type 'card'; credential_id = the card reference,
	   SRV_STORE_CARD_REF_BYTES, never the document number): bind adds the card to the
	   citizen row `citizen` (or, for a card already bound to it, refreshes last_used_at)
	   and sets the citizen's level to 2, both in one transaction; metadata is JSON
	   object text (NULL: {}). EID_ERR_EXISTS when the card is bound to another citizen,
	   EID_ERR_NOT_FOUND when the citizen row is gone (nothing is written then).
	   check: 0 when `citizen` has this card bound (its last_used_at becomes now),
	   EID_ERR_NOT_FOUND when not. */
	int (*card_bind)(struct srv_store *s, int64_t citizen,
	    const uint8_t ref[SRV_STORE_CARD_REF_BYTES], const char *metadata, int64_t now);
	int (*card_check)(struct srv_store *s, int64_t citizen,
	    const uint8_t ref[SRV_STORE_CARD_REF_BYTES], int64_t now);
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
/* Diagnostics (tests): how many statements the calling thread's connection keeps
 * prepared (0 before its first call). EID_ERR_INVALID_ARGUMENT for another store. */
int srv_store_sqlite_cached_statements(struct srv_store *s, size_t *n) EID_WARN_UNUSED;
/* Diagnostics (tests): bytes of page cache the calling thread's connection holds (each
 * connection is capped at 256 KiB). EID_ERR_INVALID_ARGUMENT for another store. */
int srv_store_sqlite_page_cache_used(struct srv_store *s, size_t *bytes) EID_WARN_UNUSED;

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
static inline int srv_store_citizen_update(struct srv_store *s, const struct srv_citizen *c) { return s->ops->citizen_update(s, c); }
static inline int srv_store_key_add(struct srv_store *s, const struct srv_signing_key_row *k) { return s->ops->key_add(s, k); }
static inline int srv_store_key_list(struct srv_store *s, struct srv_signing_key_row ***o, size_t *n) { return s->ops->key_list(s, o, n); }
static inline int srv_store_key_set_state(struct srv_store *s, const char *kid, const char *st) { return s->ops->key_set_state(s, kid, st); }
static inline int srv_store_consent_get(struct srv_store *s, const char *a, const char *c, char **sc) { return s->ops->consent_get(s, a, c, sc); }
static inline int srv_store_consent_set(struct srv_store *s, const char *a, const char *c, const char *sc, int64_t now) { return s->ops->consent_set(s, a, c, sc, now); }
static inline int srv_store_consent_remove(struct srv_store *s, const char *a, const char *c) { return s->ops->consent_remove(s, a, c); }
static inline int srv_store_audit_append(struct srv_store *s, const struct srv_audit_event *e) { return s->ops->audit_append(s, e); }
static inline int srv_store_audit_append_async(struct srv_store *s, const struct srv_audit_event *e, srv_store_audit_done_fn *cb, void *arg) { return s->ops->audit_append_async(s, e, cb, arg); }
static inline int srv_store_audit_list(struct srv_store *s, int64_t after, size_t max, struct srv_audit_event ***o, size_t *n) { return s->ops->audit_list(s, after, max, o, n); }

static inline int srv_store_audit_list_account(struct srv_store *s, const char *a, size_t max, struct srv_audit_event ***o, size_t *n) { return s->ops->audit_list_account(s, a, max, o, n); }
static inline int srv_store_consent_list(struct srv_store *s, const char *a, struct srv_consent ***o, size_t *n) { return s->ops->consent_list(s, a, o, n); }
static inline int srv_store_passkey_add(struct srv_store *s, const struct srv_passkey *p, int64_t *id) { return s->ops->passkey_add(s, p, id); }
static inline int srv_store_passkey_list(struct srv_store *s, const char *a, struct srv_passkey ***o, size_t *n) { return s->ops->passkey_list(s, a, o, n); }
static inline int srv_store_passkey_get(struct srv_store *s, const uint8_t *cid, size_t len, struct srv_passkey **o) { return s->ops->passkey_get(s, cid, len, o); }
static inline int srv_store_passkey_use(struct srv_store *s, int64_t id, uint32_t old_count, uint32_t new_count, int64_t now, const struct srv_audit_event *e) { return s->ops->passkey_use(s, id, old_count, new_count, now, e); }
static inline int srv_store_passkey_mark_cloned(struct srv_store *s, int64_t id) { return s->ops->passkey_mark_cloned(s, id); }
static inline int srv_store_passkey_remove(struct srv_store *s, const char *a, int64_t id) { return s->ops->passkey_remove(s, a, id); }
static inline int srv_store_card_bind(struct srv_store *s, int64_t citizen, const uint8_t ref[SRV_STORE_CARD_REF_BYTES], const char *metadata, int64_t now) { return s->ops->card_bind(s, citizen, ref, metadata, now); }
static inline int srv_store_card_check(struct srv_store *s, int64_t citizen, const uint8_t ref[SRV_STORE_CARD_REF_BYTES], int64_t now) { return s->ops->card_check(s, citizen, ref, now); }

void srv_client_free(struct srv_client **c);
void srv_citizen_free(struct srv_citizen **c);
void srv_signing_key_row_free(struct srv_signing_key_row **k);
void srv_audit_event_free(struct srv_audit_event **e);
/* Free an array returned by a _list call and its records. */
void srv_client_list_free(struct srv_client **v, size_t n);
void srv_citizen_list_free(struct srv_citizen **v, size_t n);
void srv_signing_key_list_free(struct srv_signing_key_row **v, size_t n);
void srv_audit_list_free(struct srv_audit_event **v, size_t n);
void srv_passkey_free(struct srv_passkey **p);
void srv_passkey_list_free(struct srv_passkey **v, size_t n);
void srv_consent_free(struct srv_consent **c);
void srv_consent_list_free(struct srv_consent **v, size_t n);

#endif /* SRV_STORE_H */
