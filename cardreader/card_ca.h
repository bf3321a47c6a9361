/*
 * card_ca.h - Chip Authentication, the terminal's side (ICAO 9303-11 §6.2, BSI TR-03110
 * part 1 §3.3 / part 3 §B.1): an ECDH key agreement between an ephemeral terminal key
 * and the chip's static key from DG14, which proves that the chip holds the private
 * half of the DG14 key (a cloned chip cannot) and gives new secure-messaging keys.
 *
 *   params   card_ca_params_from_dg14(): the ChipAuthenticationInfo for
 *            id-CA-ECDH-AES-CBC-CMAC-128 (0.4.0.127.0.7.2.2.3.2.2) and the
 *            ChipAuthenticationPublicKeyInfo (id-PK-ECDH) with the same keyId (or the
 *            only one); the SubjectPublicKeyInfo may carry explicit domain parameters,
 *            as TR-03110 requires. DH, 3DES (MSE:Set KAT) and AES-192/256 are not
 *            offered: EID_ERR_UNSUPPORTED.
 *   APDUs    (sent by card_read.c under the current secure messaging)
 *            MSE:Set AT  00 22 41 A4 { 80 OID, [84 keyId] }   (card_ca_mse_data)
 *            GENERAL AUTHENTICATE 00 86 00 00 7C{ 80 PK_IFD } -> 7C 00
 *   keys     K = x(SK_IFD * PK_IC) (field size bytes); KSenc = KDF(K, 1),
 *            KSmac = KDF(K, 2) (SHA-1, AES-128); secure messaging restarts with SSC 0
 *            (card_ca_session_keys). Success is implicit: the next protected response
 *            must verify under the new keys.
 *
 * The ephemeral key comes from OpenSSL's CSPRNG on the chip key's own domain parameters
 * (no injected randomness: a recorded CA session cannot be replayed). CA proves
 * possession of the DG14 key only; DG14 must pass passive authentication (card_pa) for
 * that key to be the issuer's.
 *
 * Ownership: struct card_ca_params owns chip_key; card_ca_params_clear() frees it (safe
 * on a zeroed or cleared struct). Session keys are written to caller buffers the caller
 * wipes. Errors: EID_ERR_UNSUPPORTED (no usable CA in DG14), EID_ERR_LDS (DG14 does not
 * parse), EID_ERR_KEY (unusable or invalid public key), EID_ERR_CRYPTO.
 */
#ifndef CARD_CA_H
#define CARD_CA_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "eid_err.h"
#include "card_smcrypto.h"

#define CARD_CA_OID_ECDH_AES128 "0.4.0.127.0.7.2.2.3.2.2"
#define CARD_CA_MAX_POINT       133     /* uncompressed point up to P-521 */

struct card_ca_params {
	long key_id;                    /* keyId of the chosen key, or -1 */
	long version;                   /* ChipAuthenticationInfo version */
	EVP_PKEY *chip_key;             /* owned: the chip's static EC public key */
};

/* Find a usable CA key and protocol in a whole DG14 file (tag 6E). */
int card_ca_params_from_dg14(const uint8_t *dg14, size_t len,
    struct card_ca_params *out) EID_WARN_UNUSED;
void card_ca_params_clear(struct card_ca_params *p);

/* MSE:Set AT data: 80 <OID> [84 <keyId>]. */
int card_ca_mse_data(const struct card_ca_params *p, uint8_t *out, size_t outsz,
    size_t *outlen) EID_WARN_UNUSED;

/* A new ephemeral key pair on the chip key's domain parameters (caller frees). */
int card_ca_ephemeral(const struct card_ca_params *p, EVP_PKEY **out) EID_WARN_UNUSED;

/* The uncompressed public point of an EC key (04 || x || y). */
int card_ca_public_point(EVP_PKEY *k, uint8_t *out, size_t outsz,
    size_t *outlen) EID_WARN_UNUSED;

/*
 * KSenc, KSmac from ECDH(own private key, peer public key). Either side can call it:
 * the terminal with (ephemeral, chip key), a test chip with (chip key, ephemeral).
 * The peer key is checked (on the curve, same domain parameters) before use.
 */
int card_ca_session_keys(EVP_PKEY *own, EVP_PKEY *peer, uint8_t kenc[CARD_SM_KEY_LEN],
    uint8_t kmac[CARD_SM_KEY_LEN]) EID_WARN_UNUSED;

#endif /* CARD_CA_H */
