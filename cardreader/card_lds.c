/* card_lds.c - LDS data group parsers (see card_lds.h). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "cx_buf.h"
#include "cx_util.h"
#include "eid_limits.h"
#include "card_asn1.h"
#include "card_lds.h"
#include "card_tlv.h"

/* DG n's file tag is dg_tags[n - 1] (ICAO 9303-10 Table 34) */
static const uint8_t dg_tags[CARD_LDS_MAX_DG] = {
	0x61, 0x75, 0x63, 0x76, 0x65, 0x66, 0x67, 0x68,
	0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70,
};

int
card_lds_dg_from_tag(uint32_t tag)
{
	int i;

	for (i = 0; i < CARD_LDS_MAX_DG; i++)
		if (dg_tags[i] == tag)
			return i + 1;
	return 0;
}

uint32_t
card_lds_tag_from_dg(int dg)
{
	return dg >= 1 && dg <= CARD_LDS_MAX_DG ? dg_tags[dg - 1] : 0;
}

/* The outer file element: exactly one TLV with the wanted tag, size capped. */
static int
lds_outer(const uint8_t *buf, size_t len, uint32_t tag, struct card_tlv *t)
{
	int r;

	if (buf == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if (len > EID_DG_MAX_BYTES)
		return EID_ERR_TOO_LARGE;
	if ((r = card_tlv_parse_one(buf, len, tag, t)) != 0)
		return r == EID_ERR_TRUNCATED || r == EID_ERR_TRAILING_DATA ? r : EID_ERR_TLV;
	return 0;
}

static int
copy_printable(char *dst, size_t dstsz, const struct card_tlv *t)
{
	size_t i;

	if (t->len >= dstsz)
		return EID_ERR_LDS;
	for (i = 0; i < t->len; i++)
		if (t->value[i] < 0x20 || t->value[i] > 0x7E)
			return EID_ERR_LDS;
	memcpy(dst, t->value, t->len);
	dst[t->len] = '\0';
	return 0;
}

/* ------------------------------------------------------------------ EF.COM */

int
card_lds_com_parse(const uint8_t *buf, size_t len, struct card_lds_com *out)
{
	struct card_tlv com, t;
	struct cx_reader rd;
	size_t i;
	int r, dg;

	memset(out, 0, sizeof(*out));
	if ((r = lds_outer(buf, len, 0x60, &com)) != 0)
		goto out;
	cx_rd_init(&rd, com.value, com.len);
	while (rd.len > 0) {
		if ((r = card_tlv_next(&rd, &t)) != 0)
			goto out;
		switch (t.tag) {
		case 0x5F01:
			r = copy_printable(out->lds_version, sizeof(out->lds_version), &t);
			break;
		case 0x5F36:
			r = copy_printable(out->unicode_version, sizeof(out->unicode_version), &t);
			break;
		case 0x5C:
			if (out->ndg != 0 || t.len > CARD_LDS_MAX_DG) {
				r = EID_ERR_LDS;
				break;
			}
			for (i = 0; i < t.len; i++) {
				if ((dg = card_lds_dg_from_tag(t.value[i])) == 0) {
					r = EID_ERR_LDS;
					break;
				}
				out->dg[out->ndg++] = dg;
			}
			break;
		default:
			break;  /* unknown elements are tolerated */
		}
		if (r != 0)
			goto out;
	}
	r = out->lds_version[0] != '\0' ? 0 : EID_ERR_LDS;
out:
	if (r != 0)
		memset(out, 0, sizeof(*out));
	return r;
}

/* ------------------------------------------------------------------ DG1 */

int
card_lds_dg1_parse(const uint8_t *buf, size_t len, struct card_mrz *out)
{
	struct card_tlv dg, mrz;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = lds_outer(buf, len, 0x61, &dg)) != 0)
		return r;
	if ((r = card_tlv_parse_one(dg.value, dg.len, 0x5F1F, &mrz)) != 0)
		return EID_ERR_LDS;
	return card_mrz_parse((const char *)mrz.value, mrz.len, out);
}

/* ------------------------------------------------------------------ DG2 */

static enum card_image_type
image_type(const uint8_t *p, size_t n)
{
	static const uint8_t jpeg[3] = { 0xFF, 0xD8, 0xFF };
	static const uint8_t jp2[12] = {
		0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A };
	static const uint8_t j2k[4] = { 0xFF, 0x4F, 0xFF, 0x51 };

	if (n >= sizeof(jpeg) && memcmp(p, jpeg, sizeof(jpeg)) == 0)
		return CARD_IMAGE_JPEG;
	if (n >= sizeof(jp2) && memcmp(p, jp2, sizeof(jp2)) == 0)
		return CARD_IMAGE_JPEG2000;
	if (n >= sizeof(j2k) && memcmp(p, j2k, sizeof(j2k)) == 0)
		return CARD_IMAGE_JPEG2000;
	return CARD_IMAGE_UNKNOWN;
}

/*
 * ISO/IEC 19794-5:2005 facial record data: general header (14 bytes), then per face a
 * facial information block (20 bytes), feature points (8 bytes each), image
 * information (12 bytes) and the image data. Only the first face is returned.
 */
static int
parse_19794_5(const uint8_t *p, size_t n, struct card_face *out)
{
	static const uint8_t fac[4] = { 'F', 'A', 'C', 0 };
	static const uint8_t v010[4] = { '0', '1', '0', 0 };
	struct cx_reader rd, rec;
	const uint8_t *magic, *ver;
	uint32_t total, block;
	uint16_t nfaces, nfp;
	size_t fixed;

	cx_rd_init(&rd, p, n);
	magic = cx_rd_bytes(&rd, 4);
	ver = cx_rd_bytes(&rd, 4);
	total = cx_rd_u32be(&rd);
	nfaces = cx_rd_u16be(&rd);
	if (rd.err != 0)
		return EID_ERR_LDS;
	if (memcmp(magic, fac, 4) != 0)
		return EID_ERR_LDS;
	if (memcmp(ver, v010, 4) != 0)
		return EID_ERR_UNSUPPORTED;
	if (total < 14 || total > n || nfaces == 0)
		return EID_ERR_LDS;
	rd.len = total - 14;            /* ignore anything past the declared record */

	block = cx_rd_u32be(&rd);
	if (rd.err != 0 || block < 32 || block - 4 > rd.len)
		return EID_ERR_LDS;
	cx_rd_sub(&rd, block - 4, &rec);
	nfp = cx_rd_u16be(&rec);
	(void)cx_rd_bytes(&rec, 14);    /* gender .. pose angle uncertainty */
	(void)cx_rd_bytes(&rec, (size_t)nfp * 8);
	(void)cx_rd_u8(&rec);           /* face image type */
	out->image_data_type = cx_rd_u8(&rec);
	out->width = cx_rd_u16be(&rec);
	out->height = cx_rd_u16be(&rec);
	(void)cx_rd_bytes(&rec, 6);     /* colour space, source, device type, quality */
	if (rec.err != 0)
		return EID_ERR_LDS;
	fixed = 20 + (size_t)nfp * 8 + 12;
	if (fixed >= block)
		return EID_ERR_LDS;
	/* what is left of this face's block is the image */
	out->image = rec.ptr;
	out->image_len = rec.len;
	out->type = image_type(out->image, out->image_len);
	if (out->type == CARD_IMAGE_UNKNOWN)
		return EID_ERR_LDS;
	return 0;
}

int
card_lds_dg2_parse(const uint8_t *buf, size_t len, struct card_face *out)
{
	struct card_tlv dg, group, t, tmpl, bdb;
	struct cx_reader rd;
	long count = 0;
	int r, found = 0;

	memset(out, 0, sizeof(*out));
	memset(&tmpl, 0, sizeof(tmpl));
	if ((r = lds_outer(buf, len, 0x75, &dg)) != 0)
		goto out;
	if ((r = card_tlv_parse_one(dg.value, dg.len, 0x7F61, &group)) != 0) {
		r = EID_ERR_LDS;
		goto out;
	}
	cx_rd_init(&rd, group.value, group.len);
	while (rd.len > 0) {
		if ((r = card_tlv_next(&rd, &t)) != 0)
			goto out;
		if (t.tag == 0x02) {
			if (t.len != 1 || count != 0) {
				r = EID_ERR_LDS;
				goto out;
			}
			count = t.value[0];
		} else if (t.tag == 0x7F60 && !found) {
			tmpl = t;
			found = 1;
		}
	}
	if (!found || count < 1) {
		r = EID_ERR_LDS;
		goto out;
	}
	out->ninstances = (size_t)count;
	if ((r = card_tlv_find(tmpl.value, tmpl.len, 0x5F2E, &bdb)) != 0 &&
	    (r = card_tlv_find(tmpl.value, tmpl.len, 0x7F2E, &bdb)) != 0) {
		r = EID_ERR_LDS;
		goto out;
	}
	r = parse_19794_5(bdb.value, bdb.len, out);
out:
	if (r != 0)
		memset(out, 0, sizeof(*out));
	return r;
}

/* ------------------------------------------------------------------ DG13 */

int
card_utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0, k, need;
	uint32_t cp;

	while (i < n) {
		uint8_t c = s[i];

		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			need = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			need = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			need = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (need > n - i - 1)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += need + 1;
	}
	return 1;
}

static int
dg13_string(const struct card_tlv *t, char **out)
{
	char *s = NULL;

	*out = NULL;
	if (t->tag != 0x0C && t->tag != 0x13 && t->tag != 0x16)
		return EID_ERR_LDS;
	if (t->len > CARD_DG13_MAX_TEXT || !card_utf8_valid(t->value, t->len))
		return EID_ERR_LDS;
	if ((s = malloc(t->len + 1)) == NULL)
		return EID_ERR_NOMEM;
	memcpy(s, t->value, t->len);
	s[t->len] = '\0';
	*out = s;
	return 0;
}

/* One field: SEQUENCE { INTEGER number, value } where value is a string or a
 * SEQUENCE of strings; the value may be absent. */
static int
dg13_field(struct card_dg13 *d, const struct card_tlv *seq)
{
	struct card_dg13_field *f;
	struct card_tlv num, val, s;
	struct cx_reader rd, sub;
	long n;
	size_t i;
	int r;

	if (d->nfields >= CARD_DG13_MAX_FIELDS)
		return EID_ERR_TOO_LARGE;
	cx_rd_init(&rd, seq->value, seq->len);
	if ((r = card_tlv_next(&rd, &num)) != 0 || num.tag != 0x02 ||
	    card_asn1_int(num.raw, num.raw_len, 1, 255, &n) != 0)
		return EID_ERR_LDS;
	for (i = 0; i < d->nfields; i++)
		if (d->fields[i].number == n)
			return EID_ERR_LDS;
	f = &d->fields[d->nfields++];
	f->number = (int)n;
	if (rd.len == 0)
		return 0;
	if ((r = card_tlv_next(&rd, &val)) != 0 || (r = cx_rd_end(&rd)) != 0)
		return EID_ERR_LDS;
	if (val.tag != 0x30)
		return dg13_string(&val, &f->values[f->nvalues++]);
	cx_rd_init(&sub, val.value, val.len);
	while (sub.len > 0) {
		if (f->nvalues >= CARD_DG13_MAX_VALUES)
			return EID_ERR_TOO_LARGE;
		if ((r = card_tlv_next(&sub, &s)) != 0)
			return EID_ERR_LDS;
		if ((r = dg13_string(&s, &f->values[f->nvalues])) != 0)
			return r;
		f->nvalues++;
	}
	return 0;
}

int
card_lds_dg13_parse(const uint8_t *buf, size_t len, struct card_dg13 *out)
{
	struct card_tlv dg, body, t, f;
	struct cx_reader rd, set;
	int r;

	memset(out, 0, sizeof(*out));
	out->version = -1;
	if ((r = lds_outer(buf, len, 0x6D, &dg)) != 0)
		goto out;
	if ((r = card_tlv_parse_one(dg.value, dg.len, 0x30, &body)) != 0) {
		r = EID_ERR_LDS;
		goto out;
	}
	/* SEQUENCE { [INTEGER version], [OID], SET OF field } - fields directly in the
	 * SEQUENCE are accepted too */
	cx_rd_init(&rd, body.value, body.len);
	while (rd.len > 0) {
		if ((r = card_tlv_next(&rd, &t)) != 0)
			goto out;
		switch (t.tag) {
		case 0x02:
			if (out->version != -1 || out->nfields != 0 ||
			    card_asn1_int(t.raw, t.raw_len, 0, 255, &out->version) != 0)
				r = EID_ERR_LDS;
			break;
		case 0x06:
			if (out->oid[0] != '\0' ||
			    card_asn1_oid_text(t.raw, t.raw_len, out->oid, sizeof(out->oid)) != 0)
				r = EID_ERR_LDS;
			break;
		case 0x31:
			cx_rd_init(&set, t.value, t.len);
			while (r == 0 && set.len > 0) {
				if ((r = card_tlv_next(&set, &f)) != 0)
					break;
				r = f.tag == 0x30 ? dg13_field(out, &f) : EID_ERR_LDS;
			}
			break;
		case 0x30:
			r = dg13_field(out, &t);
			break;
		default:
			r = EID_ERR_LDS;
			break;
		}
		if (r != 0)
			goto out;
	}
	r = 0;
out:
	if (r != 0) {
		card_dg13_clear(out);
		r = r == EID_ERR_NOMEM || r == EID_ERR_TOO_LARGE ? r : EID_ERR_LDS;
	}
	return r;
}

const struct card_dg13_field *
card_dg13_get(const struct card_dg13 *d, int number)
{
	size_t i;

	for (i = 0; d != NULL && i < d->nfields && i < CARD_DG13_MAX_FIELDS; i++)
		if (d->fields[i].number == number)
			return &d->fields[i];
	return NULL;
}

void
card_dg13_clear(struct card_dg13 *d)
{
	size_t i, j;

	if (d == NULL)
		return;
	for (i = 0; i < CARD_DG13_MAX_FIELDS; i++)
		for (j = 0; j < CARD_DG13_MAX_VALUES; j++)
			if (d->fields[i].values[j] != NULL) {
				cx_free_str(d->fields[i].values[j]);
				d->fields[i].values[j] = NULL;
			}
	cx_wipe(d, sizeof(*d));
	d->version = -1;
}

/* ------------------------------------------------------------------ DG14 */

#define OID_PK          "0.4.0.127.0.7.2.2.1"
#define OID_TA          "0.4.0.127.0.7.2.2.2"
#define OID_CA          "0.4.0.127.0.7.2.2.3"
#define OID_PACE        "0.4.0.127.0.7.2.2.4"
#define OID_AA          "2.23.136.1.1.5"

static int
dg14_info(const struct card_tlv *seq, struct card_secinfo *si)
{
	struct card_tlv oid, req, opt;
	struct cx_reader rd;
	int has_opt = 0;

	memset(si, 0, sizeof(*si));
	si->version = si->key_id = si->parameter_id = -1;
	si->der = seq->raw;
	si->der_len = seq->raw_len;
	if (seq->tag != 0x30)
		return EID_ERR_LDS;
	cx_rd_init(&rd, seq->value, seq->len);
	if (card_tlv_next(&rd, &oid) != 0 || oid.tag != 0x06 ||
	    card_asn1_oid_text(oid.raw, oid.raw_len, si->protocol, sizeof(si->protocol)) != 0)
		return EID_ERR_LDS;
	if (card_tlv_next(&rd, &req) != 0)
		return EID_ERR_LDS;
	if (rd.len > 0) {
		if (card_tlv_next(&rd, &opt) != 0 || cx_rd_end(&rd) != 0)
			return EID_ERR_LDS;
		has_opt = 1;
	}
	if (card_asn1_oid_under(si->protocol, OID_PK)) {
		si->kind = CARD_SECINFO_CA_PUBKEY;
		if (req.tag != 0x30)
			return EID_ERR_LDS;
		si->spki = req.raw;
		si->spki_len = req.raw_len;
		if (has_opt && card_asn1_int(opt.raw, opt.raw_len, 0, LONG_MAX, &si->key_id) != 0)
			return EID_ERR_LDS;
	} else if (card_asn1_oid_under(si->protocol, OID_CA) ||
	    card_asn1_oid_under(si->protocol, OID_PACE) ||
	    card_asn1_oid_under(si->protocol, OID_TA)) {
		si->kind = card_asn1_oid_under(si->protocol, OID_CA) ? CARD_SECINFO_CA :
		    card_asn1_oid_under(si->protocol, OID_PACE) ? CARD_SECINFO_PACE :
		    CARD_SECINFO_TA;
		if (card_asn1_int(req.raw, req.raw_len, 0, LONG_MAX, &si->version) != 0)
			return EID_ERR_LDS;
		if (has_opt && si->kind != CARD_SECINFO_TA &&
		    card_asn1_int(opt.raw, opt.raw_len, 0, LONG_MAX,
		    si->kind == CARD_SECINFO_PACE ? &si->parameter_id : &si->key_id) != 0)
			return EID_ERR_LDS;
	} else if (strcmp(si->protocol, OID_AA) == 0) {
		si->kind = CARD_SECINFO_AA;
		if (card_asn1_int(req.raw, req.raw_len, 0, LONG_MAX, &si->version) != 0 ||
		    !has_opt || opt.tag != 0x06 ||
		    card_asn1_oid_text(opt.raw, opt.raw_len, si->aa_sig_alg,
		    sizeof(si->aa_sig_alg)) != 0)
			return EID_ERR_LDS;
	} else {
		si->kind = CARD_SECINFO_OTHER;
	}
	return 0;
}

int
card_lds_dg14_parse(const uint8_t *buf, size_t len, struct card_dg14 *out)
{
	struct card_tlv dg, set, t;
	struct cx_reader rd;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = lds_outer(buf, len, 0x6E, &dg)) != 0)
		goto out;
	if ((r = card_tlv_parse_one(dg.value, dg.len, 0x31, &set)) != 0) {
		r = EID_ERR_LDS;
		goto out;
	}
	cx_rd_init(&rd, set.value, set.len);
	while (rd.len > 0) {
		if (out->ninfos >= CARD_DG14_MAX_INFOS) {
			r = EID_ERR_TOO_LARGE;
			goto out;
		}
		if ((r = card_tlv_next(&rd, &t)) != 0)
			goto out;
		if ((r = dg14_info(&t, &out->infos[out->ninfos])) != 0)
			goto out;
		out->ninfos++;
	}
	r = out->ninfos > 0 ? 0 : EID_ERR_LDS;
out:
	if (r != 0) {
		memset(out, 0, sizeof(*out));
		r = r == EID_ERR_TOO_LARGE ? r : EID_ERR_LDS;
	}
	return r;
}

/* ------------------------------------------------------------------ DG15 */

int
card_lds_dg15_parse(const uint8_t *buf, size_t len, EVP_PKEY **out)
{
	struct card_tlv dg;
	const unsigned char *p;
	EVP_PKEY *pk = NULL;
	int r;

	*out = NULL;
	if ((r = lds_outer(buf, len, 0x6F, &dg)) != 0)
		return r;
	p = dg.value;
	if (dg.len == 0 || dg.len > INT_MAX ||
	    (pk = d2i_PUBKEY(NULL, &p, (long)dg.len)) == NULL || p != dg.value + dg.len) {
		r = EID_ERR_LDS;
		goto out;
	}
	if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA && EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC) {
		r = EID_ERR_UNSUPPORTED;
		goto out;
	}
	*out = pk;
	pk = NULL;
out:
	EVP_PKEY_free(pk);
	return r;
}
