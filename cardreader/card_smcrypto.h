/*
 * card_smcrypto.h - the symmetric primitives of ICAO 9303-11 access control and secure
 * messaging, on OpenSSL EVP:
 *
 *   3DES  2-key 3DES-EDE-CBC (zero IV unless given), retail MAC = ISO/IEC 9797-1 MAC
 *         algorithm 3 with single DES, 8-byte blocks. Single DES is done as 3DES with
 *         K1 = K2 (OpenSSL 3 keeps plain DES in the legacy provider).
 *   AES   AES-128-CBC, AES-128-ECB for the SM IV, AES-CMAC truncated to 8 bytes.
 *   KDF   (§9.7.1) K = SHA-1(seed || counter)[0..15]; counter 1 = enc, 2 = MAC,
 *         3 = PACE password key; 3DES keys get odd DES parity.
 *   Padding ISO/IEC 9797-1 method 2 (80 00..) to the block size.
 *
 * Keys are 16 bytes for both ciphers. Callers own every buffer; nothing allocates
 * except the EVP contexts, which are freed before returning. Temporary key material is
 * wiped. Errors: EID_ERR_CRYPTO (OpenSSL failed), EID_ERR_INVALID_ARGUMENT (length not a
 * block multiple), EID_ERR_TOO_LARGE (output buffer), EID_ERR_FORMAT (bad padding).
 */
#ifndef CARD_SMCRYPTO_H
#define CARD_SMCRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "eid_err.h"

enum card_sm_cipher {
	CARD_SM_3DES = 1,
	CARD_SM_AES128 = 2,
};

#define CARD_SM_KEY_LEN  16
#define CARD_SM_MAC_LEN  8
#define CARD_SM_MAX_BLOCK 16

#define CARD_KDF_ENC 1
#define CARD_KDF_MAC 2
#define CARD_KDF_PI  3

size_t card_sm_block_size(enum card_sm_cipher c);

/* Set odd parity on every byte (DES keys). */
void card_des_set_parity(uint8_t *key, size_t len);

/* out[16] = KDF(seed, counter) for the cipher. */
int card_kdf(enum card_sm_cipher c, const uint8_t *seed, size_t seed_len, uint32_t counter,
    uint8_t out[CARD_SM_KEY_LEN]) EID_WARN_UNUSED;

/* CBC without padding; len must be a block multiple; iv NULL means zero. out may equal in. */
int card_cbc(enum card_sm_cipher c, int encrypt, const uint8_t key[CARD_SM_KEY_LEN],
    const uint8_t *iv, const uint8_t *in, size_t len, uint8_t *out) EID_WARN_UNUSED;

/* One AES-128 block in ECB mode (the AES SM IV). */
int card_aes_ecb_block(const uint8_t key[CARD_SM_KEY_LEN], const uint8_t in[16],
    uint8_t out[16]) EID_WARN_UNUSED;

/* 8-byte MAC: retail MAC (input must be padded, block multiple) or AES-CMAC (any length,
 * CMAC pads itself; ICAO SM passes padded input anyway). */
int card_mac(enum card_sm_cipher c, const uint8_t key[CARD_SM_KEY_LEN], const uint8_t *msg,
    size_t len, uint8_t out[CARD_SM_MAC_LEN]) EID_WARN_UNUSED;

/* Append 80 00.. to buf[0..len) up to a multiple of block; returns the new length in
 * *newlen. bufsz is the buffer's capacity. */
int card_pad(uint8_t *buf, size_t len, size_t bufsz, size_t block, size_t *newlen) EID_WARN_UNUSED;
/* Length without method-2 padding, or EID_ERR_FORMAT. */
int card_unpad(const uint8_t *buf, size_t len, size_t *unpadded) EID_WARN_UNUSED;

#endif /* CARD_SMCRYPTO_H */
