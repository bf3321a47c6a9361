/*
 * srv_redis.h - the session store's connection to Redis (hiredis).
 *
 * One connection per thread, made on first use. Commands are binary-safe argv only; no
 * key or value is ever formatted into a command string. Every SET carries a TTL.
 * When Redis is unreachable, a thread waits out a growing back-off (100 ms .. 2 s)
 * before it tries to reconnect, and meanwhile every call fails at once with
 * EID_ERR_REDIS_DOWN, so endpoints answer 503 fast and recover by themselves when Redis
 * comes back. Connect and command timeouts bound a hung Redis.
 *
 * Keys that would reveal a secret (session ids, codes) are hashed first with
 * srv_redis_key(): "eid:<section>:" + base64url(BLAKE2b-256(key-hash-key, id)).
 */
#ifndef SRV_REDIS_H
#define SRV_REDIS_H

#include <stddef.h>
#include <stdint.h>

#include "eid_err.h"
#include "srv_config.h"

struct srv_redis;
struct srv_metrics;

int srv_redis_new(const struct srv_config *cfg, struct srv_metrics *metrics, struct srv_redis **out);
void srv_redis_free(struct srv_redis **rp);

/* Key-hashing key (32 bytes), derived from the server secret; copied. */
void srv_redis_set_key_hash_key(struct srv_redis *r, const uint8_t key[32]);
/* "eid:<section>:<b64url(hash(id))>" into out (size >= SRV_REDIS_KEY_MAX). */
#define SRV_REDIS_KEY_MAX 96
void srv_redis_key(const struct srv_redis *r, const char *section, const void *id, size_t idlen,
    char out[SRV_REDIS_KEY_MAX]);

/* SET key value EX ttl [NX]. With nx, EID_ERR_EXISTS if the key was there. */
int srv_redis_set(struct srv_redis *r, const char *key, const void *val, size_t len,
    unsigned ttl_seconds, int nx) EID_WARN_UNUSED;
/* GET: *val is malloc'd (NUL-terminated, caller frees), EID_ERR_NOT_FOUND if absent. */
int srv_redis_get(struct srv_redis *r, const char *key, uint8_t **val, size_t *len) EID_WARN_UNUSED;
/* GETDEL: atomic take of a one-time value (codes, challenges). */
int srv_redis_take(struct srv_redis *r, const char *key, uint8_t **val, size_t *len) EID_WARN_UNUSED;
/* DEL: 0 even if absent. */
int srv_redis_del(struct srv_redis *r, const char *key) EID_WARN_UNUSED;
/* INCR with the TTL set when the key is created (rate limits, counters). */
int srv_redis_incr(struct srv_redis *r, const char *key, unsigned ttl_seconds, long long *out) EID_WARN_UNUSED;
/* EXPIRE key ttl: EID_ERR_NOT_FOUND if absent. */
int srv_redis_expire(struct srv_redis *r, const char *key, unsigned ttl_seconds) EID_WARN_UNUSED;
/* PTTL: the milliseconds key has left; EID_ERR_NOT_FOUND if absent or without a TTL. */
int srv_redis_pttl(struct srv_redis *r, const char *key, long long *ms) EID_WARN_UNUSED;
/* Sorted-set index helpers (used to count live sessions): ZADD / ZREM / count alive. */
/* ZADD, and the set's TTL raised to at least ttl_seconds (atomic). */
int srv_redis_zadd(struct srv_redis *r, const char *key, long long score, const char *member,
    unsigned ttl_seconds) EID_WARN_UNUSED;
int srv_redis_zrem(struct srv_redis *r, const char *key, const char *member) EID_WARN_UNUSED;
int srv_redis_zcount_from(struct srv_redis *r, const char *key, long long min_score, long long *out) EID_WARN_UNUSED;
/*
 * ZRANGEBYSCORE key min max LIMIT 0 max_members: up to max_members (1..1000) members
 * whose score is in [min_score, max_score], lowest score first. *members is a malloc'd
 * array of *n malloc'd NUL-terminated strings (free with srv_redis_members_free); an
 * empty or missing set gives 0 with *n = 0. A member longer than SRV_REDIS_MEMBER_MAX
 * or holding a NUL byte is EID_ERR_REDIS.
 */
#define SRV_REDIS_MEMBER_MAX 256
int srv_redis_zrange_by_score(struct srv_redis *r, const char *key, long long min_score,
    long long max_score, size_t max_members, char ***members, size_t *n) EID_WARN_UNUSED;
void srv_redis_members_free(char **members, size_t n);
/* PING (for /readyz). */
int srv_redis_ping(struct srv_redis *r) EID_WARN_UNUSED;

/* ---- the back-channel logout queue (srv_backchannel) ---- */
/*
 * Claim the lowest-scored member of sorted set `key` whose score is <= now, moving its
 * score to lease_until in the same atomic step (one script), so exactly one caller on
 * any node gets it; if the claimer dies, the member falls due again at lease_until.
 * *member is malloc'd (NUL-terminated, caller frees). EID_ERR_NOT_FOUND if none is due.
 * Not retried after a connection error (it may have run).
 */
int srv_redis_zclaim_due(struct srv_redis *r, const char *key, long long now, long long lease_until,
    char **member) EID_WARN_UNUSED;

/* ---- a subscription (srv_revocations) ---- */
/*
 * A connection of its own (not the calling thread's) subscribed to one channel: for a
 * watcher thread that must hear every message published there. srv_redis_subscribe
 * connects (connect timeout, AUTH) and waits for the subscription to be confirmed.
 * srv_redis_sub_next waits up to wait_ms for the next message on it: 1 (one message),
 * 0 (none came), or EID_ERR_REDIS_DOWN (the connection is gone: free it and subscribe
 * again; messages published meanwhile are lost).
 */
struct srv_redis_sub;
int srv_redis_subscribe(struct srv_redis *r, const char *channel, struct srv_redis_sub **out) EID_WARN_UNUSED;
int srv_redis_sub_next(struct srv_redis_sub *s, int wait_ms) EID_WARN_UNUSED;
void srv_redis_sub_free(struct srv_redis_sub **sp);

/* ---- scripts ---- */
/*
 * One value of a script's answer: nil (Lua false), an integer, or a string (malloc'd,
 * NUL-terminated; wiped when freed, since it may hold a grant).
 */
enum srv_redis_type { SRV_REDIS_NIL, SRV_REDIS_INT, SRV_REDIS_STR };
struct srv_redis_val {
	enum srv_redis_type type;
	long long integer;
	char *str;
	size_t len;
};
#define SRV_REDIS_SCRIPT_MAX_ARGS 16
/*
 * EVAL script with nkeys keys followed by the other arguments: argv[0..argc) (argc <=
 * SRV_REDIS_SCRIPT_MAX_ARGS, binary-safe; argvlen NULL means NUL-terminated strings).
 * One round trip, and Redis runs the whole script atomically. The answer, a scalar or a
 * flat array of at most max_vals elements, goes to vals[0..*n); free it with
 * srv_redis_vals_free. A nested array, a longer one or a string above 1 MiB is
 * EID_ERR_REDIS. idempotent: retried once after a connection error (only for scripts
 * whose second run would change nothing).
 */
int srv_redis_script(struct srv_redis *r, const char *script, size_t nkeys, const char *const *argv,
    const size_t *argvlen, size_t argc, int idempotent, struct srv_redis_val *vals, size_t max_vals,
    size_t *n) EID_WARN_UNUSED;
void srv_redis_vals_free(struct srv_redis_val *vals, size_t n);

#endif /* SRV_REDIS_H */
