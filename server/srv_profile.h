/*
 * srv_profile.h - a citizen's profile (the citizen record without its secrets) for the
 * requests that only release or check it: GET /userinfo and the token grants.
 *
 * Read through a per-thread srv_gencache labelled with the store setting
 * "citizens_generation", which the store's triggers on the citizens table (migration 5)
 * move in the same transaction as every insert, update or delete of a citizen row,
 * whoever makes it (eidd, eidctl, future code). A thread compares it with the store at
 * most every SRV_PROFILE_CACHE_RECHECK_MS and empties its cache when it moved, so a
 * change (contact claims, disabling an account) reaches every request within that time
 * without a restart; a citizen added since is found at once (misses go to the store).
 *
 * Secrets never enter the cache: password_hash and totp_secret_enc are wiped and NULL in
 * every record kept and every copy handed out. Code that checks a password or a TOTP
 * code reads the store (srv_store_citizen_get), not this.
 */
#ifndef SRV_PROFILE_H
#define SRV_PROFILE_H

#include "eid_err.h"
#include "srv_app.h"

#define SRV_PROFILE_CACHE_SLOTS      32
#define SRV_PROFILE_CACHE_RECHECK_MS 200

/*
 * The citizen named by an account id or a 12-digit ID number (srv_store_citizen_get's
 * lookup), as a copy the caller frees with srv_citizen_free; password_hash and
 * totp_secret_enc are NULL. 0, EID_ERR_NOT_FOUND, EID_ERR_INVALID_ARGUMENT (NULL key),
 * EID_ERR_NOMEM, or the store's error (EID_ERR_DB*).
 */
int srv_citizen_profile_get(struct srv_app *app, const char *account_or_citizen_id,
    struct srv_citizen **out) EID_WARN_UNUSED;

/* Free the calling thread's profile cache (threads free theirs when they end; tests). */
void srv_citizen_profile_cache_clear(void);

#endif /* SRV_PROFILE_H */
