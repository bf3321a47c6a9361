/* fuzz_apdu.c - APDU response/command parsing (cardreader/card_apdu.c) and secure
 * messaging unprotect (card_sm.c) with fixed keys, 3DES and AES, on arbitrary input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eid_limits.h"
#include "card_apdu.h"
#include "card_sm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[EID_APDU_MAX_RESPONSE];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* ICAO 9303-11 D.4 session keys for 3DES; fixed AES keys */
	static const uint8_t ke[16] = { 0x97, 0x9E, 0xC1, 0x3B, 0x1C, 0xBF, 0xE9, 0xDC, 0xD0,
	    0x1A, 0xB0, 0xFE, 0xD3, 0x07, 0xEA, 0xE5 };
	static const uint8_t km[16] = { 0xF1, 0xCB, 0x1F, 0x1F, 0xB5, 0xAD, 0xF2, 0x08, 0x80,
	    0x6B, 0x89, 0xDC, 0x57, 0x9D, 0xC1, 0xF8 };
	static const uint8_t ssc8[8] = { 0x88, 0x70, 0x22, 0x12, 0x0C, 0x06, 0xC2, 0x27 };
	static const uint8_t ssc16[16] = { 0 };
	struct card_rapdu ra;
	struct card_apdu ca;
	struct card_sm *sm = NULL;
	size_t dl = 0;
	uint16_t sw = 0;
	int r;

	if (card_apdu_parse_response(data, size, &ra) == 0) {
		if (ra.len + 2 != size || (ra.len > 0 && ra.data != data))
			abort();
	}
	if (card_apdu_parse_command(data, size, &ca) == 0) {
		if (ca.lc > size || (ca.lc > 0 && (ca.data < data || ca.data + ca.lc > data + size)))
			abort();
	}
	/* D.4: the SELECT response is answered at SSC ...C228 */
	if (card_sm_new(CARD_SM_3DES, ke, km, ssc8, 8, &sm) == 0) {
		r = card_sm_unprotect(sm, data, size, out, sizeof(out), &dl, &sw);
		if (r == 0 && dl > sizeof(out))
			abort();
		card_sm_free(&sm);
	}
	if (card_sm_new(CARD_SM_AES128, ke, km, ssc16, 16, &sm) == 0) {
		r = card_sm_unprotect(sm, data, size, out, sizeof(out), &dl, &sw);
		if (r == 0 && dl > sizeof(out))
			abort();
		card_sm_free(&sm);
	}
	return 0;
}
