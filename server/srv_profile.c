/* srv_profile.c - citizen profiles through a generation-checked cache (see the header). */
#include <stdlib.h>
#include <string.h>

#include "cx_util.h"
#include "srv_gencache.h"
#include "srv_profile.h"

/* Wipe and drop the secrets of a record. */
static void
strip_secrets(struct srv_citizen *c)
{
	cx_free_str(c->password_hash);
	c->password_hash = NULL;
	if (c->totp_secret_enc != NULL) {
		cx_wipe(c->totp_secret_enc, c->totp_secret_enc_len);
		free(c->totp_secret_enc);
	}
	c->totp_secret_enc = NULL;
	c->totp_secret_enc_len = 0;
}

static int
dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	return src != NULL && (*dst = strdup(src)) == NULL ? EID_ERR_NOMEM : 0;
}

/* A deep copy without the secrets. */
static int
profile_copy(const struct srv_citizen *src, struct srv_citizen **out)
{
	struct srv_citizen *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (c == NULL)
		return EID_ERR_NOMEM;
	c->id = src->id;
	c->disabled = src->disabled;
	c->level = src->level;
	c->created_at = src->created_at;
	c->phone_number_verified = src->phone_number_verified;
	c->email_verified = src->email_verified;
	if (dup_opt(&c->account_id, src->account_id) != 0 ||
	    dup_opt(&c->citizen_id, src->citizen_id) != 0 ||
	    dup_opt(&c->name, src->name) != 0 ||
	    dup_opt(&c->birth_date, src->birth_date) != 0 ||
	    dup_opt(&c->sex, src->sex) != 0 ||
	    dup_opt(&c->address, src->address) != 0 ||
	    dup_opt(&c->phone_number, src->phone_number) != 0 ||
	    dup_opt(&c->email, src->email) != 0) {
		srv_citizen_free(&c);
		return EID_ERR_NOMEM;
	}
	*out = c;
	return 0;
}

static int
cache_load(struct srv_store *s, const char *key, void **rec)
{
	struct srv_citizen *c = NULL;
	int r = srv_store_citizen_get(s, key, &c);

	if (c != NULL)
		strip_secrets(c);
	*rec = c;
	return r;
}

static int
cache_copy(const void *rec, void **out)
{
	struct srv_citizen *c = NULL;
	int r = profile_copy(rec, &c);

	*out = c;
	return r;
}

static void
cache_free(void **rec)
{
	struct srv_citizen *c = *rec;

	srv_citizen_free(&c);
	*rec = NULL;
}

static const struct srv_gencache_type profile_cache_type = {
	.setting = "citizens_generation",
	.slots = SRV_PROFILE_CACHE_SLOTS,
	.recheck_ms = SRV_PROFILE_CACHE_RECHECK_MS,
	.load = cache_load,
	.copy = cache_copy,
	.free_rec = cache_free,
};

static struct srv_gencache profile_cache = SRV_GENCACHE_INIT(&profile_cache_type);

int
srv_citizen_profile_get(struct srv_app *app, const char *account_or_citizen_id,
    struct srv_citizen **out)
{
	void *rec = NULL;
	int r = srv_gencache_get(&profile_cache, app->store, account_or_citizen_id, &rec);

	*out = rec;
	return r;
}

void
srv_citizen_profile_cache_clear(void)
{
	srv_gencache_clear(&profile_cache);
}
