/*
 * srv_log.h - JSON-lines logs on stderr.
 *
 * One line per event: {"ts":"2026-11-23T11:00:00.123Z","level":"info","event":"http_request",
 * "request_id":"...", <fields>}. Fields are typed (LS string, LI integer) and named by the
 * caller; there is no free-form format string, so a secret can only reach a log if a
 * caller names it as a field. Never log: passwords, one-time codes, tokens, secrets, keys,
 * citizen ID numbers, names, face images or chip data (docs/architecture.md, "Logging").
 * Each line is written with one write(2), so lines from threads never interleave.
 */
#ifndef SRV_LOG_H
#define SRV_LOG_H

#include "srv_config.h"

struct srv_log_field {
	const char *key;        /* NULL ends the list */
	char type;              /* 's' string, 'i' integer */
	const char *s;
	long long i;
};

#define LS(k, v) ((struct srv_log_field){ (k), 's', (v), 0 })
#define LI(k, v) ((struct srv_log_field){ (k), 'i', NULL, (long long)(v) })
#define LEND ((struct srv_log_field){ NULL, 0, NULL, 0 })

void srv_log_init(enum srv_log_level min_level, const char *program);
int srv_log_enabled(enum srv_log_level level);
/* The request id logged with every line this thread writes (NULL clears it). */
void srv_log_set_request_id(const char *request_id);
void srv_log_fields(enum srv_log_level level, const char *event, const struct srv_log_field *fields);

#define srv_log(level, event, ...) \
	srv_log_fields((level), (event), (const struct srv_log_field[]){ __VA_ARGS__, LEND })

#define log_debug(ev, ...) do { if (srv_log_enabled(SRV_LOG_DEBUG)) srv_log(SRV_LOG_DEBUG, ev, __VA_ARGS__); } while (0)
#define log_info(ev, ...) srv_log(SRV_LOG_INFO, ev, __VA_ARGS__)
#define log_warn(ev, ...) srv_log(SRV_LOG_WARN, ev, __VA_ARGS__)
#define log_error(ev, ...) srv_log(SRV_LOG_ERROR, ev, __VA_ARGS__)

#endif /* SRV_LOG_H */
