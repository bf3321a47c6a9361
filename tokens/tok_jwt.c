/* tok_jwt.c - JWT claims building and registered-claim checks (see tok_jwt.h). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tok_jws.h"
#include "tok_jwt.h"

/* Upper bound for a NumericDate we accept (year 10000), keeps the arithmetic safe. */
#define NUMERIC_DATE_MAX 253402300800LL

int
tok_jwt_claims_new(const char *iss, const char *sub, const char *aud, time_t iat,
    long lifetime, json_t **out)
{
	json_t *c = NULL;
	int r = EID_ERR_NOMEM;

	if (out == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	*out = NULL;
	if (iss == NULL || iat < 0 || lifetime <= 0 || (long long)iat > NUMERIC_DATE_MAX ||
	    lifetime > NUMERIC_DATE_MAX - (long long)iat)
		return EID_ERR_INVALID_ARGUMENT;
	if ((c = json_object()) == NULL ||
	    json_object_set_new(c, "iss", json_string(iss)) != 0 ||
	    (sub != NULL && json_object_set_new(c, "sub", json_string(sub)) != 0) ||
	    (aud != NULL && json_object_set_new(c, "aud", json_string(aud)) != 0) ||
	    json_object_set_new(c, "iat", json_integer((json_int_t)iat)) != 0 ||
	    json_object_set_new(c, "nbf", json_integer((json_int_t)iat)) != 0 ||
	    json_object_set_new(c, "exp", json_integer((json_int_t)iat + lifetime)) != 0)
		goto out;
	*out = c;
	c = NULL;
	r = 0;
out:
	json_decref(c);
	return r;
}

int
tok_jwt_sign(const struct tok_key *key, const char *typ, const json_t *claims, char **out)
{
	char *txt = NULL;
	int r;

	if (out == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	*out = NULL;
	if (key == NULL || !json_is_object(claims))
		return EID_ERR_INVALID_ARGUMENT;
	if ((txt = json_dumps(claims, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
		return EID_ERR_NOMEM;
	r = tok_jws_sign(key, typ, txt, strlen(txt), out);
	free(txt);
	return r;
}

/*
 * A NumericDate member: 0 and *t set, 1 if absent, EID_ERR_JWT_CLAIMS if malformed.
 * Reals round down (round_up 0) or up (round_up 1): the caller picks the strict side.
 */
static int
numeric_date(const json_t *claims, const char *name, int round_up, long long *t)
{
	const json_t *v = json_object_get(claims, name);
	double d;

	if (v == NULL)
		return 1;
	if (json_is_integer(v)) {
		*t = (long long)json_integer_value(v);
	} else if (json_is_real(v)) {
		d = json_real_value(v);
		if (!isfinite(d) || d < 0 || d > (double)NUMERIC_DATE_MAX)
			return EID_ERR_JWT_CLAIMS;
		*t = (long long)(round_up ? ceil(d) : floor(d));
	} else {
		return EID_ERR_JWT_CLAIMS;
	}
	if (*t < 0 || *t > NUMERIC_DATE_MAX)
		return EID_ERR_JWT_CLAIMS;
	return 0;
}

int
tok_jwt_check_times(const json_t *claims, time_t now, int leeway)
{
	long long exp = 0, nbf = 0, iat = 0, n = (long long)now;
	int r;

	if (!json_is_object(claims) || leeway < 0 || leeway > TOK_JWT_MAX_LEEWAY || now < 0 ||
	    n > NUMERIC_DATE_MAX)
		return EID_ERR_INVALID_ARGUMENT;
	if ((r = numeric_date(claims, "exp", 0, &exp)) != 0)
		return EID_ERR_JWT_CLAIMS;      /* exp is required */
	if ((r = numeric_date(claims, "nbf", 1, &nbf)) < 0 ||
	    (r == 0 && nbf > n + leeway))
		return EID_ERR_JWT_CLAIMS;
	if ((r = numeric_date(claims, "iat", 1, &iat)) < 0 ||
	    (r == 0 && iat > n + leeway))
		return EID_ERR_JWT_CLAIMS;
	if (n >= exp + leeway)
		return EID_ERR_JWT_EXPIRED;
	return 0;
}

int
tok_jwt_check_aud(const json_t *claims, const char *aud)
{
	const json_t *v, *e;
	size_t i;
	int found = 0;

	if (!json_is_object(claims) || aud == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	v = json_object_get(claims, "aud");
	if (json_is_string(v))
		return strcmp(json_string_value(v), aud) == 0 ? 0 : EID_ERR_JWT_CLAIMS;
	if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > TOK_JWT_MAX_AUD)
		return EID_ERR_JWT_CLAIMS;
	json_array_foreach(v, i, e) {
		if (!json_is_string(e))
			return EID_ERR_JWT_CLAIMS;
		if (strcmp(json_string_value(e), aud) == 0)
			found = 1;
	}
	return found ? 0 : EID_ERR_JWT_CLAIMS;
}

int
tok_jwt_check_iss(const json_t *claims, const char *iss)
{
	const json_t *v;

	if (!json_is_object(claims) || iss == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	v = json_object_get(claims, "iss");
	if (!json_is_string(v) || strcmp(json_string_value(v), iss) != 0)
		return EID_ERR_JWT_CLAIMS;
	return 0;
}
