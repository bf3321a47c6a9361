/*
 * srv_curl.c - libcurl, loaded when eidd first needs an HTTP client (see srv_curl.h).
 *
 * Each entry point below has curl.h's prototype (the compiler checks it against the
 * header), makes sure the library is loaded, and calls the real function through the
 * pointer dlsym() gave. The variadic ones (curl_easy_setopt, curl_multi_setopt,
 * curl_easy_getinfo) take their one argument by the type class that curl.h encodes in
 * the option number (CURLOPTTYPE_*: long, object pointer, function pointer, curl_off_t,
 * blob pointer; getinfo's argument is always a pointer) and pass it on with that type
 * (CALL_WITH_OPTION_ARG).
 * Function names are parenthesised so that curl.h's type-checking macros, which share
 * them, do not expand here.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>

#include <curl/curl.h>

#include "eid_err.h"
#include "srv_curl.h"
#include "srv_log.h"

#define SRV_CURL_LIBRARY "libcurl.so.4"

typedef void (*any_fn)(void);

/* r = fn(handle, option, <the next argument of ap>), the argument read and passed with
 * the type that the option number encodes (curl.h's CURLOPTTYPE_* ranges) */
#define CALL_WITH_OPTION_ARG(r, fn, handle, option, ap) do {               \
	if ((option) < CURLOPTTYPE_OBJECTPOINT)                                 \
		(r) = (fn)((handle), (option), va_arg((ap), long));                 \
	else if ((option) < CURLOPTTYPE_FUNCTIONPOINT)                          \
		(r) = (fn)((handle), (option), va_arg((ap), void *));               \
	else if ((option) < CURLOPTTYPE_OFF_T)                                  \
		(r) = (fn)((handle), (option), va_arg((ap), any_fn));               \
	else if ((option) < CURLOPTTYPE_BLOB)                                   \
		(r) = (fn)((handle), (option), va_arg((ap), curl_off_t));           \
	else                                                                    \
		(r) = (fn)((handle), (option), va_arg((ap), void *));               \
} while (0)

static struct {
	CURLcode (*global_init)(long);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	void (*easy_cleanup)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_setopt)(CURLM *, CURLMoption, ...);
	CURLMcode (*multi_add_handle)(CURLM *, CURL *);
	CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode (*multi_perform)(CURLM *, int *);
	CURLMcode (*multi_poll)(CURLM *, struct curl_waitfd[], unsigned int, int, int *);
	CURLMcode (*multi_wakeup)(CURLM *);
	CURLMsg *(*multi_info_read)(CURLM *, int *);
	CURLMcode (*multi_cleanup)(CURLM *);
} api;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static atomic_int load_state;           /* 0 not tried, 1 loaded, -1 failed */

/* dlsym into a typed pointer: POSIX guarantees data and function pointers convert */
#define LOOK_UP(handle, field, name, missing) do {                     \
	void *sym_ = dlsym((handle), (name));                              \
	if (sym_ == NULL && (missing) == NULL)                             \
		(missing) = (name);                                            \
	*(void **)(void *)&api.field = sym_;                               \
} while (0)

static void
load(void)
{
	const char *missing = NULL, *err;
	void *h;

	if ((h = dlopen(SRV_CURL_LIBRARY, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		err = dlerror();
		log_error("http_client_unavailable", LS("library", SRV_CURL_LIBRARY),
		    LS("reason", err != NULL ? err : "dlopen failed"));
		atomic_store(&load_state, -1);
		return;
	}
	LOOK_UP(h, global_init, "curl_global_init", missing);
	LOOK_UP(h, global_cleanup, "curl_global_cleanup", missing);
	LOOK_UP(h, easy_init, "curl_easy_init", missing);
	LOOK_UP(h, easy_setopt, "curl_easy_setopt", missing);
	LOOK_UP(h, easy_perform, "curl_easy_perform", missing);
	LOOK_UP(h, easy_cleanup, "curl_easy_cleanup", missing);
	LOOK_UP(h, easy_getinfo, "curl_easy_getinfo", missing);
	LOOK_UP(h, easy_strerror, "curl_easy_strerror", missing);
	LOOK_UP(h, slist_append, "curl_slist_append", missing);
	LOOK_UP(h, slist_free_all, "curl_slist_free_all", missing);
	LOOK_UP(h, multi_init, "curl_multi_init", missing);
	LOOK_UP(h, multi_setopt, "curl_multi_setopt", missing);
	LOOK_UP(h, multi_add_handle, "curl_multi_add_handle", missing);
	LOOK_UP(h, multi_remove_handle, "curl_multi_remove_handle", missing);
	LOOK_UP(h, multi_perform, "curl_multi_perform", missing);
	LOOK_UP(h, multi_poll, "curl_multi_poll", missing);
	LOOK_UP(h, multi_wakeup, "curl_multi_wakeup", missing);
	LOOK_UP(h, multi_info_read, "curl_multi_info_read", missing);
	LOOK_UP(h, multi_cleanup, "curl_multi_cleanup", missing);
	if (missing != NULL) {
		/* older than the 7.74 meson asks for at build time; leave it mapped, unused */
		log_error("http_client_unavailable", LS("library", SRV_CURL_LIBRARY),
		    LS("reason", "a function is missing (libcurl too old)"), LS("function", missing));
		atomic_store(&load_state, -1);
		return;
	}
	if (api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error("http_client_unavailable", LS("library", SRV_CURL_LIBRARY),
		    LS("reason", "curl_global_init failed"));
		atomic_store(&load_state, -1);
		return;
	}
	atomic_store(&load_state, 1);
	log_info("http_client_loaded", LS("library", SRV_CURL_LIBRARY));
}

int
srv_curl_load(void)
{
	if (atomic_load(&load_state) == 0)
		(void)pthread_once(&load_once, load);
	return atomic_load(&load_state) == 1 ? 0 : EID_ERR_UNSUPPORTED;
}

int
srv_curl_loaded(void)
{
	return atomic_load(&load_state) == 1;
}

/* ---- the entry points ---- */

CURLcode
(curl_global_init)(long flags)
{
	if (srv_curl_load() != 0)
		return CURLE_FAILED_INIT;
	return api.global_init(flags);
}

void
(curl_global_cleanup)(void)
{
	if (srv_curl_loaded())
		api.global_cleanup();
}

CURL *
(curl_easy_init)(void)
{
	return srv_curl_load() == 0 ? api.easy_init() : NULL;
}

CURLcode
(curl_easy_setopt)(CURL *h, CURLoption option, ...)
{
	CURLcode r;
	va_list ap;

	if (srv_curl_load() != 0)
		return CURLE_FAILED_INIT;
	va_start(ap, option);
	CALL_WITH_OPTION_ARG(r, api.easy_setopt, h, option, ap);
	va_end(ap);
	return r;
}

CURLcode
(curl_easy_perform)(CURL *h)
{
	return srv_curl_load() == 0 ? api.easy_perform(h) : CURLE_FAILED_INIT;
}

void
(curl_easy_cleanup)(CURL *h)
{
	if (h != NULL && srv_curl_loaded())
		api.easy_cleanup(h);
}

CURLcode
(curl_easy_getinfo)(CURL *h, CURLINFO info, ...)
{
	CURLcode r;
	va_list ap;

	if (srv_curl_load() != 0)
		return CURLE_FAILED_INIT;
	va_start(ap, info);
	r = api.easy_getinfo(h, info, va_arg(ap, void *));   /* always a pointer */
	va_end(ap);
	return r;
}

const char *
(curl_easy_strerror)(CURLcode code)
{
	return srv_curl_load() == 0 ? api.easy_strerror(code) : "libcurl is not available";
}

struct curl_slist *
(curl_slist_append)(struct curl_slist *list, const char *s)
{
	return srv_curl_load() == 0 ? api.slist_append(list, s) : NULL;
}

void
(curl_slist_free_all)(struct curl_slist *list)
{
	if (list != NULL && srv_curl_loaded())
		api.slist_free_all(list);
}

CURLM *
(curl_multi_init)(void)
{
	return srv_curl_load() == 0 ? api.multi_init() : NULL;
}

CURLMcode
(curl_multi_setopt)(CURLM *m, CURLMoption option, ...)
{
	CURLMcode r;
	va_list ap;

	if (srv_curl_load() != 0)
		return CURLM_INTERNAL_ERROR;
	va_start(ap, option);
	CALL_WITH_OPTION_ARG(r, api.multi_setopt, m, option, ap);
	va_end(ap);
	return r;
}

CURLMcode
(curl_multi_add_handle)(CURLM *m, CURL *h)
{
	return srv_curl_load() == 0 ? api.multi_add_handle(m, h) : CURLM_INTERNAL_ERROR;
}

CURLMcode
(curl_multi_remove_handle)(CURLM *m, CURL *h)
{
	return srv_curl_load() == 0 ? api.multi_remove_handle(m, h) : CURLM_INTERNAL_ERROR;
}

CURLMcode
(curl_multi_perform)(CURLM *m, int *running)
{
	return srv_curl_load() == 0 ? api.multi_perform(m, running) : CURLM_INTERNAL_ERROR;
}

CURLMcode
(curl_multi_poll)(CURLM *m, struct curl_waitfd extra_fds[], unsigned int extra_nfds,
    int timeout_ms, int *ret)
{
	if (srv_curl_load() != 0)
		return CURLM_INTERNAL_ERROR;
	return api.multi_poll(m, extra_fds, extra_nfds, timeout_ms, ret);
}

CURLMcode
(curl_multi_wakeup)(CURLM *m)
{
	return srv_curl_load() == 0 ? api.multi_wakeup(m) : CURLM_INTERNAL_ERROR;
}

CURLMsg *
(curl_multi_info_read)(CURLM *m, int *left)
{
	if (srv_curl_load() != 0) {
		*left = 0;
		return NULL;
	}
	return api.multi_info_read(m, left);
}

CURLMcode
(curl_multi_cleanup)(CURLM *m)
{
	if (m == NULL || !srv_curl_loaded())
		return CURLM_OK;
	return api.multi_cleanup(m);
}
