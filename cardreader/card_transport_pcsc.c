/* card_transport_pcsc.c - the PC/SC backend of card_transport.h (libpcsclite). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <winscard.h>
#include <wintypes.h>

#include "eid_limits.h"
#include "card_transport.h"

#define PCSC_MAX_READERS_BYTES  (64 * 1024)
#define PCSC_MAX_GET_RESPONSE   64      /* 61xx rounds for one command */
#define PCSC_REMOVAL_POLLS      15      /* x 100 ms after a failed transmit */

struct pcsc {
	SCARDCONTEXT ctx;
	SCARDHANDLE card;
	DWORD proto;
	int have_ctx, have_card;
};

/* Map a PC/SC status met during a session. */
static int
map_session_err(LONG rv)
{
	switch (rv) {
	case SCARD_W_REMOVED_CARD:
	case SCARD_E_NO_SMARTCARD:
	case SCARD_W_RESET_CARD:
	case SCARD_W_UNPOWERED_CARD:
	case SCARD_W_UNRESPONSIVE_CARD:
	case SCARD_E_READER_UNAVAILABLE:
	case SCARD_E_NO_SERVICE:
	case SCARD_E_SERVICE_STOPPED:
		return EID_ERR_CARD_REMOVED;
	case SCARD_E_INSUFFICIENT_BUFFER:
		return EID_ERR_TOO_LARGE;
	default:
		return EID_ERR_PCSC;
	}
}

/*
 * A transmit failure that is not itself a removal (e.g. SCARD_E_NOT_TRANSACTED when the
 * reader lost the card mid-APDU): ask the reader whether the card is still there; pcscd
 * notices removals by polling, so look a few times.
 */
static int
map_transmit_err(struct pcsc *p, LONG rv)
{
	int r = map_session_err(rv), i;

	for (i = 0; r == EID_ERR_PCSC && i < PCSC_REMOVAL_POLLS; i++) {
		DWORD state = 0, proto = 0, atrlen = MAX_ATR_SIZE, nlen = 0;
		BYTE atr[MAX_ATR_SIZE];
		LONG st = SCardStatus(p->card, NULL, &nlen, &state, &proto, atr, &atrlen);

		if (st != SCARD_S_SUCCESS) {
			if (map_session_err(st) == EID_ERR_CARD_REMOVED)
				r = EID_ERR_CARD_REMOVED;
			break;
		}
		if (!(state & SCARD_PRESENT) || (state & SCARD_ABSENT)) {
			r = EID_ERR_CARD_REMOVED;
			break;
		}
		usleep(100 * 1000);
	}
	return r;
}

static void
pcsc_close(void *vctx)
{
	struct pcsc *p = vctx;

	if (p == NULL)
		return;
	if (p->have_card)
		(void)SCardDisconnect(p->card, SCARD_LEAVE_CARD);
	if (p->have_ctx)
		(void)SCardReleaseContext(p->ctx);
	free(p);
}

/* One SCardTransmit; *rlen capacity in, length out. */
static int
pcsc_raw(struct pcsc *p, const uint8_t *cmd, size_t clen, uint8_t *resp, size_t *rlen)
{
	const SCARD_IO_REQUEST *pci = p->proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
	DWORD n = (DWORD)*rlen;
	LONG rv;

	rv = SCardTransmit(p->card, pci, cmd, (DWORD)clen, NULL, resp, &n);
	if (rv != SCARD_S_SUCCESS) {
		*rlen = 0;
		return map_transmit_err(p, rv);
	}
	if (n < 2 || n > *rlen) {
		*rlen = 0;
		return EID_ERR_APDU;
	}
	*rlen = n;
	return EID_OK;
}

static int
pcsc_transmit(void *vctx, const uint8_t *cmd, size_t cmd_len, uint8_t *resp, size_t *resp_len)
{
	struct pcsc *p = vctx;
	uint8_t *buf = NULL, *again = NULL;
	size_t cap = EID_APDU_MAX_RESPONSE + 2, n, total = 0, rounds = 0;
	int r;

	if ((buf = malloc(cap)) == NULL)
		return EID_ERR_NOMEM;
	n = cap;
	if ((r = pcsc_raw(p, cmd, cmd_len, buf, &n)) != 0)
		goto out;
	/* 6Cxx: wrong Le, resend with Le = xx (short case 2/4 only) */
	if (buf[n - 2] == 0x6C && cmd_len >= 5 && cmd_len <= 4 + 1 + 255 + 1) {
		r = EID_ERR_NOMEM;
		if ((again = malloc(cmd_len)) == NULL)
			goto out;
		memcpy(again, cmd, cmd_len);
		again[cmd_len - 1] = buf[n - 1];
		n = cap;
		if ((r = pcsc_raw(p, again, cmd_len, buf, &n)) != 0)
			goto out;
	}
	total = n;
	/* 61xx: more bytes waiting, fetch with GET RESPONSE and append */
	while (buf[total - 2] == 0x61) {
		uint8_t gr[5] = { cmd[0] & 0x03, 0xC0, 0x00, 0x00, buf[total - 1] };
		size_t room = cap - (total - 2);

		r = EID_ERR_TOO_LARGE;
		if (++rounds > PCSC_MAX_GET_RESPONSE || room < 2)
			goto out;
		n = room;
		if ((r = pcsc_raw(p, gr, sizeof(gr), buf + total - 2, &n)) != 0)
			goto out;
		total = total - 2 + n;
	}
	if (total > *resp_len) {
		r = EID_ERR_TOO_LARGE;
		goto out;
	}
	memcpy(resp, buf, total);
	r = EID_OK;
out:
	*resp_len = r == 0 ? total : 0;
	free(again);
	free(buf);
	return r;
}

static int
pcsc_reconnect(void *vctx)
{
	struct pcsc *p = vctx;
	DWORD proto = 0;
	LONG rv;

	rv = SCardReconnect(p->card, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1 | SCARD_PROTOCOL_T0,
	    SCARD_RESET_CARD, &proto);
	if (rv != SCARD_S_SUCCESS)
		return map_session_err(rv);
	p->proto = proto;
	return EID_OK;
}

/* Try to connect to one reader: 0, EID_ERR_NO_CARD or EID_ERR_PCSC. */
static int
try_connect(struct pcsc *p, const char *name)
{
	DWORD proto = 0;
	LONG rv;

	rv = SCardConnect(p->ctx, name, SCARD_SHARE_SHARED,
	    SCARD_PROTOCOL_T1 | SCARD_PROTOCOL_T0, &p->card, &proto);
	if (rv == SCARD_S_SUCCESS) {
		p->have_card = 1;
		p->proto = proto;
		return EID_OK;
	}
	if (rv == SCARD_E_NO_SMARTCARD || rv == SCARD_W_REMOVED_CARD ||
	    rv == SCARD_W_UNPOWERED_CARD || rv == SCARD_W_UNRESPONSIVE_CARD)
		return EID_ERR_NO_CARD;
	if (rv == SCARD_E_UNKNOWN_READER || rv == SCARD_E_READER_UNAVAILABLE)
		return EID_ERR_NO_READER;
	return EID_ERR_PCSC;
}

int
card_transport_pcsc_open(const char *reader, struct card_transport **out, char **name_out)
{
	struct pcsc *p = NULL;
	struct card_transport *t = NULL;
	char *names = NULL;
	const char *chosen = NULL, *s;
	DWORD len = 0;
	LONG rv;
	int r = EID_ERR_NOMEM;

	*out = NULL;
	if (name_out != NULL)
		*name_out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		goto out;
	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &p->ctx);
	if (rv != SCARD_S_SUCCESS) {
		r = (rv == SCARD_E_NO_SERVICE || rv == SCARD_E_SERVICE_STOPPED) ?
		    EID_ERR_NO_READER : EID_ERR_PCSC;
		goto out;
	}
	p->have_ctx = 1;
	rv = SCardListReaders(p->ctx, NULL, NULL, &len);
	if (rv == SCARD_E_NO_READERS_AVAILABLE || (rv == SCARD_S_SUCCESS && len <= 1)) {
		r = EID_ERR_NO_READER;
		goto out;
	}
	if (rv != SCARD_S_SUCCESS) {
		r = rv == SCARD_E_NO_SERVICE ? EID_ERR_NO_READER : EID_ERR_PCSC;
		goto out;
	}
	r = EID_ERR_TOO_LARGE;
	if (len > PCSC_MAX_READERS_BYTES)
		goto out;
	r = EID_ERR_NOMEM;
	if ((names = calloc(1, (size_t)len + 2)) == NULL)
		goto out;
	rv = SCardListReaders(p->ctx, NULL, names, &len);
	if (rv != SCARD_S_SUCCESS) {
		r = rv == SCARD_E_NO_READERS_AVAILABLE ? EID_ERR_NO_READER : EID_ERR_PCSC;
		goto out;
	}
	/* names is a multi-string: "a\0b\0\0" */
	if (reader != NULL) {
		for (s = names; *s != '\0'; s += strlen(s) + 1)
			if (strcmp(s, reader) == 0)
				chosen = s;
		for (s = names; chosen == NULL && *s != '\0'; s += strlen(s) + 1)
			if (strstr(s, reader) != NULL)
				chosen = s;
		r = EID_ERR_NO_READER;
		if (chosen == NULL)
			goto out;
		if ((r = try_connect(p, chosen)) != 0)
			goto out;
	} else {
		r = EID_ERR_NO_READER;
		for (s = names; *s != '\0'; s += strlen(s) + 1) {
			int c = try_connect(p, s);

			if (c == 0) {
				chosen = s;
				r = EID_OK;
				break;
			}
			/* remember the most useful failure: a reader without card */
			if (c == EID_ERR_NO_CARD || r == EID_ERR_NO_READER)
				r = c == EID_ERR_NO_READER ? r : c;
		}
		if (r != 0)
			goto out;
	}
	r = EID_ERR_NOMEM;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		goto out;
	if (name_out != NULL && (*name_out = strdup(chosen)) == NULL)
		goto out;
	t->ctx = p;
	t->transmit = pcsc_transmit;
	t->reconnect = pcsc_reconnect;
	t->close = pcsc_close;
	*out = t;
	t = NULL;
	p = NULL;
	r = EID_OK;
out:
	free(t);
	free(names);
	pcsc_close(p);
	return r;
}
