/*
 * srv_revocations.h - lets a worker skip the Redis denylist read for an access token it
 * has already found not revoked, for as long as no revocation can have gone unseen.
 *
 * Every access-token revocation (srv_tokens_revoke_access) writes the denylist key and
 * publishes on the channel SRV_REVOCATIONS_CHANNEL in one script. A watcher thread per
 * eidd holds a subscription to that channel (its own Redis connection) and moves a
 * process-wide epoch on every message, and whenever its subscription is lost or made
 * again (messages may have been missed meanwhile). A worker that found a token not
 * revoked remembers it with the epoch it read *before* the denylist read, and may skip
 * the read while srv_revocations_epoch() still gives that epoch. So:
 *   - a revocation made on this node is seen at once: the revoking thread moves the
 *     epoch itself after the denylist write (srv_revocations_moved);
 *   - one made on another node is seen when Redis delivers the message (well under a
 *     millisecond on one host or a LAN);
 *   - while the subscription is down the epoch is 0 and every use reads Redis.
 */
#ifndef SRV_REVOCATIONS_H
#define SRV_REVOCATIONS_H

#include <stdint.h>

#include "eid_err.h"

struct srv_app;
struct srv_revocations;

#define SRV_REVOCATIONS_CHANNEL "eid:revocations"

/* The current epoch; 0 while no watcher is subscribed (then nothing may be skipped). */
uint64_t srv_revocations_epoch(void);

/* A revocation was written on this node: what was found not revoked before is not
 * trusted any more. */
void srv_revocations_moved(void);

/* Start / stop the watcher thread (eidd). Stopping makes the epoch 0. */
int srv_revocations_start(struct srv_app *app, struct srv_revocations **out) EID_WARN_UNUSED;
void srv_revocations_stop(struct srv_revocations **wp);

#endif /* SRV_REVOCATIONS_H */
