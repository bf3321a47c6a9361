/* tok_util.c - bounded JSON loading and base64url helpers for tokens/ (see tok_util.h). */
#include <stdlib.h>
#include <string.h>

#include "cx_util.h"
#include "eid_limits.h"
#include "tok_util.h"

int
tok_json_depth_ok(const char *text, size_t len, int maxdepth)
{
	int depth = 0, in_str = 0, esc = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		char c = text[i];

		if (in_str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			if (++depth > maxdepth)
				return 0;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return 1;
}

int
tok_json_load_object(const char *text, size_t len, size_t maxbytes, json_t **out)
{
	json_error_t jerr;
	json_t *j = NULL;

	*out = NULL;
	if (text == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if (len > maxbytes)
		return EID_ERR_TOO_LARGE;
	if (!tok_json_depth_ok(text, len, EID_JSON_MAX_DEPTH))
		return EID_ERR_DEPTH;
	j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL)
		return EID_ERR_FORMAT;
	if (!json_is_object(j)) {
		json_decref(j);
		return EID_ERR_FORMAT;
	}
	*out = j;
	return 0;
}

int
tok_b64url_decode_alloc(const char *in, size_t inlen, size_t maxlen, uint8_t **out,
    size_t *outlen)
{
	size_t cap = inlen / 4 * 3 + 3, n = 0;
	uint8_t *p = NULL;
	int r;

	*out = NULL;
	*outlen = 0;
	if (in == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if (cap > maxlen + 3)
		return EID_ERR_TOO_LARGE;
	if ((p = malloc(cap + 1)) == NULL)
		return EID_ERR_NOMEM;
	if ((r = cx_b64url_decode(p, cap, &n, in, inlen)) != 0)
		goto out;
	if (n > maxlen) {
		r = EID_ERR_TOO_LARGE;
		goto out;
	}
	p[n] = '\0';
	*out = p;
	*outlen = n;
	p = NULL;
out:
	free(p);
	return r;
}

int
tok_b64url_encode_alloc(const void *in, size_t inlen, char **out)
{
	size_t sz = CX_B64URL_LEN(inlen) + 1;
	char *p;
	int r;

	*out = NULL;
	if ((p = malloc(sz)) == NULL)
		return EID_ERR_NOMEM;
	if ((r = cx_b64url_encode(p, sz, in, inlen)) != 0) {
		free(p);
		return r;
	}
	*out = p;
	return 0;
}
