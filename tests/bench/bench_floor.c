/*
 * bench_floor.c - the HTTP floor of this machine: what one request costs in libmicrohttpd
 * and the kernel when the answer costs nothing to make.
 *
 * usage: bench_floor PORT BODY_BYTES THREADS
 *
 * Listens on 127.0.0.1:PORT with the daemon options eidd uses (srv_http.c: internal
 * epoll threads, a pool of THREADS, the same per-connection memory) and answers every
 * request with one prepared response of BODY_BYTES bytes and eidd's usual headers.
 * tests/bench/run.py drives it with wrk next to eidd's /jwks (same body size), so the
 * difference is what eid-server itself adds to a request. Runs until SIGTERM or SIGINT.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <microhttpd.h>

#include "eid_limits.h"

#if MHD_VERSION >= 0x00097002
typedef enum MHD_Result mhd_result;
#else
typedef int mhd_result;
#endif

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static mhd_result
answer(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
	(void)url;
	(void)method;
	(void)version;
	(void)upload_data;
	if (*con_cls == NULL) {         /* headers only: wait for the end of the request */
		*con_cls = conn;
		return MHD_YES;
	}
	*upload_size = 0;
	return MHD_queue_response(conn, MHD_HTTP_OK, cls);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	struct MHD_Response *resp;
	struct MHD_Daemon *d;
	unsigned long port, size, threads;
	char *body;

	if (argc != 4 || (port = strtoul(argv[1], NULL, 10)) == 0 || port > 65535 ||
	    (size = strtoul(argv[2], NULL, 10)) > 1024 * 1024 ||
	    (threads = strtoul(argv[3], NULL, 10)) == 0 || threads > 256) {
		fprintf(stderr, "usage: bench_floor PORT BODY_BYTES THREADS\n");
		return 2;
	}
	if ((body = malloc(size + 1)) == NULL)
		return 1;
	memset(body, 'x', size);
	resp = MHD_create_response_from_buffer(size, body, MHD_RESPMEM_MUST_COPY);
	free(body);
	if (resp == NULL)
		return 1;
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "X-Request-Id", "0123456789abcdef");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Cache-Control", "public, max-age=300");
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC,
	    (uint16_t)port, NULL, NULL, answer, resp,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)EID_HTTP_MAX_HEADER_BYTES + 8 * 1024,
	    MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "bench_floor: cannot listen on 127.0.0.1:%lu\n", port);
		MHD_destroy_response(resp);
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	while (!stop)
		pause();
	MHD_stop_daemon(d);
	MHD_destroy_response(resp);
	return 0;
}
