/* card_transport_replay.c - recorded command -> response pairs (see card_transport.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eid_limits.h"
#include "card_transport.h"

#define REPLAY_MAX_PAIRS 4096
#define REPLAY_MAX_LINE  (2 * (EID_APDU_MAX_RESPONSE + CARD_APDU_OVERHEAD) + 8)

struct replay {
	struct card_replay_pair *pairs;     /* owned copies */
	size_t n, next;
};

static void
replay_close(void *ctx)
{
	struct replay *rp = ctx;
	size_t i;

	if (rp == NULL)
		return;
	for (i = 0; i < rp->n; i++) {
		free((void *)rp->pairs[i].cmd);
		free((void *)rp->pairs[i].resp);
	}
	free(rp->pairs);
	free(rp);
}

static int
replay_transmit(void *ctx, const uint8_t *cmd, size_t cmd_len, uint8_t *resp, size_t *resp_len)
{
	struct replay *rp = ctx;
	const struct card_replay_pair *p;

	if (rp->next >= rp->n) {
		*resp_len = 0;
		return EID_ERR_CARD_REMOVED;
	}
	p = &rp->pairs[rp->next++];
	if (p->cmd_len != cmd_len || memcmp(p->cmd, cmd, cmd_len) != 0) {
		*resp_len = 0;
		return EID_ERR_APDU;
	}
	if (p->resp_len > *resp_len) {
		*resp_len = 0;
		return EID_ERR_TOO_LARGE;
	}
	memcpy(resp, p->resp, p->resp_len);
	*resp_len = p->resp_len;
	return EID_OK;
}

static int
replay_reconnect(void *ctx)
{
	(void)ctx;
	return EID_OK;
}

static uint8_t *
dup_bytes(const uint8_t *p, size_t n)
{
	uint8_t *d = malloc(n > 0 ? n : 1);

	if (d != NULL && n > 0)
		memcpy(d, p, n);
	return d;
}

static int
replay_wrap(struct replay *rp, struct card_transport **out)
{
	struct card_transport *t;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		replay_close(rp);
		return EID_ERR_NOMEM;
	}
	t->ctx = rp;
	t->transmit = replay_transmit;
	t->reconnect = replay_reconnect;
	t->close = replay_close;
	*out = t;
	return EID_OK;
}

int
card_transport_replay_new(const struct card_replay_pair *pairs, size_t npairs,
    struct card_transport **out)
{
	struct replay *rp;
	size_t i;

	*out = NULL;
	if (npairs > REPLAY_MAX_PAIRS)
		return EID_ERR_TOO_LARGE;
	if ((rp = calloc(1, sizeof(*rp))) == NULL ||
	    (rp->pairs = calloc(npairs > 0 ? npairs : 1, sizeof(*rp->pairs))) == NULL) {
		free(rp);
		return EID_ERR_NOMEM;
	}
	for (i = 0; i < npairs; i++) {
		struct card_replay_pair *d = &rp->pairs[i];

		d->cmd = dup_bytes(pairs[i].cmd, pairs[i].cmd_len);
		d->resp = dup_bytes(pairs[i].resp, pairs[i].resp_len);
		d->cmd_len = pairs[i].cmd_len;
		d->resp_len = pairs[i].resp_len;
		rp->n = i + 1;
		if (d->cmd == NULL || d->resp == NULL) {
			replay_close(rp);
			return EID_ERR_NOMEM;
		}
	}
	return replay_wrap(rp, out);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode hex (spaces allowed) from s into a new buffer. */
static int
hex_line(const char *s, uint8_t **out, size_t *outlen)
{
	size_t cap = strlen(s) / 2 + 1, n = 0;
	uint8_t *b;
	int hi = -1, v;

	if ((b = malloc(cap)) == NULL)
		return EID_ERR_NOMEM;
	for (; *s != '\0' && *s != '\n' && *s != '\r'; s++) {
		if (*s == ' ' || *s == '\t')
			continue;
		if ((v = hexval((unsigned char)*s)) < 0) {
			free(b);
			return EID_ERR_FORMAT;
		}
		if (hi < 0) {
			hi = v;
		} else {
			b[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0) {
		free(b);
		return EID_ERR_FORMAT;
	}
	*out = b;
	*outlen = n;
	return EID_OK;
}

int
card_transport_replay_load(const char *path, struct card_transport **out)
{
	FILE *f = NULL;
	char *line = NULL;
	struct replay *rp = NULL;
	size_t cap = 0;
	int r = EID_ERR_NOMEM, want_resp = 0;

	*out = NULL;
	if ((line = malloc(REPLAY_MAX_LINE)) == NULL ||
	    (rp = calloc(1, sizeof(*rp))) == NULL)
		goto out;
	if ((f = fopen(path, "r")) == NULL) {
		r = EID_ERR_IO;
		goto out;
	}
	while (fgets(line, REPLAY_MAX_LINE, f) != NULL) {
		uint8_t *b = NULL;
		size_t n = 0;

		if (line[0] == '#' || line[0] == '\n' || line[0] == '\r' || line[0] == '\0')
			continue;
		r = EID_ERR_FORMAT;
		if ((line[0] != '>' && line[0] != '<') || strchr(line, '\n') == NULL ||
		    (line[0] == '<') != want_resp)
			goto out;
		if ((r = hex_line(line + 1, &b, &n)) != 0)
			goto out;
		if (line[0] == '>') {
			if (rp->n == cap) {
				struct card_replay_pair *np;

				if (cap >= REPLAY_MAX_PAIRS) {
					free(b);
					r = EID_ERR_TOO_LARGE;
					goto out;
				}
				cap = cap == 0 ? 64 : cap * 2;
				if ((np = realloc(rp->pairs, cap * sizeof(*np))) == NULL) {
					free(b);
					r = EID_ERR_NOMEM;
					goto out;
				}
				rp->pairs = np;
			}
			rp->pairs[rp->n].cmd = b;
			rp->pairs[rp->n].cmd_len = n;
			rp->pairs[rp->n].resp = NULL;
			rp->pairs[rp->n].resp_len = 0;
			rp->n++;
			want_resp = 1;
		} else {
			rp->pairs[rp->n - 1].resp = b;
			rp->pairs[rp->n - 1].resp_len = n;
			want_resp = 0;
		}
	}
	r = want_resp ? EID_ERR_FORMAT : EID_OK;
out:
	if (f != NULL)
		fclose(f);
	free(line);
	if (r != 0) {
		if (rp != NULL && want_resp)
			rp->pairs[rp->n - 1].resp = NULL;
		replay_close(rp);
		return r;
	}
	return replay_wrap(rp, out);
}

size_t
card_transport_replay_left(const struct card_transport *t)
{
	const struct replay *rp;

	if (t == NULL || t->transmit != replay_transmit)
		return 0;
	rp = t->ctx;
	return rp->n - rp->next;
}
