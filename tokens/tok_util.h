/*
 * tok_util.h - internal helpers of tokens/ (not for other folders).
 *
 * tok_json_load_object(): the one way tokens/ parses untrusted JSON text: at most
 * maxbytes, nesting depth at most EID_JSON_MAX_DEPTH (checked on the raw text before
 * jansson sees it), duplicate keys refused, no trailing data, top level an object.
 * The caller owns *out (json_decref).
 *
 * tok_b64url_decode_alloc(): strict base64url (no padding, no whitespace, zero unused
 * bits) into a fresh buffer of at most maxlen bytes, NUL-terminated past *outlen so a
 * text payload can be used as a string. Caller frees (wipes first if secret).
 * tok_b64url_encode_alloc(): base64url without padding; caller frees.
 */
#ifndef TOK_UTIL_H
#define TOK_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "eid_err.h"

struct tok_key;

int tok_json_depth_ok(const char *text, size_t len, int maxdepth);
int tok_json_load_object(const char *text, size_t len, size_t maxbytes, json_t **out)
    EID_WARN_UNUSED;

int tok_b64url_decode_alloc(const char *in, size_t inlen, size_t maxlen, uint8_t **out,
    size_t *outlen) EID_WARN_UNUSED;
int tok_b64url_encode_alloc(const void *in, size_t inlen, char **out) EID_WARN_UNUSED;

/* The key's EVP_PKEY, borrowed (tok_key.c; used by tok_sig.c). */
EVP_PKEY *tok_key_evp(const struct tok_key *key);

#endif /* TOK_UTIL_H */
