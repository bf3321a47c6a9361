/*
 * srv_totp.h - RFC 6238 time-based one-time passwords (HMAC-SHA-1, 6 digits, 30 s step).
 *
 * Pure functions: the secret, the code and the time come in, a decision comes out. No
 * clock, no store. Replay (the same counter used twice) is the caller's business: verify
 * returns the counter that matched so the caller can record it (srv_auth_password.c
 * keeps it in Redis).
 */
#ifndef SRV_TOTP_H
#define SRV_TOTP_H

#include <stddef.h>
#include <stdint.h>

#include "eid_err.h"

#define SRV_TOTP_DIGITS 6
#define SRV_TOTP_STEP 30
#define SRV_TOTP_SKEW 1             /* steps accepted either side of now */

/* The RFC 4226 HOTP value for `counter`, reduced to SRV_TOTP_DIGITS digits. */
int srv_totp_code(const uint8_t *secret, size_t len, uint64_t counter, uint32_t *code) EID_WARN_UNUSED;
/* Same, with a caller-chosen digit count 6..8 (for the RFC 6238 8-digit vectors). */
int srv_totp_code_digits(const uint8_t *secret, size_t len, uint64_t counter, unsigned digits,
    uint32_t *code) EID_WARN_UNUSED;

/*
 * Check `code` (exactly SRV_TOTP_DIGITS ASCII digits) against the counters
 * now/30 - SKEW .. now/30 + SKEW. Every window is computed and compared in constant
 * time. Returns 0 with *matched_counter set, EID_ERR_DENIED on a wrong code, or
 * EID_ERR_FORMAT if the code is not 6 digits.
 */
int srv_totp_verify(const uint8_t *secret, size_t len, const char *code, int64_t now,
    uint64_t *matched_counter) EID_WARN_UNUSED;

#endif /* SRV_TOTP_H */
