/*
 * card_pace.h - PACE v2 with generic mapping over ECDH (ICAO 9303-11 §4.4, BSI TR-03110),
 * cipher suite id-PACE-ECDH-GM-AES-CBC-CMAC-128 (0.4.0.127.0.7.2.2.4.2.2) on
 * brainpoolP256r1 (parameterId 13) or NIST P-256 (parameterId 12).
 *
 *   password:  MRZ -> f(pi) = SHA-1(MRZ_information); CAN -> the CAN digits as bytes;
 *              K_pi = KDF(f(pi), 3) (SHA-1, 16 bytes).
 *   MSE:Set AT 00 22 C1 A4 { 80 OID, 83 01|02 (MRZ|CAN), 84 parameterId }
 *   GA1 (10 86)  -> 7C{80 z}; s = AES-CBC^-1(K_pi, IV 0, z)
 *   GA2 (10 86)  7C{81 PK_map,IFD} -> 7C{82 PK_map,IC}; H = sk_map * PK_map,IC;
 *                G' = s*G + H
 *   GA3 (10 86)  7C{83 PK_IFD (on G')} -> 7C{84 PK_IC}; PK_IC must differ from PK_IFD;
 *                K = x(sk * PK_IC); KSenc = KDF(K,1), KSmac = KDF(K,2)
 *   GA4 (00 86)  7C{85 T_IFD} -> 7C{86 T_IC}; T = CMAC(KSmac, 7F49{06 OID, 86 point})/8,
 *                T_IFD over PK_IC, T_IC over PK_IFD; checked in constant time.
 *   Then AES secure messaging with SSC = 0.
 *
 * Every public point received is decoded with EC_POINT_oct2point (on-curve check) and
 * must not be the point at infinity. Secrets (K_pi, s, private scalars, K, session keys)
 * are wiped. Errors: EID_ERR_ACCESS_DENIED (wrong password: 6300/6982 at GA4, or a token
 * that does not verify), EID_ERR_UNSUPPORTED (no usable PACEInfo), EID_ERR_APDU, transport
 * errors.
 */
#ifndef CARD_PACE_H
#define CARD_PACE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ec.h>

#include "eid_err.h"
#include "card_sm.h"
#include "card_transport.h"

enum card_pace_pw {
	CARD_PACE_MRZ = 1,
	CARD_PACE_CAN = 2,
};

#define CARD_PACE_OID_GM_AES128 "0.4.0.127.0.7.2.2.4.2.2"

/* The PACEInfo this module can use: parameter id 12 or 13 with the GM-AES-128 OID. */
struct card_pace_info {
	long parameter_id;
	int curve_nid;
};

/* Find a usable PACEInfo in EF.CardAccess (a SET of SecurityInfos). */
int card_pace_parse_card_access(const uint8_t *buf, size_t len,
    struct card_pace_info *out) EID_WARN_UNUSED;

/* K_pi for the password (MRZ information string, or CAN digits). Wipe after use. */
int card_pace_kpi(enum card_pace_pw type, const char *pw, uint8_t kpi[16]) EID_WARN_UNUSED;

/* G' = s*G + H (generic mapping) on group; *out is a new point (caller frees). */
int card_pace_map_generator(const EC_GROUP *group, const uint8_t *s, size_t s_len,
    const EC_POINT *h, EC_POINT **out) EID_WARN_UNUSED;

/* T = CMAC(kmac, 7F49{06 OID, 86 point})[0..7]. */
int card_pace_token(const uint8_t kmac[16], const uint8_t *point, size_t point_len,
    uint8_t out[8]) EID_WARN_UNUSED;

/*
 * Run PACE over t (the card must be in the MF or the eMRTD application, without SM).
 * rnd supplies randomness for the private scalars (NULL = CSPRNG), so a recorded
 * session can be replayed. *out gets the AES SM session.
 */
int card_pace_perform(struct card_transport *t, const struct card_pace_info *info,
    enum card_pace_pw type, const char *pw, void (*rnd)(void *buf, size_t n),
    struct card_sm **out) EID_WARN_UNUSED;

#endif /* CARD_PACE_H */
