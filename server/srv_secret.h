/*
 * srv_secret.h - the server secret under data_dir and the keys derived from it.
 *
 * data_dir/secret.key holds 32 random bytes (mode 0600), made on first use by eidd or
 * eidctl. Purpose-specific keys are derived with libsodium's crypto_kdf (BLAKE2b), so a
 * key leaked from one use says nothing about another:
 *   SRV_SUBKEY_CLIENT_SECRET  keyed hash of client secrets (cheap to check, useless offline)
 *   SRV_SUBKEY_TOTP           secretbox key for TOTP secrets at rest
 *   SRV_SUBKEY_REDIS_KEYS     hashing of secret ids into Redis key names
 *   SRV_SUBKEY_AUDIT_PSEUDONYM  keyed hash of citizen IDs in audit details (citizen_ref)
 *   SRV_SUBKEY_PAIRWISE       pairwise subject identifiers (srv_subject.h)
 *   SRV_SUBKEY_TOKEN_REF      sealing of the account reference inside access tokens
 */
#ifndef SRV_SECRET_H
#define SRV_SECRET_H

#include <stddef.h>
#include <stdint.h>

#include "eid_err.h"

enum srv_subkey { SRV_SUBKEY_CLIENT_SECRET = 1, SRV_SUBKEY_TOTP = 2, SRV_SUBKEY_REDIS_KEYS = 3,
    SRV_SUBKEY_AUDIT_PSEUDONYM = 4, SRV_SUBKEY_PAIRWISE = 5, SRV_SUBKEY_TOKEN_REF = 6 };

struct srv_secret;

/* Create data_dir (0700) if needed, then load or create secret.key. */
int srv_secret_open(const char *data_dir, struct srv_secret **out, char *err, size_t errlen) EID_WARN_UNUSED;
void srv_secret_free(struct srv_secret **s);
void srv_secret_derive(const struct srv_secret *s, enum srv_subkey which, uint8_t out[32]);

/* mkdir -p with mode for the last component; 0 if it exists already. */
int srv_mkdir_private(const char *path, char *err, size_t errlen) EID_WARN_UNUSED;

#endif /* SRV_SECRET_H */
