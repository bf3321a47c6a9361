/* srv_totp.c - RFC 6238 TOTP (see srv_totp.h). */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cx_util.h"
#include "srv_totp.h"

static const uint32_t pow10_tab[] = { 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000 };

int
srv_totp_code_digits(const uint8_t *secret, size_t len, uint64_t counter, unsigned digits,
    uint32_t *code)
{
	uint8_t msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0, off;
	uint32_t bin;
	int i;

	*code = 0;
	if (secret == NULL || len == 0 || len > 64 || digits < 6 || digits > 8)
		return EID_ERR_INVALID_ARGUMENT;
	for (i = 7; i >= 0; i--) {
		msg[i] = (uint8_t)(counter & 0xff);
		counter >>= 8;
	}
	if (HMAC(EVP_sha1(), secret, (int)len, msg, sizeof(msg), mac, &maclen) == NULL ||
	    maclen != 20) {
		cx_wipe(mac, sizeof(mac));
		return EID_ERR_CRYPTO;
	}
	/* RFC 4226 section 5.3: dynamic truncation */
	off = mac[19] & 0x0f;
	bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
	    ((uint32_t)mac[off + 2] << 8) | (uint32_t)mac[off + 3];
	*code = bin % pow10_tab[digits];
	cx_wipe(mac, sizeof(mac));
	cx_wipe(&bin, sizeof(bin));
	return 0;
}

int
srv_totp_code(const uint8_t *secret, size_t len, uint64_t counter, uint32_t *code)
{
	return srv_totp_code_digits(secret, len, counter, SRV_TOTP_DIGITS, code);
}

int
srv_totp_verify(const uint8_t *secret, size_t len, const char *code, int64_t now,
    uint64_t *matched_counter)
{
	char want[SRV_TOTP_DIGITS + 1];
	uint64_t base, c, found = 0;
	uint32_t v;
	int i, r, ok, any = 0;

	*matched_counter = 0;
	if (code == NULL || strlen(code) != SRV_TOTP_DIGITS)
		return EID_ERR_FORMAT;
	for (i = 0; i < SRV_TOTP_DIGITS; i++)
		if (code[i] < '0' || code[i] > '9')
			return EID_ERR_FORMAT;
	if (now < 0)
		return EID_ERR_INVALID_ARGUMENT;
	base = (uint64_t)now / SRV_TOTP_STEP;
	/* compute and compare every window, so the time does not tell which one matched */
	for (i = -SRV_TOTP_SKEW; i <= SRV_TOTP_SKEW; i++) {
		if (i < 0 && base < (uint64_t)-i)
			continue;
		c = base + (uint64_t)(int64_t)i;
		if ((r = srv_totp_code(secret, len, c, &v)) != 0) {
			cx_wipe(want, sizeof(want));
			return r;
		}
		for (int d = SRV_TOTP_DIGITS - 1; d >= 0; d--) {
			want[d] = (char)('0' + v % 10);
			v /= 10;
		}
		want[SRV_TOTP_DIGITS] = '\0';
		ok = cx_ct_equal(want, SRV_TOTP_DIGITS, code, SRV_TOTP_DIGITS);
		if (ok && !any) {
			found = c;
			any = 1;
		}
	}
	cx_wipe(want, sizeof(want));
	if (!any)
		return EID_ERR_DENIED;
	*matched_counter = found;
	return 0;
}
