/*
 * srv_client_keys.h - the public keys a relying-party client signs its private_key_jwt
 * assertions with (RFC 7523, OpenID Connect Core 9), taken from its registered metadata
 * (RFC 7591 2): "jwks" (a JWKS object stored with the client) or "jwks_uri" (fetched).
 *
 * "jwks" is parsed on every call (tok_keyset_from_jwks_json: no private members, only
 * RS256/PS256/ES256/EdDSA keys). When a client has both, "jwks" wins.
 *
 * "jwks_uri" is fetched with libcurl and bounded on every side: https anywhere, http only
 * on a loopback host (srv_valid_https_url, checked again before each fetch), no redirect
 * followed, connect timeout SRV_CLIENT_KEYS_CONNECT_MS, whole transfer
 * SRV_CLIENT_KEYS_TIMEOUT_MS, body at most SRV_CLIENT_KEYS_MAX_BYTES (the transfer is
 * aborted past it), status 200 required, and the body must be a JWKS with at least one
 * usable key. No content decoding is asked for (no compression bombs).
 *
 * The fetched keys are kept in one process-wide cache (a mutex; eidd is multi-threaded)
 * keyed by client_id + uri, for SRV_CLIENT_KEYS_TTL seconds after a successful fetch. A
 * fetch starts when there is no fresh keyset, or when the caller asks for a refresh
 * (SRV_CLIENT_KEYS_REFRESH: an assertion named an unknown kid, the RP may have rotated
 * its keys); either way at most once per SRV_CLIENT_KEYS_REFETCH_MIN seconds per entry,
 * so a flood of made-up kids costs the RP at most one request per interval. A failed
 * refresh keeps the keys still within their TTL; expired keys are never used (fail
 * closed). Concurrent callers of one entry wait for the fetch in progress instead of
 * starting their own. The network is never used while the mutex is held. At most
 * SRV_CLIENT_KEYS_CACHE_MAX entries; the least recently used idle one is dropped.
 *
 * Ownership: a struct srv_client_keys is a reference-counted, read-only keyset. Each
 * srv_client_keys_get() gives the caller one reference, dropped with
 * srv_client_keys_release() (which NULLs the pointer); a cache refresh replaces the
 * cache's reference only, so a keyset being used by a request is never freed under it.
 * srv_client_keys_cache_clear() frees the cache (eidd calls it at shutdown, after the
 * HTTP workers stopped; tests call it between cases).
 *
 * Time is the caller's (now, in seconds), so the TTL and rate limit are testable; the
 * transport can be replaced with srv_client_keys_set_fetch() (tests only).
 */
#ifndef SRV_CLIENT_KEYS_H
#define SRV_CLIENT_KEYS_H

#include <stddef.h>
#include <time.h>

#include "eid_err.h"
#include "eid_limits.h"
#include "srv_store.h"
#include "tok_keyset.h"

#define SRV_CLIENT_KEYS_TTL             300     /* seconds a fetched keyset is used */
#define SRV_CLIENT_KEYS_REFETCH_MIN     10      /* seconds between two fetches of one entry */
#define SRV_CLIENT_KEYS_CONNECT_MS      2000
#define SRV_CLIENT_KEYS_TIMEOUT_MS      5000    /* whole transfer, DNS to last byte */
#define SRV_CLIENT_KEYS_MAX_BYTES       EID_JWKS_MAX_BYTES
#define SRV_CLIENT_KEYS_CACHE_MAX       256

/* flags for srv_client_keys_get */
#define SRV_CLIENT_KEYS_REFRESH         0x1     /* refetch jwks_uri if the rate limit allows */

struct srv_client_keys;

/*
 * The client's keys, one reference for the caller. Results:
 *   0                        *out set (srv_client_keys_release)
 *   EID_ERR_NOT_FOUND        the client has neither "jwks" nor "jwks_uri"
 *   EID_ERR_JWK, EID_ERR_KEY, EID_ERR_EXISTS, EID_ERR_TOO_LARGE
 *                            the registered or fetched JWKS is unusable (or has no key)
 *   EID_ERR_UNSUPPORTED      jwks_uri is not an https (or loopback http) URL
 *   EID_ERR_TIMEOUT, EID_ERR_IO, EID_ERR_HTTP (status other than 200)
 *                            the fetch failed (also answered, without fetching, while
 *                            the rate limit holds and there is no fresh keyset)
 *   EID_ERR_NOMEM
 * With SRV_CLIENT_KEYS_REFRESH the caller may get the same object as before (compare the
 * pointers) when the rate limit did not allow a fetch or the fetch failed.
 */
int srv_client_keys_get(const struct srv_client *client, time_t now, unsigned flags,
    struct srv_client_keys **out) EID_WARN_UNUSED;
/* The keys (borrowed: as long as the caller holds its reference). */
const struct tok_keyset *srv_client_keys_keyset(const struct srv_client_keys *k);
/* 1 if the keys came from jwks_uri (a refresh can bring others), 0 if registered. */
int srv_client_keys_fetched(const struct srv_client_keys *k);
void srv_client_keys_release(struct srv_client_keys **k);

/* Drop every cached keyset (shutdown, tests). Safe when the cache is empty. */
void srv_client_keys_cache_clear(void);

/*
 * The transport: fetch uri into *body (malloc'd, NUL-terminated after *len bytes, caller
 * frees), or fail with the codes listed for srv_client_keys_get. srv_client_keys_fetch_http
 * is the libcurl one (the default; its first call loads libcurl, srv_curl.h).
 */
typedef int (*srv_client_keys_fetch_fn)(const char *uri, char **body, size_t *len);
int srv_client_keys_fetch_http(const char *uri, char **body, size_t *len) EID_WARN_UNUSED;
/* Tests: replace the transport (NULL restores libcurl). Not thread-safe: call before use. */
void srv_client_keys_set_fetch(srv_client_keys_fetch_fn fn);

#endif /* SRV_CLIENT_KEYS_H */
