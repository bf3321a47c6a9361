/*
 * srv_subject.c - pairwise and public subject identifiers (see srv_subject.h).
 */
#include <string.h>

#include <sodium.h>

#include "cx_util.h"
#include "srv_secret.h"
#include "srv_subject.h"

int
srv_subject_sector(const struct srv_client *c, char *out, size_t outsz)
{
	const char *sector = json_string_value(json_object_get(c->metadata, "sector_identifier"));
	const char *uri, *host, *end;
	size_t n;

	if (sector == NULL) {
		uri = json_string_value(json_array_get(json_object_get(c->metadata, "redirect_uris"), 0));
		if (uri != NULL && (host = strstr(uri, "://")) != NULL) {
			host += 3;
			end = host + strcspn(host, ":/?#");
			n = (size_t)(end - host);
			if (n > 0 && n < outsz) {
				memcpy(out, host, n);
				out[n] = '\0';
				return 0;
			}
		}
		sector = c->client_id;
	}
	if (sector == NULL || strlen(sector) >= outsz)
		return EID_ERR_INVALID_ARGUMENT;
	memcpy(out, sector, strlen(sector) + 1);
	return 0;
}

int
srv_subject_for_client(const struct srv_secret *secret, const struct srv_client *c,
    const char *account_id, char out[SRV_SUBJECT_MAX])
{
	const char *type = json_string_value(json_object_get(c->metadata, "subject_type"));
	crypto_generichash_state st;
	uint8_t key[32], h[32];
	char sector[256];
	int r;

	if (account_id == NULL || strlen(account_id) >= SRV_SUBJECT_MAX)
		return EID_ERR_INVALID_ARGUMENT;
	if (type != NULL && strcmp(type, "public") == 0) {
		memcpy(out, account_id, strlen(account_id) + 1);
		return 0;
	}
	if ((r = srv_subject_sector(c, sector, sizeof(sector))) != 0)
		return r;
	srv_secret_derive(secret, SRV_SUBKEY_PAIRWISE, key);
	crypto_generichash_init(&st, key, sizeof(key), sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)sector, strlen(sector) + 1);
	crypto_generichash_update(&st, (const uint8_t *)account_id, strlen(account_id));
	crypto_generichash_final(&st, h, sizeof(h));
	cx_wipe(key, sizeof(key));
	cx_wipe(&st, sizeof(st));
	return cx_b64url_encode(out, SRV_SUBJECT_MAX, h, sizeof(h));
}
