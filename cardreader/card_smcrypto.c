/* card_smcrypto.c - 3DES/AES, retail MAC, CMAC, KDF and padding (see card_smcrypto.h). */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <sodium.h>

#include "card_smcrypto.h"

size_t
card_sm_block_size(enum card_sm_cipher c)
{
	return c == CARD_SM_AES128 ? 16 : 8;
}

void
card_des_set_parity(uint8_t *key, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		uint8_t b = key[i] & 0xFE;
		int ones = __builtin_popcount(b);

		key[i] = (uint8_t)(b | ((ones & 1) ? 0 : 1));
	}
}

int
card_kdf(enum card_sm_cipher c, const uint8_t *seed, size_t seed_len, uint32_t counter,
    uint8_t out[CARD_SM_KEY_LEN])
{
	EVP_MD_CTX *md = NULL;
	uint8_t ctr[4], dig[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	int r = EID_ERR_CRYPTO;

	ctr[0] = (uint8_t)(counter >> 24);
	ctr[1] = (uint8_t)(counter >> 16);
	ctr[2] = (uint8_t)(counter >> 8);
	ctr[3] = (uint8_t)counter;
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha1(), NULL) != 1 ||
	    EVP_DigestUpdate(md, seed, seed_len) != 1 ||
	    EVP_DigestUpdate(md, ctr, sizeof(ctr)) != 1 ||
	    EVP_DigestFinal_ex(md, dig, &dlen) != 1 || dlen < CARD_SM_KEY_LEN)
		goto out;
	memcpy(out, dig, CARD_SM_KEY_LEN);
	if (c == CARD_SM_3DES)
		card_des_set_parity(out, CARD_SM_KEY_LEN);
	r = EID_OK;
out:
	sodium_memzero(dig, sizeof(dig));
	EVP_MD_CTX_free(md);
	return r;
}

static int
evp_crypt(const EVP_CIPHER *cipher, int encrypt, const uint8_t *key, const uint8_t *iv,
    const uint8_t *in, size_t len, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = NULL;
	int n = 0, f = 0, r = EID_ERR_CRYPTO;

	if (len > (size_t)1 << 30)
		return EID_ERR_TOO_LARGE;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_CipherInit_ex(ctx, cipher, NULL, key, iv, encrypt) != 1 ||
	    EVP_CIPHER_CTX_set_padding(ctx, 0) != 1 ||
	    EVP_CipherUpdate(ctx, out, &n, in, (int)len) != 1 ||
	    EVP_CipherFinal_ex(ctx, out + n, &f) != 1 || (size_t)(n + f) != len)
		goto out;
	r = EID_OK;
out:
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

int
card_cbc(enum card_sm_cipher c, int encrypt, const uint8_t key[CARD_SM_KEY_LEN],
    const uint8_t *iv, const uint8_t *in, size_t len, uint8_t *out)
{
	static const uint8_t zero[16];
	size_t bs = card_sm_block_size(c);

	if (len % bs != 0)
		return EID_ERR_INVALID_ARGUMENT;
	if (len == 0)
		return EID_OK;
	return evp_crypt(c == CARD_SM_AES128 ? EVP_aes_128_cbc() : EVP_des_ede_cbc(),
	    encrypt, key, iv != NULL ? iv : zero, in, len, out);
}

int
card_aes_ecb_block(const uint8_t key[CARD_SM_KEY_LEN], const uint8_t in[16], uint8_t out[16])
{
	return evp_crypt(EVP_aes_128_ecb(), 1, key, NULL, in, 16, out);
}

/* ISO/IEC 9797-1 MAC algorithm 3 with DES: CBC-DES with KA over all blocks, then the
 * last chaining value goes through D(KB), E(KA). Done as: single-DES CBC (3DES with
 * key KA||KA) over blocks 1..n-1, then 3DES-EDE(KA,KB) of (H[n-1] xor last block). */
static int
retail_mac(const uint8_t key[16], const uint8_t *msg, size_t len, uint8_t out[8])
{
	uint8_t kaka[16], h[8] = { 0 }, x[8], *tmp = NULL;
	size_t i, head;
	int r = EID_ERR_INVALID_ARGUMENT;

	if (len == 0 || len % 8 != 0)
		goto out;
	memcpy(kaka, key, 8);
	memcpy(kaka + 8, key, 8);
	head = len - 8;
	if (head > 0) {
		r = EID_ERR_NOMEM;
		if ((tmp = malloc(head)) == NULL)
			goto out;
		if ((r = evp_crypt(EVP_des_ede_cbc(), 1, kaka, h, msg, head, tmp)) != 0)
			goto out;
		memcpy(h, tmp + head - 8, 8);
	}
	for (i = 0; i < 8; i++)
		x[i] = h[i] ^ msg[head + i];
	r = evp_crypt(EVP_des_ede_ecb(), 1, key, NULL, x, 8, out);
out:
	sodium_memzero(kaka, sizeof(kaka));
	sodium_memzero(h, sizeof(h));
	sodium_memzero(x, sizeof(x));
	free(tmp);
	return r;
}

static int
aes_cmac(const uint8_t key[16], const uint8_t *msg, size_t len, uint8_t out[8])
{
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	uint8_t full[16];
	size_t flen = 0;
	int r = EID_ERR_CRYPTO;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER,
	    (char *)"AES-128-CBC", 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((mac = EVP_MAC_fetch(NULL, "CMAC", NULL)) == NULL ||
	    (ctx = EVP_MAC_CTX_new(mac)) == NULL ||
	    EVP_MAC_init(ctx, key, 16, params) != 1 ||
	    EVP_MAC_update(ctx, msg, len) != 1 ||
	    EVP_MAC_final(ctx, full, &flen, sizeof(full)) != 1 || flen != 16)
		goto out;
	memcpy(out, full, 8);
	r = EID_OK;
out:
	sodium_memzero(full, sizeof(full));
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return r;
}

int
card_mac(enum card_sm_cipher c, const uint8_t key[CARD_SM_KEY_LEN], const uint8_t *msg,
    size_t len, uint8_t out[CARD_SM_MAC_LEN])
{
	return c == CARD_SM_AES128 ? aes_cmac(key, msg, len, out) : retail_mac(key, msg, len, out);
}

int
card_pad(uint8_t *buf, size_t len, size_t bufsz, size_t block, size_t *newlen)
{
	size_t n = len + 1;

	while (n % block != 0)
		n++;
	if (n > bufsz || n < len)
		return EID_ERR_TOO_LARGE;
	buf[len] = 0x80;
	memset(buf + len + 1, 0, n - len - 1);
	*newlen = n;
	return EID_OK;
}

int
card_unpad(const uint8_t *buf, size_t len, size_t *unpadded)
{
	size_t i = len;

	while (i > 0 && buf[i - 1] == 0x00)
		i--;
	if (i == 0 || buf[i - 1] != 0x80 || len - i >= CARD_SM_MAX_BLOCK)
		return EID_ERR_FORMAT;
	*unpadded = i - 1;
	return EID_OK;
}
