/*
 * card_apdu.h - ISO/IEC 7816-4 command and response APDUs.
 *
 * A command is described by struct card_apdu (header, borrowed data, expected length)
 * and encoded with card_apdu_build() in short form when it fits, else extended form:
 *   case 1  CLA INS P1 P2
 *   case 2  ... Le                   (Le 1..256; 256 encodes as 00)
 *   case 3  ... Lc data
 *   case 4  ... Lc data Le
 *   extended when Lc > 255 or Le > 256: Lc = 00 hi lo, Le = hi lo (65536 -> 00 00),
 *   and for case 2 Le = 00 hi lo.
 * A response is data followed by SW1 SW2; card_apdu_parse_response() splits it and
 * refuses anything shorter than 2 bytes or longer than EID_APDU_MAX_RESPONSE + 2.
 *
 * Ownership: nothing here allocates. struct card_rapdu's data points into the caller's
 * response buffer (borrowed).
 */
#ifndef CARD_APDU_H
#define CARD_APDU_H

#include <stddef.h>
#include <stdint.h>

#include "eid_err.h"

#define CARD_APDU_LE_SHORT_MAX  256
#define CARD_APDU_LE_EXT_MAX    65536
#define CARD_APDU_LC_EXT_MAX    65535
/* header 4 + extended Lc 3 + data + extended Le 2 */
#define CARD_APDU_OVERHEAD      9

/* Status words the card side of the project looks at. */
#define CARD_SW_OK                      0x9000
#define CARD_SW_END_OF_FILE             0x6282  /* warning: fewer bytes than Le */
#define CARD_SW_VERIFY_FAILED           0x6300
#define CARD_SW_WRONG_LENGTH            0x6700
#define CARD_SW_SECURITY_NOT_SATISFIED  0x6982
#define CARD_SW_AUTH_BLOCKED            0x6983
#define CARD_SW_CONDITIONS_NOT_SATISFIED 0x6985
#define CARD_SW_NO_CURRENT_EF           0x6986
#define CARD_SW_SM_MISSING              0x6987
#define CARD_SW_SM_INCORRECT            0x6988
#define CARD_SW_FILE_NOT_FOUND          0x6A82
#define CARD_SW_WRONG_P1P2              0x6B00
#define CARD_SW_INS_NOT_SUPPORTED       0x6D00

struct card_apdu {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data;    /* borrowed; NULL when lc == 0 */
	size_t lc;              /* 0..65535 */
	size_t le;              /* 0 = no Le field; 1..65536 */
};

struct card_rapdu {
	const uint8_t *data;    /* borrowed from the response buffer */
	size_t len;
	uint16_t sw;            /* SW1 << 8 | SW2 */
};

/* Fill a command description (data borrowed). */
void card_apdu_set(struct card_apdu *a, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
    const uint8_t *data, size_t lc, size_t le);

/* 1 if the command needs the extended length form. */
int card_apdu_is_extended(const struct card_apdu *a);

/* Encode into out[0..outsz); *outlen gets the length. */
int card_apdu_build(const struct card_apdu *a, uint8_t *out, size_t outsz,
    size_t *outlen) EID_WARN_UNUSED;

/* Decode an encoded command (for the replay transport, fuzzing and SM tests). The data
 * pointer borrows from buf. Refuses inconsistent lengths and trailing bytes. */
int card_apdu_parse_command(const uint8_t *buf, size_t len, struct card_apdu *out) EID_WARN_UNUSED;

/* Split a response into data and status word. */
int card_apdu_parse_response(const uint8_t *buf, size_t len,
    struct card_rapdu *out) EID_WARN_UNUSED;

/* 1 for 9000 and 61xx (more data); 6282 is a warning the caller decides on. */
int card_sw_ok(uint16_t sw);

#endif /* CARD_APDU_H */
