/*
 * card_sm.h - ICAO 9303-11 §9.8 secure messaging (ISO/IEC 7816-4 SM) for one session.
 *
 *   protect:   SSC++; header CLA|0C INS P1 P2 padded; data padded and encrypted into
 *              DO'87' (01 || cryptogram) or DO'85' (odd INS); Le into DO'97';
 *              DO'8E' = MAC(pad(SSC || header || DOs)); Le of the protected APDU is 00
 *              (or extended 00 00 when the expected answer does not fit 256 bytes).
 *   unprotect: SSC++; DOs parsed with card_tlv; the MAC over SSC || DO'87'/'85' || DO'99'
 *              is checked in constant time BEFORE anything is decrypted; DO'99' must be
 *              present and gives the status word.
 *   3DES (BAC): retail MAC, 8-byte SSC, zero IV. AES (PACE/CA): CMAC/8, 16-byte SSC,
 *              IV = AES(KSenc, SSC).
 *
 * Ownership: card_sm_new() copies the keys into a new object; card_sm_free() wipes it
 * (sodium_memzero) and NULLs the caller's pointer. The object is not thread-safe.
 * After any SM failure the object is "broken": every later call fails with EID_ERR_SM
 * (the card ends its session too, the SSCs no longer agree).
 */
#ifndef CARD_SM_H
#define CARD_SM_H

#include <stddef.h>
#include <stdint.h>

#include "eid_err.h"
#include "card_apdu.h"
#include "card_smcrypto.h"

/* SM overhead a protected response can add on top of its plain data */
#define CARD_SM_RESP_OVERHEAD 64

struct card_sm;

int card_sm_new(enum card_sm_cipher c, const uint8_t kenc[CARD_SM_KEY_LEN],
    const uint8_t kmac[CARD_SM_KEY_LEN], const uint8_t *ssc, size_t ssc_len,
    struct card_sm **out) EID_WARN_UNUSED;
void card_sm_free(struct card_sm **sm);

enum card_sm_cipher card_sm_cipher(const struct card_sm *sm);

/* Encode the protected form of cmd into out[0..outsz). */
int card_sm_protect(struct card_sm *sm, const struct card_apdu *cmd, uint8_t *out,
    size_t outsz, size_t *outlen) EID_WARN_UNUSED;

/*
 * Verify and decrypt a protected response (data + SW1 SW2 as received). The plain data
 * goes to data[0..datasz) and *sw gets the status word from DO'99'. A plain error
 * answer (no SM objects, e.g. 6987/6988) returns EID_ERR_SM with *sw set to it.
 */
int card_sm_unprotect(struct card_sm *sm, const uint8_t *resp, size_t resp_len,
    uint8_t *data, size_t datasz, size_t *datalen, uint16_t *sw) EID_WARN_UNUSED;

/* Copy of the current SSC (tests). */
size_t card_sm_ssc(const struct card_sm *sm, uint8_t *out, size_t outsz);

#endif /* CARD_SM_H */
