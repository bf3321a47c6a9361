/*
 * tdata.h - helpers for the cardreader tests: TLV fixtures (tbuf.h) and specimen
 * files from the vectors directory. Test code only.
 */
#ifndef CARD_TDATA_H
#define CARD_TDATA_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"
#include "tbuf.h"

static inline unsigned char *
tv_read(const char *vdir, const char *name, size_t *len)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/icao/%s", vdir, name);
	return t_read_file(path, len);
}

#endif /* CARD_TDATA_H */
