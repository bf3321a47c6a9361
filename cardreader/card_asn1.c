/* card_asn1.c - single-element DER decoders via OpenSSL (see card_asn1.h). */
#include <limits.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/objects.h>

#include "card_asn1.h"

int
card_asn1_oid_text(const uint8_t *der, size_t len, char *out, size_t outsz)
{
	ASN1_OBJECT *obj = NULL;
	const unsigned char *p = der;
	int n, r = EID_ERR_ENCODING;

	if (out == NULL || outsz < 2)
		return EID_ERR_INVALID_ARGUMENT;
	out[0] = '\0';
	if (der == NULL || len == 0 || len > INT_MAX)
		return EID_ERR_ENCODING;
	if ((obj = d2i_ASN1_OBJECT(NULL, &p, (long)len)) == NULL || p != der + len)
		goto out;
	n = OBJ_obj2txt(out, (int)(outsz > INT_MAX ? INT_MAX : outsz), obj, 1);
	if (n <= 0 || (size_t)n >= outsz) {
		out[0] = '\0';
		r = n <= 0 ? EID_ERR_ENCODING : EID_ERR_TOO_LARGE;
		goto out;
	}
	r = 0;
out:
	ASN1_OBJECT_free(obj);
	return r;
}

int
card_asn1_int(const uint8_t *der, size_t len, long min, long max, long *out)
{
	ASN1_INTEGER *ai = NULL;
	const unsigned char *p = der;
	int64_t v = 0;
	int r = EID_ERR_ENCODING;

	*out = 0;
	if (der == NULL || len == 0 || len > INT_MAX)
		return EID_ERR_ENCODING;
	if ((ai = d2i_ASN1_INTEGER(NULL, &p, (long)len)) == NULL || p != der + len)
		goto out;
	if (ASN1_INTEGER_get_int64(&v, ai) != 1 || v < min || v > max)
		goto out;
	*out = (long)v;
	r = 0;
out:
	ASN1_INTEGER_free(ai);
	return r;
}

int
card_asn1_oid_under(const char *oid, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(oid, prefix, n) == 0 && (oid[n] == '\0' || oid[n] == '.');
}
