/*
 * srv_validate.h - checks of operator and relying-party input, as pure functions.
 *
 * Each returns 1 if the value is acceptable, else 0 and points *why at a sentence a
 * person can act on (static text). Used by eidctl now and by registration endpoints later.
 */
#ifndef SRV_VALIDATE_H
#define SRV_VALIDATE_H

/*
 * A Vietnamese citizen ID (CCCD number): 12 digits; 3-digit province code (001-096);
 * a century/sex digit (0/1: 1900s male/female, 2/3: 2000s, 4/5: 2100s, 6/7: 2200s,
 * 8/9: 1800s); two digits of the birth year; six serial digits. When birth_date
 * (YYYY-MM-DD) is given, century and year must agree with it. *sex gets "male" or "female".
 */
int srv_valid_citizen_id(const char *id, const char *birth_date, const char **sex, const char **why);
/* YYYY-MM-DD, a real calendar date, not in the future, not before 1880. */
int srv_valid_date(const char *date, long long now_unix, const char **why);
/*
 * An OAuth redirect URI (RFC 6749 3.1.2, RFC 8252): absolute, no fragment, no wildcard;
 * https, or http only for loopback hosts (localhost, 127.0.0.1, [::1]), or a private-use
 * scheme in reverse-domain form (vn.gov.app:/callback) for native apps.
 */
int srv_valid_redirect_uri(const char *uri, const char **why);
/* https URL (http for loopback), for jwks_uri and back-channel logout endpoints. */
int srv_valid_https_url(const char *uri, const char **why);
int srv_valid_grant(const char *grant, const char **why);
int srv_valid_auth_method(const char *method, const char **why);
/* Space-separated scopes, each one the server knows. */
int srv_valid_scope(const char *scope, const char **why);
/* 8..128 characters (NIST SP 800-63B section 5.1.1). */
int srv_valid_password(const char *password, const char **why);
/* Printable UTF-8, 1..200 bytes, no control characters. */
int srv_valid_display_name(const char *name, const char **why);

extern const char *const srv_known_scopes[];

#endif /* SRV_VALIDATE_H */
