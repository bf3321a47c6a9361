/* srv_http.c - libmicrohttpd glue (see srv_http.h). */
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <microhttpd.h>

#include "cx_util.h"
#include "eid_limits.h"
#include "srv_http.h"
#include "srv_log.h"
#include "srv_store.h"

#if MHD_VERSION >= 0x00097002
typedef enum MHD_Result mhd_result;
#else
typedef int mhd_result;
#endif

struct srv_http {
	struct srv_app *app;
	struct MHD_Daemon *daemon;
	/* request ids: a random start, then one more per request (unique in a process's
	 * life, not secret, and no system call per request) */
	atomic_uint_fast64_t next_request_id;
	pthread_mutex_t held_mu;        /* conn_ctx.audit_result, .orphaned (see hold_for_audit) */
	/* the heavy-work pool (run_heavy): a FIFO of suspended requests */
	pthread_mutex_t heavy_mu;
	pthread_cond_t heavy_cv;
	struct conn_ctx *heavy_head, *heavy_tail;   /* under heavy_mu */
	int heavy_stop;                             /* under heavy_mu */
	pthread_t *heavy_threads;
	size_t n_heavy;
};

/* Per-request state, from the request line to completion. */
struct conn_ctx {
	struct srv_http *http;
	struct srv_req req;
	size_t route;
	unsigned route_status;
	char allow[64];
	size_t body_cap;
	struct cx_dynbuf body;
	int too_large;
	int headers_done;
	unsigned status_sent;
	/* an answer held until its audit event is durable (hold_for_audit) */
	struct MHD_Connection *conn;
	struct srv_resp held;
	int holding;                    /* the connection's thread only */
	int audit_done, audit_result, orphaned;     /* under http->held_mu */
	struct conn_ctx *heavy_next;    /* the heavy-work queue, under http->heavy_mu */
};

static int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static enum srv_method
method_of(const char *m)
{
	if (strcmp(m, "GET") == 0)
		return SRV_GET;
	if (strcmp(m, "POST") == 0)
		return SRV_POST;
	if (strcmp(m, "HEAD") == 0)
		return SRV_HEAD;
	if (strcmp(m, "DELETE") == 0)
		return SRV_DELETE;
	if (strcmp(m, "OPTIONS") == 0)
		return SRV_OPTIONS;
	return SRV_OTHER;
}

/* Called when the request line arrives: the earliest point, so latency counts it all. */
static void *
uri_log_cb(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct srv_http *h = cls;
	struct conn_ctx *c = calloc(1, sizeof(*c));
	uint64_t id;
	uint8_t rid[8];
	size_t i;

	(void)uri;
	(void)conn;
	if (c == NULL)
		return NULL;
	c->http = h;
	srv_req_init(&c->req);
	c->req.start_us = mono_us();
	id = (uint64_t)atomic_fetch_add(&h->next_request_id, 1);
	for (i = 0; i < sizeof(rid); i++)
		rid[i] = (uint8_t)(id >> (56 - 8 * i));
	cx_hex_encode(c->req.request_id, rid, sizeof(rid));
	srv_metrics_inflight(h->app->metrics, 1);
	return c;
}

static mhd_result
collect_kv(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct srv_kvlist *l = cls;
	char lower[256];
	size_t i, n = strlen(key);

	if (kind == MHD_HEADER_KIND) {
		if (n >= sizeof(lower))
			return MHD_YES;         /* no header we read is that long */
		for (i = 0; i < n; i++)
			lower[i] = (char)((key[i] >= 'A' && key[i] <= 'Z') ? key[i] + 32 : key[i]);
		lower[n] = '\0';
		key = lower;
	}
	if (value != NULL && strlen(value) > EID_HTTP_MAX_PARAM_BYTES && kind != MHD_HEADER_KIND)
		return MHD_YES;                 /* over-long parameter: handlers see it as absent */
	if (srv_kvlist_add(l, key, n, value, value != NULL ? strlen(value) : 0) != 0)
		return MHD_NO;
	return MHD_YES;
}

/* Form fields, possibly in several chunks per value. */
static mhd_result
post_iter(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
    const char *content_type, const char *transfer_encoding, const char *data, uint64_t off,
    size_t size)
{
	struct srv_kvlist *l = cls;

	(void)kind;
	(void)filename;
	(void)content_type;
	(void)transfer_encoding;
	if (off > 0 && l->n > 0 && strcmp(l->v[l->n - 1].key, key) == 0) {
		struct srv_kv *last = &l->v[l->n - 1];
		size_t have = strlen(last->value);
		char *nv;

		if (have + size > EID_HTTP_MAX_PARAM_BYTES || (nv = realloc(last->value, have + size + 1)) == NULL)
			return MHD_NO;
		memcpy(nv + have, data, size);
		nv[have + size] = '\0';
		last->value = nv;
		return MHD_YES;
	}
	return srv_kvlist_add(l, key, strlen(key), data, size) == 0 ? MHD_YES : MHD_NO;
}

static mhd_result
sum_header_bytes(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	size_t *total = cls;

	(void)kind;
	*total += strlen(key) + (value != NULL ? strlen(value) : 0) + 4;
	return MHD_YES;
}

static int
parse_form(struct MHD_Connection *conn, struct conn_ctx *c)
{
	struct MHD_PostProcessor *pp;
	int ok;

	if (c->req.body_len == 0)
		return 0;
	if ((pp = MHD_create_post_processor(conn, 4096, post_iter, &c->req.form)) == NULL)
		return -1;              /* not a form content type */
	ok = MHD_post_process(pp, (const char *)c->req.body, c->req.body_len) == MHD_YES;
	MHD_destroy_post_processor(pp);
	return ok ? 0 : -1;
}

size_t
srv_http_security_headers(const struct srv_resp *resp,
    struct srv_http_header out[SRV_HTTP_SECURITY_MAX], char scratch[SRV_HTTP_SECURITY_SCRATCH])
{
	static const char csp[] =
	    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
	    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
	/* scratch: a max-age Cache-Control value first, then a form_post CSP */
	char *cc = scratch, *dyn = scratch + 64;
	size_t n = 0;

	out[n++] = (struct srv_http_header){ "X-Content-Type-Options", "nosniff" };
	if (resp->no_store) {
		out[n++] = (struct srv_http_header){ "Cache-Control", "no-store" };
		out[n++] = (struct srv_http_header){ "Pragma", "no-cache" };
	} else if (resp->cache_max_age > 0) {
		snprintf(cc, 64, "public, max-age=%ld", resp->cache_max_age);
		out[n++] = (struct srv_http_header){ "Cache-Control", cc };
	}
	if (resp->html) {
		/* form_post answers post to the client's origin: allow exactly that one */
		if (resp->form_action != NULL && strlen(resp->form_action) < 256 &&
		    strpbrk(resp->form_action, " ;,'\"\r\n") == NULL) {
			snprintf(dyn, SRV_HTTP_SECURITY_SCRATCH - 64, "default-src 'none'; script-src 'self'; "
			    "style-src 'self'; img-src 'self' data:; connect-src 'self'; "
			    "form-action 'self' %s; frame-ancestors 'none'; base-uri 'none'",
			    resp->form_action);
			out[n++] = (struct srv_http_header){ "Content-Security-Policy", dyn };
		} else
			out[n++] = (struct srv_http_header){ "Content-Security-Policy", csp };
		out[n++] = (struct srv_http_header){ "X-Frame-Options", "DENY" };
		out[n++] = (struct srv_http_header){ "Referrer-Policy", "no-referrer" };
		if (!resp->no_store)
			out[n++] = (struct srv_http_header){ "Cache-Control", "no-cache" };
	}
	return n;
}

/* libmicrohttpd's free callback for no-store bodies: text, NUL-terminated by cx_dynbuf. */
static void
wipe_body(void *body)
{
	cx_free_str(body);
}

/* Send resp; its body moves to libmicrohttpd (resp->body is empty afterwards). */
static mhd_result
send_resp(struct MHD_Connection *conn, struct conn_ctx *c, struct srv_resp *resp)
{
	struct MHD_Response *mr;
	struct srv_http_header sec[SRV_HTTP_SECURITY_MAX];
	char scratch[SRV_HTTP_SECURITY_SCRATCH];
	mhd_result ret;
	char *body;
	size_t i, len, nsec;

	/* the body goes to libmicrohttpd as it is (no copy); an answer that carries secrets
	 * (no-store: tokens, codes in forms) is wiped when libmicrohttpd is done with it */
	if ((body = cx_dynbuf_take(&resp->body, &len)) == NULL)
		return MHD_NO;
	if (resp->no_store)
		mr = MHD_create_response_from_buffer_with_free_callback(len, body, wipe_body);
	else
		mr = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (mr == NULL) {
		cx_free_str(body);
		return MHD_NO;
	}
	MHD_add_response_header(mr, "Content-Type", resp->content_type);
	MHD_add_response_header(mr, "X-Request-Id", c->req.request_id);
	nsec = srv_http_security_headers(resp, sec, scratch);
	for (i = 0; i < nsec; i++)
		MHD_add_response_header(mr, sec[i].name, sec[i].value);
	for (i = 0; i < resp->headers.n; i++)
		MHD_add_response_header(mr, resp->headers.v[i].key, resp->headers.v[i].value);
	c->status_sent = resp->status;
	ret = MHD_queue_response(conn, resp->status, mr);
	MHD_destroy_response(mr);
	return ret;
}

static mhd_result
send_error(struct MHD_Connection *conn, struct conn_ctx *c, unsigned status, const char *error,
    const char *desc)
{
	struct srv_resp resp;
	mhd_result ret;

	srv_resp_init(&resp);
	resp.no_store = 1;
	if (srv_resp_error(&resp, status, error, desc) != 0) {
		srv_resp_clear(&resp);
		return MHD_NO;
	}
	ret = send_resp(conn, c, &resp);
	srv_resp_clear(&resp);
	return ret;
}

static void
ctx_free(struct conn_ctx *c)
{
	cx_dynbuf_free(&c->body);
	srv_req_clear(&c->req);
	srv_resp_clear(&c->held);
	free(c);
}

/* The audit writer's callback: wake the connection, or free what it left behind. */
static void
audit_written(void *arg, int result)
{
	struct conn_ctx *c = arg;
	struct srv_http *h = c->http;

	pthread_mutex_lock(&h->held_mu);
	c->audit_result = result;
	c->audit_done = 1;
	if (c->orphaned) {
		/* the daemon closed the connection meanwhile (shutdown) */
		pthread_mutex_unlock(&h->held_mu);
		ctx_free(c);
		return;
	}
	MHD_resume_connection(c->conn);
	pthread_mutex_unlock(&h->held_mu);
}

/*
 * An answer whose audit event must be durable first (srv_resp_audit: a code exchange's
 * data.release). The connection is suspended and the event queued for the store's
 * group commit; the worker thread goes on with other connections, and when the batch is
 * written audit_written resumes this one and access_cb sends the answer. So one commit
 * covers every exchange in flight, not one per worker thread.
 */
static mhd_result
hold_for_audit(struct srv_http *h, struct MHD_Connection *conn, struct conn_ctx *c,
    struct srv_resp *resp)
{
	int r;

	c->held = *resp;                /* the answer moves into c */
	srv_resp_init(resp);
	c->conn = conn;
	c->holding = 1;
	MHD_suspend_connection(conn);
	if ((r = srv_store_audit_append_async(h->app->store, c->held.audit, audit_written, c)) != 0) {
		/* not queued: write it here, then go on as the writer would */
		r = srv_store_audit_append(h->app->store, c->held.audit);
		audit_written(c, r);
	}
	return MHD_YES;
}

/*
 * A POST to a SRV_ROUTE_HEAVY route: suspend the connection and queue the request for
 * the heavy-work pool. The pool thread runs the handler, writes the answer's audit event
 * if it has one, and resumes the connection through audit_written, like a held answer;
 * access_cb then sends it (send_held).
 */
static mhd_result
run_heavy(struct srv_http *h, struct MHD_Connection *conn, struct conn_ctx *c)
{
	c->conn = conn;
	c->holding = 1;
	srv_resp_init(&c->held);
	MHD_suspend_connection(conn);
	pthread_mutex_lock(&h->heavy_mu);
	c->heavy_next = NULL;
	if (h->heavy_tail != NULL)
		h->heavy_tail->heavy_next = c;
	else
		h->heavy_head = c;
	h->heavy_tail = c;
	pthread_cond_signal(&h->heavy_cv);
	pthread_mutex_unlock(&h->heavy_mu);
	return MHD_YES;
}

static void *
heavy_main(void *arg)
{
	struct srv_http *h = arg;
	struct conn_ctx *c;
	int r, gone;

	for (;;) {
		pthread_mutex_lock(&h->heavy_mu);
		while (h->heavy_head == NULL && !h->heavy_stop)
			pthread_cond_wait(&h->heavy_cv, &h->heavy_mu);
		if ((c = h->heavy_head) == NULL) {         /* stopping, and nothing left */
			pthread_mutex_unlock(&h->heavy_mu);
			return NULL;
		}
		if ((h->heavy_head = c->heavy_next) == NULL)
			h->heavy_tail = NULL;
		pthread_mutex_unlock(&h->heavy_mu);
		/* closed while queued (the daemon stopped after its grace period): no one
		   would get the answer, so the handler is not run */
		pthread_mutex_lock(&h->held_mu);
		gone = c->orphaned;
		pthread_mutex_unlock(&h->held_mu);
		r = 0;
		if (!gone) {
			srv_log_set_request_id(c->req.request_id);
			srv_dispatch(h->app, c->route, c->route_status, c->allow, &c->req, &c->held);
			if (c->held.audit != NULL)
				r = srv_store_audit_append(h->app->store, c->held.audit);
			srv_log_set_request_id(NULL);
		}
		audit_written(c, r);            /* resumes the connection, or frees an orphan */
	}
}

static mhd_result
send_held(struct MHD_Connection *conn, struct conn_ctx *c)
{
	struct srv_http *h = c->http;
	mhd_result ret;
	int r;

	pthread_mutex_lock(&h->held_mu);
	r = c->audit_result;
	pthread_mutex_unlock(&h->held_mu);
	srv_log_set_request_id(c->req.request_id);
	if (r != 0)
		log_warn("audit_append_failed", LS("action", c->held.audit->action),
		    LS("reason", eid_strerror(r)));
	c->holding = 0;
	ret = send_resp(conn, c, &c->held);
	srv_resp_clear(&c->held);
	return ret;
}

static mhd_result
access_cb(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct srv_http *h = cls;
	struct conn_ctx *c = *con_cls;
	struct srv_resp resp;
	mhd_result ret;

	(void)version;
	if (c == NULL)
		return MHD_NO;          /* out of memory at the request line */
	if (c->holding)
		return send_held(conn, c);      /* resumed: the audit event is written */
	if (!c->headers_done) {
		const char *cl;

		size_t header_bytes = strlen(url) + strlen(method) + 12;

		c->headers_done = 1;
		c->req.method = method_of(method);
		MHD_get_connection_values(conn, MHD_HEADER_KIND, sum_header_bytes, &header_bytes);
		if (header_bytes > EID_HTTP_MAX_HEADER_BYTES)
			return send_error(conn, c, 431, "invalid_request",
			    "The request headers are too large (16 KiB at most).");
		if ((c->req.path = strdup(url)) == NULL)
			return MHD_NO;
		srv_log_set_request_id(c->req.request_id);
		c->route = srv_route_find(c->req.method, url, &c->route_status, c->allow, sizeof(c->allow));
		c->body_cap = srv_route_body_cap(c->route);
		cx_dynbuf_init(&c->body, c->body_cap);
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL && (strlen(cl) > 12 || strtoull(cl, NULL, 10) > c->body_cap))
			return send_error(conn, c, 413, "invalid_request", "The request body is too large.");
		return MHD_YES;
	}
	if (*upload_size != 0) {
		if (!c->too_large && cx_dynbuf_add(&c->body, upload_data, *upload_size) != 0)
			c->too_large = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	srv_log_set_request_id(c->req.request_id);
	if (c->too_large)
		return send_error(conn, c, 413, "invalid_request", "The request body is too large.");
	c->req.body = (uint8_t *)cx_dynbuf_take(&c->body, &c->req.body_len);
	if (c->req.body == NULL)
		return MHD_NO;
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_kv, &c->req.query);
	MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_kv, &c->req.headers);
	{
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

		if (ci != NULL && ci->client_addr != NULL) {
			const struct sockaddr *sa = ci->client_addr;

			if (sa->sa_family == AF_INET)
				inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
				    c->req.remote_ip, sizeof(c->req.remote_ip));
			else if (sa->sa_family == AF_INET6)
				inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
				    c->req.remote_ip, sizeof(c->req.remote_ip));
		}
	}
	if (c->route != 0 && (srv_routes[c->route].flags & SRV_ROUTE_FORM) &&
	    c->req.method == SRV_POST && c->req.body_len > 0 && parse_form(conn, c) != 0)
		return send_error(conn, c, 400, "invalid_request",
		    "The body must be application/x-www-form-urlencoded with at most 64 parameters.");
	if (c->req.query.n > EID_HTTP_MAX_PARAMS || c->req.form.n > EID_HTTP_MAX_PARAMS)
		return send_error(conn, c, 400, "invalid_request", "Too many parameters.");
	if (h->n_heavy > 0 && c->route != 0 && c->req.method == SRV_POST &&
	    (srv_routes[c->route].flags & SRV_ROUTE_HEAVY))
		return run_heavy(h, conn, c);
	srv_resp_init(&resp);
	srv_dispatch(h->app, c->route, c->route_status, c->allow, &c->req, &resp);
	if (resp.audit != NULL)
		ret = hold_for_audit(h, conn, c, &resp);
	else
		ret = send_resp(conn, c, &resp);
	srv_resp_clear(&resp);
	return ret;
}

static void
completed_cb(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct srv_http *h = cls;
	struct conn_ctx *c = *con_cls;
	int64_t us;

	(void)conn;
	if (c == NULL)
		return;
	us = mono_us() - c->req.start_us;
	srv_metrics_observe(h->app->metrics, c->route, c->status_sent ? c->status_sent : 499,
	    (uint64_t)(us > 0 ? us : 0));
	srv_log_set_request_id(c->req.request_id);
	if (srv_log_enabled(SRV_LOG_INFO))
		log_info("http_request", LS("method", c->req.path != NULL ?
		    (c->req.method == SRV_GET ? "GET" : c->req.method == SRV_POST ? "POST" :
		    c->req.method == SRV_HEAD ? "HEAD" : "OTHER") : "-"),
		    LS("route", srv_route_names[c->route]), LI("status", c->status_sent),
		    LI("duration_us", us), LS("remote", c->req.remote_ip),
		    LS("outcome", toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "sent" : "aborted"));
	srv_log_set_request_id(NULL);
	srv_metrics_inflight(h->app->metrics, -1);
	*con_cls = NULL;
	if (c->holding) {
		/* closed while its audit event is queued (daemon shutdown): the writer's
		 * callback frees it, or has already run and left it to us */
		pthread_mutex_lock(&h->held_mu);
		if (!c->audit_done) {
			c->orphaned = 1;
			pthread_mutex_unlock(&h->held_mu);
			return;
		}
		pthread_mutex_unlock(&h->held_mu);
	}
	ctx_free(c);
}

static void mhd_log(void *cls, const char *fmt, va_list ap) EID_PRINTF(2, 0);

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("http_library", LS("message", msg));
}

/* The heavy-work pool: one thread per CPU (Argon2id runs at most one per CPU anyway). */
static int
heavy_start(struct srv_http *h)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = ncpu > 0 && ncpu < 64 ? (size_t)ncpu : 2, i;
	sigset_t all, old;

	if (pthread_mutex_init(&h->heavy_mu, NULL) != 0)
		return EID_ERR_NOMEM;
	if (pthread_cond_init(&h->heavy_cv, NULL) != 0) {
		pthread_mutex_destroy(&h->heavy_mu);
		return EID_ERR_NOMEM;
	}
	if ((h->heavy_threads = calloc(n, sizeof(*h->heavy_threads))) == NULL) {
		pthread_cond_destroy(&h->heavy_cv);
		pthread_mutex_destroy(&h->heavy_mu);
		return EID_ERR_NOMEM;
	}
	/* signals are for the main thread */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < n; i++)
		if (pthread_create(&h->heavy_threads[i], NULL, heavy_main, h) != 0)
			break;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	h->n_heavy = i;                 /* none: heavy requests run on the HTTP workers */
	if (i < n)
		log_warn("http_heavy_pool_short", LI("wanted", n), LI("started", i));
	return 0;
}

/* Finish what is queued, then join the pool. */
static void
heavy_stop(struct srv_http *h)
{
	size_t i;

	pthread_mutex_lock(&h->heavy_mu);
	h->heavy_stop = 1;
	pthread_cond_broadcast(&h->heavy_cv);
	pthread_mutex_unlock(&h->heavy_mu);
	for (i = 0; i < h->n_heavy; i++)
		pthread_join(h->heavy_threads[i], NULL);
	free(h->heavy_threads);
	h->heavy_threads = NULL;
	h->n_heavy = 0;
	pthread_cond_destroy(&h->heavy_cv);
	pthread_mutex_destroy(&h->heavy_mu);
}

int
srv_http_start(struct srv_app *app, struct srv_http **out, char *err, size_t errlen)
{
	const struct srv_config *cfg = app->cfg;
	struct addrinfo hints, *ai = NULL;
	struct srv_http *h = NULL;
	char port[8];
	unsigned threads = cfg->http_threads;
	int gai;

	*out = NULL;
	if (threads == 0) {
		/*
		 * Four workers per CPU: a worker waits on Redis round trips, SQLite reads and
		 * durable audit writes, and the others keep the CPUs busy meanwhile. Password
		 * checks and chip signatures do not hold a worker: they run on the heavy-work
		 * pool (run_heavy).
		 */
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		threads = n > 0 && n < 64 ? 4 * (unsigned)n : 8;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", cfg->listen_port);
	if ((gai = getaddrinfo(cfg->listen_host, port, &hints, &ai)) != 0) {
		snprintf(err, errlen, "listen: cannot resolve %s: %s", cfg->listen_host, gai_strerror(gai));
		return EID_ERR_CONFIG;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		freeaddrinfo(ai);
		return EID_ERR_NOMEM;
	}
	h->app = app;
	if (pthread_mutex_init(&h->held_mu, NULL) != 0) {
		freeaddrinfo(ai);
		free(h);
		return EID_ERR_NOMEM;
	}
	{
		uint64_t start;

		cx_random(&start, sizeof(start));
		atomic_init(&h->next_request_id, start);
	}
	if (heavy_start(h) != 0) {
		freeaddrinfo(ai);
		pthread_mutex_destroy(&h->held_mu);
		free(h);
		return EID_ERR_NOMEM;
	}
	h->daemon = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG |
	    MHD_ALLOW_SUSPEND_RESUME | (ai->ai_family == AF_INET6 ? MHD_USE_IPv6 : 0),
	    (uint16_t)cfg->listen_port, NULL, NULL, access_cb, h,
	    MHD_OPTION_SOCK_ADDR, ai->ai_addr,
	    MHD_OPTION_THREAD_POOL_SIZE, threads,
	    MHD_OPTION_CONNECTION_TIMEOUT, cfg->http_timeout,
	    MHD_OPTION_CONNECTION_LIMIT, cfg->http_max_connections,
	    /* headroom over the header cap, so that an oversized header block reaches
	     * access_cb and gets a 431 instead of a silent close */
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)EID_HTTP_MAX_HEADER_BYTES + 8 * 1024,
	    MHD_OPTION_LISTENING_ADDRESS_REUSE, 1,
	    MHD_OPTION_URI_LOG_CALLBACK, uri_log_cb, h,
	    MHD_OPTION_NOTIFY_COMPLETED, completed_cb, h,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_END);
	freeaddrinfo(ai);
	if (h->daemon == NULL) {
		snprintf(err, errlen, "listen: cannot listen on %s:%u (in use, or not an address of this machine?)",
		    cfg->listen_host, cfg->listen_port);
		heavy_stop(h);
		pthread_mutex_destroy(&h->held_mu);
		free(h);
		return EID_ERR_IO;
	}
	log_info("http_listening", LS("host", cfg->listen_host), LI("port", cfg->listen_port),
	    LI("threads", threads), LI("heavy_threads", h->n_heavy));
	*out = h;
	return 0;
}

void
srv_http_quiesce(struct srv_http *h)
{
	MHD_socket fd;

	if (h == NULL || h->daemon == NULL)
		return;
	fd = MHD_quiesce_daemon(h->daemon);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
}

long
srv_http_drain(struct srv_http *h, unsigned grace_ms)
{
	int64_t deadline = mono_us() + (int64_t)grace_ms * 1000;
	long n;

	while ((n = srv_metrics_inflight_now(h->app->metrics)) > 0 && mono_us() < deadline) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	return n;
}

void
srv_http_stop(struct srv_http **hp)
{
	if (hp == NULL || *hp == NULL)
		return;
	if ((*hp)->daemon != NULL)
		MHD_stop_daemon((*hp)->daemon);
	heavy_stop(*hp);                /* after the daemon: what is left finds itself orphaned */
	pthread_mutex_destroy(&(*hp)->held_mu);
	free(*hp);
	*hp = NULL;
}
