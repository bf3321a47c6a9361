/* srv_log.c - JSON-lines logger (see srv_log.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cx_buf.h"
#include "srv_log.h"

static enum srv_log_level log_min = SRV_LOG_INFO;
static const char *log_program = "eid";
static _Thread_local char log_request_id[40];

void
srv_log_init(enum srv_log_level min_level, const char *program)
{
	log_min = min_level;
	if (program != NULL)
		log_program = program;
}

int
srv_log_enabled(enum srv_log_level level)
{
	return level >= log_min;
}

void
srv_log_set_request_id(const char *request_id)
{
	size_t n = request_id != NULL ? strnlen(request_id, sizeof(log_request_id) - 1) : 0;

	/* called several times per request: a bounded copy, not a format */
	memcpy(log_request_id, request_id != NULL ? request_id : "", n);
	log_request_id[n] = '\0';
}

/* JSON string escaping (RFC 8259 section 7); bytes >= 0x80 pass through unchanged. */
static int
add_json_str(struct cx_dynbuf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	char esc[7];
	int r = cx_dynbuf_add(b, "\"", 1);

	for (; r == 0 && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			r = cx_dynbuf_add(b, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			r = cx_dynbuf_add(b, esc, 6);
		} else
			r = cx_dynbuf_add(b, s, 1);
	}
	return r != 0 ? r : cx_dynbuf_add(b, "\"", 1);
}

void
srv_log_fields(enum srv_log_level level, const char *event, const struct srv_log_field *f)
{
	struct cx_dynbuf b;
	struct timespec ts;
	struct tm tm;
	char tbuf[64];
	int r;

	if (level < log_min)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(tbuf, sizeof(tbuf), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (ts.tv_nsec / 1000000) % 1000);
	cx_dynbuf_init(&b, 8192);
	r = cx_dynbuf_addf(&b, "{\"ts\":\"%s\",\"level\":\"%s\",\"prog\":", tbuf,
	    srv_log_level_name(level));
	r = r != 0 ? r : add_json_str(&b, log_program);
	r = r != 0 ? r : cx_dynbuf_add_str(&b, ",\"event\":");
	r = r != 0 ? r : add_json_str(&b, event);
	if (r == 0 && log_request_id[0] != '\0') {
		r = cx_dynbuf_add_str(&b, ",\"request_id\":");
		r = r != 0 ? r : add_json_str(&b, log_request_id);
	}
	for (; r == 0 && f != NULL && f->key != NULL; f++) {
		r = cx_dynbuf_add_str(&b, ",");
		r = r != 0 ? r : add_json_str(&b, f->key);
		r = r != 0 ? r : cx_dynbuf_add_str(&b, ":");
		if (r == 0 && f->type == 'i')
			r = cx_dynbuf_addf(&b, "%lld", f->i);
		else if (r == 0)
			r = f->s != NULL ? add_json_str(&b, f->s) : cx_dynbuf_add_str(&b, "null");
	}
	if (r == 0)
		r = cx_dynbuf_add_str(&b, "}\n");
	if (r != 0) {
		/* too long or no memory: say so rather than drop the event silently */
		cx_dynbuf_reset(&b);
		if (cx_dynbuf_addf(&b, "{\"ts\":\"%s\",\"level\":\"error\",\"event\":\"log_line_dropped\"}\n",
		    tbuf) != 0) {
			cx_dynbuf_free(&b);
			return;
		}
	}
	if (write(STDERR_FILENO, b.ptr, b.len) < 0) {
		/* nowhere left to report it */
	}
	cx_dynbuf_free(&b);
}
