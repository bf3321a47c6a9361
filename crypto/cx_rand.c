/*
 * cx_rand.c - the CSPRNG behind cx_random and cx_random_token (declared in cx_util.h).
 *
 * Tokens, codes, jti values and nonces are drawn on every request; libsodium's
 * randombytes_buf makes one getrandom system call per draw, which on this project's
 * virtualised machines costs about as much as the rest of a JWKS answer. So each thread
 * keeps a generator in the style of OpenBSD's arc4random and Linux's own crng ("fast key
 * erasure"): a 32-byte key from the kernel (randombytes_buf) is expanded with ChaCha20
 * into one block; the block's first 32 bytes replace the key at once, so the key that
 * made the bytes handed out no longer exists anywhere; the rest of the block is handed
 * out front to back and wiped as it goes. A thread takes a fresh kernel key every
 * RESEED_BLOCKS blocks, and at its next draw after a fork (a child must never repeat its
 * parent's stream). A thread's state is wiped when the thread ends.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cx_util.h"

#define BLOCK_BYTES     512
#define KEY_BYTES       crypto_stream_chacha20_KEYBYTES
#define RESEED_BLOCKS   256             /* 120 KiB of output per kernel key */

struct rand_state {
	uint8_t key[KEY_BYTES];
	uint8_t block[BLOCK_BYTES];
	size_t pos;                     /* next unused byte of block; BLOCK_BYTES: none left */
	unsigned blocks;                /* made since the last kernel key */
	unsigned fork_gen;              /* fork_generation when the kernel key was taken */
	int keyed, registered;
};

static _Thread_local struct rand_state rs = { .pos = BLOCK_BYTES };
static atomic_uint fork_generation;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_key_t wipe_key;
static int wipe_key_ok;

static void
on_fork_child(void)
{
	atomic_fetch_add(&fork_generation, 1);
}

static void
wipe_state(void *p)
{
	sodium_memzero(p, sizeof(struct rand_state));
}

static void
init_once(void)
{
	wipe_key_ok = pthread_key_create(&wipe_key, wipe_state) == 0;
	if (pthread_atfork(NULL, NULL, on_fork_child) != 0)
		abort();        /* without it a child could repeat its parent's bytes */
}

/* A new block, and with it a new key; from the kernel first when it is due. */
static void
refill(struct rand_state *s, unsigned gen)
{
	static const uint8_t nonce[crypto_stream_chacha20_NONCEBYTES];  /* one block per key */

	if (!s->keyed || s->fork_gen != gen || s->blocks >= RESEED_BLOCKS) {
		randombytes_buf(s->key, sizeof(s->key));
		s->keyed = 1;
		s->fork_gen = gen;
		s->blocks = 0;
	}
	crypto_stream_chacha20(s->block, sizeof(s->block), nonce, s->key);
	memcpy(s->key, s->block, KEY_BYTES);
	sodium_memzero(s->block, KEY_BYTES);
	s->pos = KEY_BYTES;
	s->blocks++;
}

void
cx_random(void *buf, size_t n)
{
	struct rand_state *s = &rs;
	uint8_t *out = buf;
	unsigned gen;
	size_t take;

	(void)pthread_once(&once, init_once);
	if (!s->registered && wipe_key_ok)
		s->registered = pthread_setspecific(wipe_key, s) == 0;
	gen = atomic_load(&fork_generation);
	if (s->keyed && s->fork_gen != gen)
		s->pos = BLOCK_BYTES;           /* forked: nothing buffered may be used */
	while (n > 0) {
		if (s->pos == BLOCK_BYTES)
			refill(s, gen);
		take = BLOCK_BYTES - s->pos < n ? BLOCK_BYTES - s->pos : n;
		memcpy(out, s->block + s->pos, take);
		sodium_memzero(s->block + s->pos, take);
		s->pos += take;
		out += take;
		n -= take;
	}
}

void
cx_random_token(char *out, size_t outsz, size_t n)
{
	uint8_t raw[64];

	if (n > sizeof(raw) || outsz < CX_B64URL_LEN(n))
		abort();        /* programming error: sizes are compile-time choices */
	cx_random(raw, n);
	sodium_bin2base64(out, outsz, raw, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}
