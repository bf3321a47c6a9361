/* srv_metrics.c - Prometheus metrics (see srv_metrics.h). */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "srv_metrics.h"

/* Status codes counted on their own; anything else counts as its class ("2xx", ...). */
static const unsigned status_codes[] = {
	200, 201, 204, 302, 303, 304, 400, 401, 403, 404, 405, 408, 409, 413, 415, 429, 431,
	500, 503,
};
#define N_STATUS (sizeof(status_codes) / sizeof(status_codes[0]))
#define N_SLOTS (N_STATUS + 5)          /* + 1xx..5xx "other" classes */

/* Latency buckets in microseconds (rendered as seconds). */
static const uint64_t bucket_us[] = {
	250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000,
	2500000, 10000000,
};
#define N_BUCKETS (sizeof(bucket_us) / sizeof(bucket_us[0]))

struct route_stats {
	atomic_ullong by_status[N_SLOTS];
	atomic_ullong bucket[N_BUCKETS + 1];    /* last: +Inf */
	atomic_ullong sum_us;
};

struct srv_metrics {
	size_t n_routes;
	const char *const *names;
	struct route_stats routes[SRV_METRICS_MAX_ROUTES];
	atomic_ullong redis_errors;
	atomic_long inflight;
};

int
srv_metrics_new(const char *const *route_names, size_t n_routes, struct srv_metrics **out)
{
	struct srv_metrics *m;

	*out = NULL;
	if (n_routes == 0 || n_routes > SRV_METRICS_MAX_ROUTES)
		return EID_ERR_INVALID_ARGUMENT;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return EID_ERR_NOMEM;
	m->n_routes = n_routes;
	m->names = route_names;
	*out = m;
	return 0;
}

void
srv_metrics_free(struct srv_metrics **m)
{
	if (m == NULL || *m == NULL)
		return;
	free(*m);
	*m = NULL;
}

static size_t
status_slot(unsigned status)
{
	size_t i;

	for (i = 0; i < N_STATUS; i++)
		if (status_codes[i] == status)
			return i;
	if (status >= 100 && status < 600)
		return N_STATUS + status / 100 - 1;
	return N_STATUS + 4;
}

void
srv_metrics_observe(struct srv_metrics *m, size_t route, unsigned status, uint64_t micros)
{
	struct route_stats *rs;
	size_t b;

	if (m == NULL)
		return;
	rs = &m->routes[route < m->n_routes ? route : 0];
	atomic_fetch_add_explicit(&rs->by_status[status_slot(status)], 1, memory_order_relaxed);
	for (b = 0; b < N_BUCKETS && micros > bucket_us[b]; b++)
		;
	atomic_fetch_add_explicit(&rs->bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&rs->sum_us, micros, memory_order_relaxed);
}

void
srv_metrics_redis_error(struct srv_metrics *m)
{
	if (m != NULL)
		atomic_fetch_add_explicit(&m->redis_errors, 1, memory_order_relaxed);
}

void
srv_metrics_inflight(struct srv_metrics *m, int delta)
{
	if (m != NULL)
		atomic_fetch_add_explicit(&m->inflight, delta, memory_order_relaxed);
}

long
srv_metrics_inflight_now(struct srv_metrics *m)
{
	return m != NULL ? atomic_load_explicit(&m->inflight, memory_order_relaxed) : 0;
}

static int
render_status_label(struct cx_dynbuf *out, size_t slot)
{
	if (slot < N_STATUS)
		return cx_dynbuf_addf(out, "%u", status_codes[slot]);
	return cx_dynbuf_addf(out, "%zuxx", slot - N_STATUS + 1);
}

int
srv_metrics_render(struct srv_metrics *m, const struct srv_metrics_gauges *g, struct cx_dynbuf *out)
{
	size_t i, s, b;
	int r = 0;

	r = cx_dynbuf_add_str(out,
	    "# HELP eid_http_requests_total HTTP requests by route and status code.\n"
	    "# TYPE eid_http_requests_total counter\n");
	for (i = 0; r == 0 && i < m->n_routes; i++)
		for (s = 0; r == 0 && s < N_SLOTS; s++) {
			unsigned long long v = atomic_load_explicit(&m->routes[i].by_status[s],
			    memory_order_relaxed);

			if (v == 0)
				continue;
			r = cx_dynbuf_addf(out, "eid_http_requests_total{route=\"%s\",status=\"", m->names[i]);
			r = r != 0 ? r : render_status_label(out, s);
			r = r != 0 ? r : cx_dynbuf_addf(out, "\"} %llu\n", v);
		}
	r = r != 0 ? r : cx_dynbuf_add_str(out,
	    "# HELP eid_http_request_duration_seconds Time from request start to response queued.\n"
	    "# TYPE eid_http_request_duration_seconds histogram\n");
	for (i = 0; r == 0 && i < m->n_routes; i++) {
		unsigned long long cum = 0, sum;

		for (b = 0; b <= N_BUCKETS; b++)
			cum += atomic_load_explicit(&m->routes[i].bucket[b], memory_order_relaxed);
		if (cum == 0)
			continue;
		cum = 0;
		for (b = 0; r == 0 && b <= N_BUCKETS; b++) {
			cum += atomic_load_explicit(&m->routes[i].bucket[b], memory_order_relaxed);
			if (b < N_BUCKETS)
				r = cx_dynbuf_addf(out,
				    "eid_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
				    m->names[i], (double)bucket_us[b] / 1e6, cum);
			else
				r = cx_dynbuf_addf(out,
				    "eid_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n",
				    m->names[i], cum);
		}
		sum = atomic_load_explicit(&m->routes[i].sum_us, memory_order_relaxed);
		r = r != 0 ? r : cx_dynbuf_addf(out,
		    "eid_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
		    "eid_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
		    m->names[i], (double)sum / 1e6, m->names[i], cum);
	}
	r = r != 0 ? r : cx_dynbuf_addf(out,
	    "# HELP eid_redis_errors_total Redis commands that failed (connection or reply errors).\n"
	    "# TYPE eid_redis_errors_total counter\n"
	    "eid_redis_errors_total %llu\n"
	    "# HELP eid_http_requests_in_flight Requests being handled now.\n"
	    "# TYPE eid_http_requests_in_flight gauge\n"
	    "eid_http_requests_in_flight %ld\n",
	    atomic_load_explicit(&m->redis_errors, memory_order_relaxed),
	    atomic_load_explicit(&m->inflight, memory_order_relaxed));
	if (r == 0 && g != NULL && g->active_sessions >= 0)
		r = cx_dynbuf_addf(out,
		    "# HELP eid_sessions_active Citizen SSO sessions alive in Redis.\n"
		    "# TYPE eid_sessions_active gauge\n"
		    "eid_sessions_active %lld\n", g->active_sessions);
	if (r == 0 && g != NULL && g->signing_keys >= 0)
		r = cx_dynbuf_addf(out,
		    "# HELP eid_signing_keys Signing keys published in the JWKS.\n"
		    "# TYPE eid_signing_keys gauge\n"
		    "eid_signing_keys %lld\n", g->signing_keys);
	if (r == 0 && g != NULL && g->up_seconds >= 0)
		r = cx_dynbuf_addf(out,
		    "# HELP eid_uptime_seconds Seconds since eidd started.\n"
		    "# TYPE eid_uptime_seconds gauge\n"
		    "eid_uptime_seconds %lld\n", g->up_seconds);
	return r;
}
