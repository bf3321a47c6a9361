/*
 * card_bac.h - Basic Access Control (ICAO 9303-11 §4.3, Appendix D).
 *
 *   keys:    Kseed = SHA-1(MRZ_information)[0..15]; Kenc = KDF(Kseed, 1), Kmac = KDF(Kseed, 2)
 *            (odd-parity 2-key 3DES keys).
 *   session: GET CHALLENGE -> RND.IC; S = RND.IFD || RND.IC || K.IFD; EIFD = 3DES(Kenc, S);
 *            MIFD = retail MAC(Kmac, pad(EIFD)); MUTUAL AUTHENTICATE(EIFD || MIFD) ->
 *            EIC || MIC; MIC checked (constant time) before EIC is decrypted; RND.IFD must
 *            come back; KSenc/KSmac = KDF(K.IFD xor K.IC, 1/2); SSC = RND.IC[4..7] ||
 *            RND.IFD[4..7].
 *
 * The MRZ information and every derived key are wiped before returning. The pure steps
 * (card_bac_keys, card_bac_request, card_bac_response) are exposed for the ICAO worked
 * example tests; card_bac_perform() drives them over a transport.
 * Errors: EID_ERR_ACCESS_DENIED when the chip refuses MUTUAL AUTHENTICATE (6300, 6982,
 * 6988; wrong MRZ) or its answer does not authenticate; transport errors as they come.
 */
#ifndef CARD_BAC_H
#define CARD_BAC_H

#include <stddef.h>
#include <stdint.h>

#include "eid_err.h"
#include "card_sm.h"
#include "card_transport.h"

#define CARD_BAC_RND_LEN  8
#define CARD_BAC_K_LEN    16
#define CARD_BAC_CMD_LEN  40    /* EIFD (32) || MIFD (8) */

struct card_bac_keys {
	uint8_t kenc[CARD_SM_KEY_LEN];
	uint8_t kmac[CARD_SM_KEY_LEN];
};

/* Kenc/Kmac from the MRZ information string (card_mrz_bac_seed). Wipe with cx_wipe. */
int card_bac_keys(const char *mrz_info, struct card_bac_keys *out) EID_WARN_UNUSED;

/* EIFD || MIFD for the given nonces. */
int card_bac_request(const struct card_bac_keys *k, const uint8_t rnd_ic[8],
    const uint8_t rnd_ifd[8], const uint8_t k_ifd[16],
    uint8_t out[CARD_BAC_CMD_LEN]) EID_WARN_UNUSED;

/* Check the chip's EIC || MIC and build the 3DES SM session (*out, caller frees). */
int card_bac_response(const struct card_bac_keys *k, const uint8_t *resp, size_t resp_len,
    const uint8_t rnd_ic[8], const uint8_t rnd_ifd[8], const uint8_t k_ifd[16],
    struct card_sm **out) EID_WARN_UNUSED;

/*
 * The whole exchange over t. rnd (may be NULL = libsodium CSPRNG) supplies RND.IFD and
 * K.IFD (24 bytes), so tests can replay a recorded session. *out gets the SM session.
 */
int card_bac_perform(struct card_transport *t, const char *mrz_info,
    void (*rnd)(void *buf, size_t n), struct card_sm **out) EID_WARN_UNUSED;

#endif /* CARD_BAC_H */
