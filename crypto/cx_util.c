/* cx_util.c - constant-time compare, wiping, CSPRNG and base64 (see cx_util.h). */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <sodium.h>

#include "cx_util.h"

int
cx_init(void)
{
	return sodium_init() < 0 ? EID_ERR_CRYPTO : 0;
}

int
cx_ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	if (a == NULL || b == NULL || alen != blen)
		return 0;
	if (alen == 0)
		return 1;
	return CRYPTO_memcmp(a, b, alen) == 0;
}

int
cx_ct_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return 0;
	return cx_ct_equal(a, strlen(a), b, strlen(b));
}

void
cx_wipe(void *p, size_t n)
{
	if (p != NULL && n != 0)
		sodium_memzero(p, n);
}

void
cx_free_str(char *s)
{
	if (s == NULL)
		return;
	sodium_memzero(s, strlen(s));
	free(s);
}

static int
b64_encode(char *out, size_t outsz, const void *in, size_t inlen, int variant)
{
	if (outsz < sodium_base64_encoded_len(inlen, variant))
		return EID_ERR_TOO_LARGE;
	sodium_bin2base64(out, outsz, in, inlen, variant);
	return 0;
}

int
cx_b64url_encode(char *out, size_t outsz, const void *in, size_t inlen)
{
	return b64_encode(out, outsz, in, inlen, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int
cx_b64_encode(char *out, size_t outsz, const void *in, size_t inlen)
{
	return b64_encode(out, outsz, in, inlen, sodium_base64_VARIANT_ORIGINAL);
}

static int
b64_decode(uint8_t *out, size_t outsz, size_t *outlen, const char *in, size_t inlen,
    int variant)
{
	const char *end = NULL;
	size_t n = 0;

	size_t chars = inlen;

	if (in == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	while (chars > 0 && in[chars - 1] == '=')
		chars--;
	if (chars / 4 * 3 + (chars % 4 > 1 ? chars % 4 - 1 : 0) > outsz)
		return EID_ERR_TOO_LARGE;
	if (sodium_base642bin(out, outsz, in, inlen, NULL, &n, &end, variant) != 0)
		return EID_ERR_ENCODING;
	if (end != in + inlen)
		return EID_ERR_ENCODING;
	*outlen = n;
	return 0;
}

int
cx_b64url_decode(uint8_t *out, size_t outsz, size_t *outlen, const char *in, size_t inlen)
{
	return b64_decode(out, outsz, outlen, in, inlen,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int
cx_b64_decode(uint8_t *out, size_t outsz, size_t *outlen, const char *in, size_t inlen)
{
	return b64_decode(out, outsz, outlen, in, inlen, sodium_base64_VARIANT_ORIGINAL);
}

static int
b64_decode_alloc(uint8_t **out, size_t *outlen, const char *in, size_t inlen,
    size_t maxlen, int variant)
{
	size_t cap = inlen / 4 * 3 + 3;
	uint8_t *p;
	int r;

	*out = NULL;
	*outlen = 0;
	if (cap > maxlen + 3)
		return EID_ERR_TOO_LARGE;
	if ((p = malloc(cap + 1)) == NULL)
		return EID_ERR_NOMEM;
	if ((r = b64_decode(p, cap, outlen, in, inlen, variant)) != 0) {
		free(p);
		return r;
	}
	if (*outlen > maxlen) {
		free(p);
		*outlen = 0;
		return EID_ERR_TOO_LARGE;
	}
	*out = p;
	return 0;
}

int
cx_b64url_decode_alloc(uint8_t **out, size_t *outlen, const char *in, size_t inlen,
    size_t maxlen)
{
	return b64_decode_alloc(out, outlen, in, inlen, maxlen,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int
cx_b64_decode_alloc(uint8_t **out, size_t *outlen, const char *in, size_t inlen,
    size_t maxlen)
{
	return b64_decode_alloc(out, outlen, in, inlen, maxlen, sodium_base64_VARIANT_ORIGINAL);
}

void
cx_hex_encode(char *out, const void *in, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = in;
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 0x0f];
	}
	out[2 * n] = '\0';
}
