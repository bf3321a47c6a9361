/*
 * srv_keys.h - the server's signing keys: created on first start, rotated by eidctl,
 * picked up by a running eidd without a restart.
 *
 * Private keys live in data_dir/keys/<kid>.pem (mode 0600, directory 0700); their
 * metadata (kid, alg, state) in the store. One key per algorithm is "active" (signs);
 * rotated-out keys stay "published" (in the JWKS, so tokens they signed still verify)
 * until retired. Every change bumps the store setting "keys_generation"; eidd checks it
 * at most once a second (srv_keys_refresh) and swaps in a new snapshot.
 *
 * Readers take a snapshot with srv_keys_acquire() and give it back with
 * srv_keys_release(); a reload never frees a snapshot in use.
 */
#ifndef SRV_KEYS_H
#define SRV_KEYS_H

#include <stddef.h>

#include "tok_key.h"
#include "tok_keyset.h"
#include "srv_store.h"

struct srv_keys;

struct srv_keys_snapshot {
	struct tok_keyset *published;       /* every active and published key */
	const struct tok_key *active[TOK_ALG_EDDSA + 1];  /* by alg; NULL if none */
	char *jwks_json;                    /* the serialized public JWKS */
	size_t jwks_len;
	long long generation;
};

/* The algorithms eidd keeps an active key for. */
extern const enum tok_alg srv_keys_algs[4];

/* Make sure an active key exists for every algorithm (creating keys and the keys dir). */
int srv_keys_ensure(struct srv_store *store, const char *data_dir, char *err, size_t errlen) EID_WARN_UNUSED;
/* Generate a new active key for alg (or for every alg when alg == 0); old ones -> published. */
int srv_keys_rotate(struct srv_store *store, const char *data_dir, enum tok_alg alg,
    char **new_kids_json, char *err, size_t errlen) EID_WARN_UNUSED;
/* Mark a key retired (removed from the JWKS). An active key cannot be retired. */
int srv_keys_retire(struct srv_store *store, const char *kid, char *err, size_t errlen) EID_WARN_UNUSED;

int srv_keys_open(struct srv_store *store, const char *data_dir, struct srv_keys **out,
    char *err, size_t errlen) EID_WARN_UNUSED;
void srv_keys_free(struct srv_keys **k);
/* Reload if the store's keys_generation moved (checked at most once per second). */
int srv_keys_refresh(struct srv_keys *k);
const struct srv_keys_snapshot *srv_keys_acquire(struct srv_keys *k);
void srv_keys_release(struct srv_keys *k, const struct srv_keys_snapshot *snap);

#endif /* SRV_KEYS_H */
