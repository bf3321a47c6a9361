/* card_transport.c - the backend-independent part of card_transport.h. */
#include <stdlib.h>

#include "eid_limits.h"
#include "card_transport.h"

void
card_transport_free(struct card_transport **t)
{
	if (t == NULL || *t == NULL)
		return;
	if ((*t)->close != NULL)
		(*t)->close((*t)->ctx);
	free(*t);
	*t = NULL;
}

int
card_transport_send(struct card_transport *t, const struct card_apdu *a, uint8_t *buf,
    size_t bufsz, struct card_rapdu *out)
{
	uint8_t cmd[EID_APDU_MAX_RESPONSE + CARD_APDU_OVERHEAD];
	size_t clen, rlen = bufsz;
	int r;

	if ((r = card_apdu_build(a, cmd, sizeof(cmd), &clen)) != 0)
		return r;
	if ((r = t->transmit(t->ctx, cmd, clen, buf, &rlen)) != 0)
		return r;
	return card_apdu_parse_response(buf, rlen, out);
}
