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

/*
 * Contact claims (OpenID Connect Core 5.1). Inputs come from the operator (eidctl) and
 * are released to relying parties, so they are checked strictly and stored normalised.
 */
#define SRV_PHONE_MAX           16      /* '+' and at most 15 digits (ITU-T E.164) */
#define SRV_EMAIL_MAX           254     /* RFC 5321 4.5.3.1.3, as a forward-path */
#define SRV_EMAIL_LOCAL_MAX     64
#define SRV_ADDRESS_MEMBER_MAX  512     /* bytes of one address member */
#define SRV_ADDRESS_TEXT_MAX    4096    /* bytes of address JSON text accepted */

/* E.164: '+', then 7 to 15 digits, the first (country code) not 0. No spaces. */
int srv_valid_phone(const char *phone, const char **why);
/*
 * An email address: dot-atom local part (RFC 5322 3.2.3, at most 64 bytes), '@', a DNS
 * host name of at least two labels (letters, digits, hyphens; an internationalised
 * domain in its xn-- form), at most 254 bytes in all; ASCII only, no quoted local parts,
 * no IP literals. out gets the address with the domain lower-cased (the local part is
 * kept: RFC 5321 lets the receiving host treat it as case-sensitive).
 */
int srv_valid_email(const char *email, char out[SRV_EMAIL_MAX + 1], const char **why);

/* The members of an OIDC address claim (Core 5.1.1), NULL-terminated. */
extern const char *const srv_address_members[];
/*
 * One address member: a known name; a value of valid UTF-8, 1..SRV_ADDRESS_MEMBER_MAX
 * bytes, not only spaces, without control characters, except line breaks ("\n" or
 * "\r\n") in formatted and street_address, which OIDC allows to span lines.
 */
int srv_valid_address_member(const char *name, const char *value, const char **why);
/*
 * Address JSON text (an object of members, each a string) -> the stored form: compact
 * JSON with sorted keys. *out is malloc'd, or NULL when the object has no members (no
 * address). Unknown members, non-strings, duplicates and invalid values are refused.
 */
int srv_address_normalize(const char *json_text, char **out, const char **why);
/*
 * Set one member of an address (NULL: none yet) to value, or remove it when value is
 * "", and normalise the result as srv_address_normalize does (*out NULL: now empty).
 */
int srv_address_set_member(const char *address, const char *name, const char *value,
    char **out, const char **why);

extern const char *const srv_known_scopes[];

#endif /* SRV_VALIDATE_H */
