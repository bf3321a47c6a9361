/*
 * trace_record - record a reading session over PC/SC as a replay trace (test tool, not a
 * test). Run against vchip behind pcscd (tests/carddata/pcsc_env.sh), e.g.
 *   trace_record OUT.trace bac 090012345090031523003150 [CHALLENGE_HEX16]
 *   trace_record OUT.trace can 012345 [CHALLENGE_HEX16]
 * The terminal side draws its nonces from trnd.h, so test_read.c can replay the trace.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_util.h"
#include "card_read.h"
#include "card_transport.h"
#include "trnd.h"

struct rec {
	struct card_transport *inner;
	FILE *f;
};

static void
hexline(FILE *f, char dir, const uint8_t *p, size_t n)
{
	size_t i;

	fputc(dir, f);
	fputc(' ', f);
	for (i = 0; i < n; i++)
		fprintf(f, "%02X", p[i]);
	fputc('\n', f);
}

static int
rec_transmit(void *ctx, const uint8_t *cmd, size_t clen, uint8_t *resp, size_t *rlen)
{
	struct rec *r = ctx;
	int rc = r->inner->transmit(r->inner->ctx, cmd, clen, resp, rlen);

	if (rc == 0) {
		hexline(r->f, '>', cmd, clen);
		hexline(r->f, '<', resp, *rlen);
	}
	return rc;
}

static int
rec_reconnect(void *ctx)
{
	struct rec *r = ctx;

	fprintf(r->f, "# reconnect\n");
	return r->inner->reconnect(r->inner->ctx);
}

int
main(int argc, char **argv)
{
	struct rec r = { 0 };
	struct card_transport t = { &r, rec_transmit, rec_reconnect, NULL };
	struct card_read_opts o = { 0 };
	struct card_read_result *res = NULL;
	uint8_t ch[8];
	unsigned v;
	int rc, i;

	if (argc < 4 || cx_init() != 0) {
		fprintf(stderr, "usage: trace_record OUT bac|can|pace-mrz SECRET [CHALLENGE]\n");
		return 2;
	}
	if (strcmp(argv[2], "can") == 0) {
		o.can = argv[3];
	} else {
		o.mrz_info = argv[3];
		o.pref = strcmp(argv[2], "bac") == 0 ? CARD_PREF_BAC : CARD_PREF_PACE;
	}
	if (argc > 4) {
		for (i = 0; i < 8 && sscanf(argv[4] + 2 * i, "%2x", &v) == 1; i++)
			ch[i] = (uint8_t)v;
		o.aa_challenge = ch;
	}
	o.rnd = trnd;
	if ((r.f = fopen(argv[1], "w")) == NULL)
		return 1;
	fprintf(r.f, "# recorded by trace_record %s (vchip behind pcscd)\n", argv[2]);
	if ((rc = card_transport_pcsc_open(NULL, &r.inner, NULL)) == 0)
		rc = card_read_session(&t, &o, &res);
	fprintf(stderr, "trace_record: %s\n", eid_strerror(rc));
	card_read_result_free(&res);
	card_transport_free(&r.inner);
	fclose(r.f);
	return rc == 0 ? 0 : 1;
}
