/*
 * srv_curl.h - libcurl, loaded when eidd first needs an HTTP client.
 *
 * eidd is an HTTP client for two things only: fetching a client's jwks_uri
 * (srv_client_keys.c) and delivering back-channel logout tokens (srv_backchannel.c).
 * Debian's libcurl links Kerberos, LDAP, SASL, SSH, RTMP, HTTP/2, zstd, brotli and
 * OpenSSL's libssl, about 2.4 MB of resident pages once mapped, a sixth of an idle
 * eidd, and most deployments go hours between two back-channel logouts.
 *
 * So the server library does not link libcurl. srv_curl.c defines, with curl.h's own
 * prototypes, the libcurl entry points eidd calls; the first call of any of them
 * dlopen()s libcurl.so.4, looks every one up, and runs curl_global_init once. Callers
 * use libcurl as documented (curl_easy_init, curl_easy_setopt, ...) and need not know.
 * If the library cannot be loaded, each entry point fails as libcurl itself would when
 * out of resources (NULL, CURLE_FAILED_INIT, CURLM_INTERNAL_ERROR, ...) and the reason
 * is logged once (event "http_client_unavailable"). Once loaded it stays loaded: libcurl
 * and the TLS libraries under it are not safe to unload.
 *
 * Executables that link libcurl themselves must not also link the server library
 * (cardreader/tools links libcurl and not the server library).
 */
#ifndef SRV_CURL_H
#define SRV_CURL_H

/* Load libcurl and initialise it, once per process; thread-safe. 0 or
 * EID_ERR_UNSUPPORTED (library missing, or a symbol or the initialisation failed). */
int srv_curl_load(void);

/* 1 once libcurl is mapped into this process, else 0 (never loads it). */
int srv_curl_loaded(void);

#endif /* SRV_CURL_H */
