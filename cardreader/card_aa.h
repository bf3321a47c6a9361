/*
 * card_aa.h - Active Authentication verification on the server side (ICAO 9303-11
 * §6.1): the chip signed the verifier's 8-byte challenge with the private key whose
 * public half is in DG15.
 *
 *   RSA: ISO/IEC 9796-2 digital signature scheme 1, partial message recovery.
 *        F = s^e mod n (or n - F when F mod 16 != 12); F = 6A || M1 || H || T where
 *        T = BC (SHA-1, implicit) or hh CC with hh = 33 SHA-1, 38 SHA-224, 34 SHA-256,
 *        36 SHA-384, 35 SHA-512; H must equal Hash(M1 || challenge).
 *   ECDSA: plain signature r || s (BSI TR-03111, fixed width = order size). A DER
 *        SEQUENCE{r,s} is accepted too when the length is not 2 x order size (some
 *        national cards). The hash is the one DG14's ActiveAuthenticationInfo names
 *        (pass its OID to card_aa_hash_from_oid; SHA-1 is refused as ICAO requires),
 *        else chosen by the order size:
 *        <= 224 bits SHA-224, <= 256 SHA-256, <= 384 SHA-384, else SHA-512.
 *
 * This proves possession of the DG15 key only; the caller must have passed DG15
 * through passive authentication (card_pa dg_verified bit 15) for it to mean anything.
 * Comparisons are constant-time; recovered data is wiped. Inputs are borrowed.
 * Returns 0 when the signature verifies, EID_ERR_ACTIVE_AUTH when it does not,
 * EID_ERR_KEY / EID_ERR_UNSUPPORTED for unusable keys.
 */
#ifndef CARD_AA_H
#define CARD_AA_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "eid_err.h"

#define CARD_AA_CHALLENGE_LEN 8

/* md may be NULL (RSA: taken from the trailer; ECDSA: chosen by key size). */
int card_aa_verify(EVP_PKEY *pub, const uint8_t *challenge, size_t challenge_len,
    const uint8_t *sig, size_t sig_len, const EVP_MD *md) EID_WARN_UNUSED;

/* The digest an ecdsa-plain OID (0.4.0.127.0.7.1.1.4.1.x) names, or NULL. */
const EVP_MD *card_aa_hash_from_oid(const char *oid);

#endif /* CARD_AA_H */
