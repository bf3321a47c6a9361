/*
 * srv_gencache.h - a per-thread cache of store records labelled with a "generation":
 * the value of one store setting that every change to those records moves.
 *
 * What it is for: records read on most requests (OAuth clients, citizen profiles) that
 * change rarely, where a store read per request costs instructions and, under load, a
 * wait on SQLite's shared read lock. Each worker thread keeps a few records of its own,
 * so a hit takes no lock at all.
 *
 * One static struct srv_gencache per record type, described by a const struct
 * srv_gencache_type: the setting that labels the records, how many slots a thread keeps,
 * how often the label is compared with the store, and how to load, copy and free a record.
 *
 * The contract (srv_gencache_get):
 *   - per thread: each thread has its own slots (a pthread key), freed when the thread
 *     ends; srv_gencache_clear() frees the calling thread's at once (tests);
 *   - the label first, then the records: on a (re)check the setting is read before any
 *     record, so a record is never older than the generation it is filed under;
 *   - at most every recheck_ms a thread reads the setting again; when it moved, or the
 *     request is for another store than the one the slots came from, the slots are
 *     emptied. So a change made anywhere (eidd, eidctl, another node on the same
 *     database) that moves the setting reaches every request within recheck_ms, without
 *     a restart. Within that window a thread may serve the record as it was;
 *   - without the setting (a store where nothing has written it) nothing is cached: the
 *     store is read on every call;
 *   - a miss reads the store; what it found takes the next slot (round robin, at most
 *     `slots` records); what the store does not know (EID_ERR_NOT_FOUND) is not
 *     remembered, so a record added since is found at once;
 *   - a record is filed under the key it was looked up by (the exact string): two keys
 *     that name the same record take two slots, and a key always gets what the store's
 *     load gives for that key;
 *   - the caller always gets its own copy (type->copy), never the cached record.
 *
 * Errors from reading the setting or loading a record are returned as they are (a store
 * failure is EID_ERR_DB*); they leave the slots as they were.
 */
#ifndef SRV_GENCACHE_H
#define SRV_GENCACHE_H

#include <pthread.h>

#include "eid_err.h"
#include "srv_store.h"

/* Most slots a type may ask for. */
#define SRV_GENCACHE_MAX_SLOTS 256

struct srv_gencache_type {
	const char *setting;        /* the store setting that labels the records */
	unsigned slots;             /* records a thread keeps: 1..SRV_GENCACHE_MAX_SLOTS */
	unsigned recheck_ms;        /* the setting is compared at most this often */
	/* the record `key` names, read from the store: 0 and *rec (the cache's, freed with
	   free_rec), EID_ERR_NOT_FOUND, or another error. Whatever the cache must never hold
	   (secrets) is left out here. */
	int (*load)(struct srv_store *s, const char *key, void **rec);
	/* a copy of rec for the caller (who frees it with free_rec): 0 or EID_ERR_NOMEM */
	int (*copy)(const void *rec, void **out);
	/* free a record and NULL the pointer */
	void (*free_rec)(void **rec);
};

/* One instance per record type; define it static with SRV_GENCACHE_INIT. */
struct srv_gencache {
	const struct srv_gencache_type *type;
	pthread_key_t key;          /* the threads' slots; made on first use */
	int key_ok;
};

#define SRV_GENCACHE_INIT(type_) { .type = (type_) }

/*
 * The record `key` names, through the calling thread's slots (see the contract above).
 * 0 and *out (the caller's copy: type->free_rec); EID_ERR_NOT_FOUND; EID_ERR_INVALID_ARGUMENT
 * (no key); or the store's error. Without a usable cache (no memory, no pthread key) the
 * store is read directly.
 */
int srv_gencache_get(struct srv_gencache *gc, struct srv_store *store, const char *key, void **out)
    EID_WARN_UNUSED;

/* Free the calling thread's slots of this cache (threads free theirs when they end). */
void srv_gencache_clear(struct srv_gencache *gc);

#endif /* SRV_GENCACHE_H */
