/*
 * trnd.h - a deterministic "random" source for recorded sessions (tests only): the
 * recorder and the replay test must draw the same terminal nonces and keys. Bytes stay
 * below 0x80 so every scalar is smaller than the brainpoolP256r1 / P-256 group order.
 */
#ifndef CARD_TRND_H
#define CARD_TRND_H

#include <stddef.h>
#include <stdint.h>

static uint32_t trnd_state = 1;

static inline void
trnd_reset(void)
{
	trnd_state = 1;
}

static inline void
trnd(void *buf, size_t n)
{
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < n; i++) {
		trnd_state = trnd_state * 1103515245u + 12345u;
		p[i] = (uint8_t)((trnd_state >> 16) & 0x7F);
	}
}

#endif /* CARD_TRND_H */
