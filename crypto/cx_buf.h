/*
 * cx_buf.h - bounded reading of untrusted bytes, and capped growable buffers.
 *
 * struct cx_reader is a borrowed view {ptr, len} with a sticky error: the first
 * overrun sets err, every later get fails too and yields zeros, and the caller checks
 * err once at the end (cx_rd_end() also rejects trailing bytes). It never owns memory.
 *
 * struct cx_dynbuf owns a heap buffer that grows up to a cap fixed at init; an append
 * past the cap fails with EID_ERR_TOO_LARGE and leaves the buffer unchanged.
 * cx_dynbuf_free() wipes before freeing when the buffer was marked secret.
 */
#ifndef CX_BUF_H
#define CX_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "eid_err.h"

struct cx_reader {
	const uint8_t *ptr;
	size_t len;     /* bytes left */
	int err;        /* 0, or the first EID_ERR_* met */
};

void cx_rd_init(struct cx_reader *rd, const void *ptr, size_t len);
uint8_t cx_rd_u8(struct cx_reader *rd);
uint16_t cx_rd_u16be(struct cx_reader *rd);
uint32_t cx_rd_u32be(struct cx_reader *rd);
/* Borrow n bytes; NULL (and err set) if fewer are left. */
const uint8_t *cx_rd_bytes(struct cx_reader *rd, size_t n);
/* Split off the next n bytes as a sub-reader. */
void cx_rd_sub(struct cx_reader *rd, size_t n, struct cx_reader *sub);
int cx_rd_peek_u8(const struct cx_reader *rd, uint8_t *out);
/* 0 if no error and nothing left; else the sticky error or EID_ERR_TRAILING_DATA. */
int cx_rd_end(const struct cx_reader *rd) EID_WARN_UNUSED;

struct cx_dynbuf {
	uint8_t *ptr;
	size_t len;
	size_t alloc;
	size_t cap;     /* hard maximum length */
	int secret;     /* wipe on growth and free */
};

void cx_dynbuf_init(struct cx_dynbuf *b, size_t cap);
void cx_dynbuf_init_secret(struct cx_dynbuf *b, size_t cap);
/* Room for extra more bytes (and a NUL) without a later allocation; the cap applies. */
int cx_dynbuf_reserve(struct cx_dynbuf *b, size_t extra) EID_WARN_UNUSED;
int cx_dynbuf_add(struct cx_dynbuf *b, const void *p, size_t n) EID_WARN_UNUSED;
int cx_dynbuf_add_str(struct cx_dynbuf *b, const char *s) EID_WARN_UNUSED;
int cx_dynbuf_addf(struct cx_dynbuf *b, const char *fmt, ...) EID_PRINTF(2, 3) EID_WARN_UNUSED;
/* NUL-terminated view of the contents (the terminator is not counted in len). */
const char *cx_dynbuf_str(struct cx_dynbuf *b);
/* Hand the buffer to the caller (NUL-terminated); b is reset. Caller frees. */
char *cx_dynbuf_take(struct cx_dynbuf *b, size_t *len);
void cx_dynbuf_reset(struct cx_dynbuf *b);
void cx_dynbuf_free(struct cx_dynbuf *b);

#endif /* CX_BUF_H */
