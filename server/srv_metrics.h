/*
 * srv_metrics.h - Prometheus counters, a latency histogram and gauges for GET /metrics.
 *
 * Lock-free: every counter is a relaxed atomic. Routes are numbered by the route table
 * (srv_routes.c); index 0 is reserved for "not found". Rendering follows the Prometheus
 * text exposition format 0.0.4.
 */
#ifndef SRV_METRICS_H
#define SRV_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "cx_buf.h"

#define SRV_METRICS_MAX_ROUTES 64

struct srv_metrics;

int srv_metrics_new(const char *const *route_names, size_t n_routes, struct srv_metrics **out);
void srv_metrics_free(struct srv_metrics **m);

void srv_metrics_observe(struct srv_metrics *m, size_t route, unsigned status, uint64_t micros);
void srv_metrics_redis_error(struct srv_metrics *m);
void srv_metrics_inflight(struct srv_metrics *m, int delta);
long srv_metrics_inflight_now(struct srv_metrics *m);

/* Gauges computed at scrape time are passed in; a negative value is left out. */
struct srv_metrics_gauges {
	long long active_sessions;
	long long signing_keys;
	long long up_seconds;
};
int srv_metrics_render(struct srv_metrics *m, const struct srv_metrics_gauges *g,
    struct cx_dynbuf *out) EID_WARN_UNUSED;

#endif /* SRV_METRICS_H */
