/*
 * eid_limits.h - every size, count and depth cap in one place.
 *
 * Each parser of untrusted bytes takes its cap from here, so a reviewer can see at a
 * glance how much an attacker can make the server hold or walk. Changing a number here
 * changes behaviour everywhere it is used; tests read the same constants.
 */
#ifndef EID_LIMITS_H
#define EID_LIMITS_H

/* HTTP (server/http.c) */
#define EID_HTTP_MAX_HEADER_BYTES   (16 * 1024)   /* request line + all headers; more -> 431 */
#define EID_HTTP_MAX_BODY_BYTES     (64 * 1024)   /* form and JSON bodies; more -> 413 */
#define EID_HTTP_MAX_DOC_BODY_BYTES (512 * 1024)  /* /v1/documents/verify (chip files + face image) */
#define EID_HTTP_MAX_PARAMS         64            /* query or form parameters */
#define EID_HTTP_MAX_PARAM_BYTES    4096          /* one parameter value */
#define EID_HTTP_TIMEOUT_SECONDS    10            /* idle connection / slow client */
#define EID_HTTP_MAX_CONNECTIONS    1024
#define EID_HTTP_SHUTDOWN_GRACE_MS  10000         /* in-flight requests get this long at SIGTERM */

/* Config (server/config.c) */
#define EID_CONFIG_MAX_BYTES        (64 * 1024)
#define EID_CONFIG_MAX_LINE         1024

/* JSON, JOSE (tokens/) */
#define EID_JSON_MAX_DEPTH          16
#define EID_JWS_MAX_BYTES           (16 * 1024)
#define EID_JWKS_MAX_BYTES          (64 * 1024)
#define EID_JWKS_MAX_KEYS           32

/* ICAO 9303 chip data (cardreader/) */
#define EID_TLV_MAX_DEPTH           8
#define EID_DG_MAX_BYTES            (256 * 1024)  /* DG2 face images are the largest */
#define EID_SOD_MAX_BYTES           (32 * 1024)
#define EID_APDU_MAX_RESPONSE       (64 * 1024)

/* Identifiers */
#define EID_CITIZEN_ID_DIGITS       12
#define EID_CLIENT_ID_MAX           64
#define EID_REDIRECT_URI_MAX        2048
#define EID_MAX_REDIRECT_URIS       16

#endif /* EID_LIMITS_H */
