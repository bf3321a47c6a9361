/*
 * srv_accounts.h - making relying-party clients and citizen accounts, and checking
 * their secrets. Shared by eidctl and eidd.
 *
 * Client secrets are 256-bit random strings, stored only as a keyed BLAKE2b-256 hash
 * (key derived from the server secret): checking one costs a microsecond, and a stolen
 * database is useless without data_dir/secret.key. Passwords, which people choose, are
 * hashed with Argon2id at the configured cost. TOTP secrets (RFC 6238) are kept
 * encrypted with XSalsa20-Poly1305 under another derived key.
 */
#ifndef SRV_ACCOUNTS_H
#define SRV_ACCOUNTS_H

#include <stddef.h>
#include <stdint.h>

#include "srv_config.h"
#include "srv_secret.h"
#include "srv_store.h"

#define SRV_CLIENT_SECRET_BYTES 32
#define SRV_TOTP_SECRET_BYTES 20

/* A new client id (22 chars) and secret (43 chars), NUL-terminated. */
void srv_client_new_credentials(char id[24], char secret[48]);
void srv_client_secret_hash(const struct srv_secret *s, const char *secret, uint8_t out[32]);
/* Constant-time check of a presented secret against the stored hash. */
int srv_client_secret_check(const struct srv_secret *s, const struct srv_client *c, const char *secret) EID_WARN_UNUSED;

/* Argon2id hash of a password at the configured cost into *out (caller frees). */
int srv_password_hash(const struct srv_config *cfg, const char *password, char **out) EID_WARN_UNUSED;

/*
 * A new TOTP secret: *base32 (caller frees) for the otpauth URI, and its encrypted
 * form for the store (*enc, *enclen; caller frees).
 */
int srv_totp_secret_new(const struct srv_secret *s, char **base32, uint8_t **enc, size_t *enclen) EID_WARN_UNUSED;
/* The otpauth:// URI an authenticator app scans (caller frees). */
int srv_totp_uri(const char *issuer_label, const char *account, const char *base32, char **out) EID_WARN_UNUSED;
/* Decrypt a stored TOTP secret into raw (20 bytes). */
int srv_totp_secret_open(const struct srv_secret *s, const uint8_t *enc, size_t enclen,
    uint8_t raw[SRV_TOTP_SECRET_BYTES]) EID_WARN_UNUSED;

/* A new stable account id (22 chars). */
void srv_account_id_new(char out[24]);

#endif /* SRV_ACCOUNTS_H */
