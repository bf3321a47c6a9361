/* cx_buf.c - bounded reader and capped dynamic buffer (see cx_buf.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cx_buf.h"

void
cx_rd_init(struct cx_reader *rd, const void *ptr, size_t len)
{
	rd->ptr = ptr;
	rd->len = ptr != NULL ? len : 0;
	rd->err = 0;
}

const uint8_t *
cx_rd_bytes(struct cx_reader *rd, size_t n)
{
	const uint8_t *p;

	if (rd->err != 0)
		return NULL;
	if (n > rd->len) {
		rd->err = EID_ERR_TRUNCATED;
		return NULL;
	}
	p = rd->ptr;
	rd->ptr += n;
	rd->len -= n;
	return p;
}

uint8_t
cx_rd_u8(struct cx_reader *rd)
{
	const uint8_t *p = cx_rd_bytes(rd, 1);

	return p != NULL ? p[0] : 0;
}

uint16_t
cx_rd_u16be(struct cx_reader *rd)
{
	const uint8_t *p = cx_rd_bytes(rd, 2);

	return p != NULL ? (uint16_t)((p[0] << 8) | p[1]) : 0;
}

uint32_t
cx_rd_u32be(struct cx_reader *rd)
{
	const uint8_t *p = cx_rd_bytes(rd, 4);

	if (p == NULL)
		return 0;
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

void
cx_rd_sub(struct cx_reader *rd, size_t n, struct cx_reader *sub)
{
	const uint8_t *p = cx_rd_bytes(rd, n);

	cx_rd_init(sub, p, p != NULL ? n : 0);
	sub->err = rd->err;
}

int
cx_rd_peek_u8(const struct cx_reader *rd, uint8_t *out)
{
	if (rd->err != 0 || rd->len == 0)
		return EID_ERR_TRUNCATED;
	*out = rd->ptr[0];
	return 0;
}

int
cx_rd_end(const struct cx_reader *rd)
{
	if (rd->err != 0)
		return rd->err;
	return rd->len == 0 ? 0 : EID_ERR_TRAILING_DATA;
}

void
cx_dynbuf_init(struct cx_dynbuf *b, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->cap = cap;
}

void
cx_dynbuf_init_secret(struct cx_dynbuf *b, size_t cap)
{
	cx_dynbuf_init(b, cap);
	b->secret = 1;
}

static int
dynbuf_reserve(struct cx_dynbuf *b, size_t extra)
{
	size_t need, nalloc;
	uint8_t *p;

	if (extra > b->cap || b->len > b->cap - extra)
		return EID_ERR_TOO_LARGE;
	need = b->len + extra + 1;              /* room for a NUL */
	if (need <= b->alloc)
		return 0;
	nalloc = b->alloc != 0 ? b->alloc : 64;
	while (nalloc < need)
		nalloc = nalloc > SIZE_MAX / 2 ? need : nalloc * 2;
	if (b->secret) {
		/* never leave a copy of a secret behind in freed memory */
		if ((p = malloc(nalloc)) == NULL)
			return EID_ERR_NOMEM;
		if (b->ptr != NULL) {
			memcpy(p, b->ptr, b->len);
			sodium_memzero(b->ptr, b->alloc);
			free(b->ptr);
		}
	} else if ((p = realloc(b->ptr, nalloc)) == NULL)
		return EID_ERR_NOMEM;
	b->ptr = p;
	b->alloc = nalloc;
	return 0;
}

int
cx_dynbuf_reserve(struct cx_dynbuf *b, size_t extra)
{
	return dynbuf_reserve(b, extra);
}

int
cx_dynbuf_add(struct cx_dynbuf *b, const void *p, size_t n)
{
	int r;

	if ((r = dynbuf_reserve(b, n)) != 0)
		return r;
	if (n != 0)
		memcpy(b->ptr + b->len, p, n);
	b->len += n;
	b->ptr[b->len] = '\0';
	return 0;
}

int
cx_dynbuf_add_str(struct cx_dynbuf *b, const char *s)
{
	return cx_dynbuf_add(b, s, strlen(s));
}

int
cx_dynbuf_addf(struct cx_dynbuf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	char *big = NULL;
	int n, r;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return EID_ERR_FORMAT;
	if ((size_t)n < sizeof(small)) {
		r = cx_dynbuf_add(b, small, (size_t)n);
		if (b->secret)
			sodium_memzero(small, sizeof(small));
		return r;
	}
	if ((r = dynbuf_reserve(b, (size_t)n)) != 0)
		return r;
	if ((big = malloc((size_t)n + 1)) == NULL)
		return EID_ERR_NOMEM;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	r = cx_dynbuf_add(b, big, (size_t)n);
	if (b->secret)
		sodium_memzero(big, (size_t)n + 1);
	free(big);
	return r;
}

const char *
cx_dynbuf_str(struct cx_dynbuf *b)
{
	return b->ptr != NULL ? (const char *)b->ptr : "";
}

char *
cx_dynbuf_take(struct cx_dynbuf *b, size_t *len)
{
	char *p;

	if (b->ptr == NULL && dynbuf_reserve(b, 0) != 0)
		return NULL;
	if (b->ptr != NULL && b->len == 0)
		b->ptr[0] = '\0';
	p = (char *)b->ptr;
	if (len != NULL)
		*len = b->len;
	b->ptr = NULL;
	b->len = b->alloc = 0;
	return p;
}

void
cx_dynbuf_reset(struct cx_dynbuf *b)
{
	if (b->ptr != NULL && b->secret)
		sodium_memzero(b->ptr, b->alloc);
	b->len = 0;
	if (b->ptr != NULL)
		b->ptr[0] = '\0';
}

void
cx_dynbuf_free(struct cx_dynbuf *b)
{
	if (b->ptr != NULL) {
		if (b->secret)
			sodium_memzero(b->ptr, b->alloc);
		free(b->ptr);
	}
	b->ptr = NULL;
	b->len = b->alloc = 0;
}
