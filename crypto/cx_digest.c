/*
 * cx_digest.c - SHA-256 for the request path (declared in cx_util.h).
 *
 * OpenSSL's one-shot SHA256() looks the algorithm up in the provider tables on every
 * call (EVP_Q_digest -> EVP_MD_fetch, with its locks); libsodium's SHA-256 is portable
 * C without the CPU's SHA extensions. This fetches OpenSSL's implementation once per
 * process and hashes with it, so a token hash costs the hashing alone.
 */
#include <pthread.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "cx_util.h"

static EVP_MD *sha256_md;
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void
fetch_sha256(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

int
cx_sha256(uint8_t out[32], const void *in, size_t len)
{
	EVP_MD_CTX *ctx;
	unsigned int n = 0;
	int ok;

	if (pthread_once(&fetch_once, fetch_sha256) != 0 || sha256_md == NULL ||
	    (ctx = EVP_MD_CTX_new()) == NULL)
		return EID_ERR_CRYPTO;
	ok = EVP_DigestInit_ex2(ctx, sha256_md, NULL) == 1 &&
	    EVP_DigestUpdate(ctx, in, len) == 1 &&
	    EVP_DigestFinal_ex(ctx, out, &n) == 1 && n == 32;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : EID_ERR_CRYPTO;
}
