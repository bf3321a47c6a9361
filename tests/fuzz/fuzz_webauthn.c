/*
 * fuzz_webauthn.c - the WebAuthn verifiers (srv_webauthn.c) on arbitrary bytes.
 *
 * The first input byte picks which part of a ceremony is replaced; the rest is that part.
 * Everything else is a fixed, valid ES256 ceremony (the reg_packed_self_es256 and get_es256
 * vectors of tests/vectors/webauthn/), so the fuzzed part reaches the deep checks:
 *   0  attestationObject  -> srv_webauthn_verify_registration (UV optional, then required)
 *   1  authenticatorData  -> srv_webauthn_verify_assertion against the stored ES256 key
 *   2  clientDataJSON     -> both ceremonies
 *   3  stored COSE key    -> srv_webauthn_verify_assertion, stored as each algorithm
 * (the seeds in corpus/webauthn/ are written by tests/unit/server/webauthn_vectors.py).
 * A verifier must return 0 or a negative EID_ERR_* and always set its reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cx_util.h"
#include "srv_webauthn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char challenge[] =
	    "-3Byssz6YVjqZDwIzkd1h2A7ZFoYmaYEwlIW7eg16u0";
static const char reg_cd[] =
	    "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwiY2hhbGxlbmdlIjoiLTNCeXNzejZZVmpxWkR3"
	    "SXprZDFoMkE3WkZvWW1hWUV3bElXN2VnMTZ1MCIsIm9yaWdpbiI6Imh0dHBzOi8vZWlkLmV4"
	    "YW1wbGUiLCJjcm9zc09yaWdpbiI6ZmFsc2V9";
static const char reg_ao[] =
	    "o2NmbXRmcGFja2VkZ2F0dFN0bXSiY2FsZyZjc2lnWEcwRQIgOxiXE8zxVAf0_1ixE50DT4S4"
	    "asuJ012Gn_1RAoVPstICIQCBDMN-LsRHlb7cUc2cPUSXTdpzhT8ZJDr0UgQbLiTXhGhhdXRo"
	    "RGF0YVikRmBWfdYQ5vipv0hiu1z9NelX6VJHTrvrwaIgsFZQFalFAAAABWAosBex1EwCtLOv"
	    "za_Ja7IAIBLISXd5Z-nCXFpty49SzZQAQVCG_YZHLKrQLT8mwMEjpQECAyYgASFYIOI11Dm5"
	    "stkVbSTcANuVwWwstfV4kD2bAOi8Mb9REpKCIlgg8B-OHkNkzguM84577pJvJr2M9Rkv2WEq"
	    "81gDeFeQWRY";
static const char cose[] =
	    "pQECAyYgASFYIOI11Dm5stkVbSTcANuVwWwstfV4kD2bAOi8Mb9REpKCIlgg8B-OHkNkzguM"
	    "84577pJvJr2M9Rkv2WEq81gDeFeQWRY";
static const char cred_id[] =
	    "EshJd3ln6cJcWm3Lj1LNlABBUIb9hkcsqtAtPybAwSM";
static const char get_cd[] =
	    "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0IiwiY2hhbGxlbmdlIjoiLTNCeXNzejZZVmpxWkR3SXpr"
	    "ZDFoMkE3WkZvWW1hWUV3bElXN2VnMTZ1MCIsIm9yaWdpbiI6Imh0dHBzOi8vZWlkLmV4YW1w"
	    "bGUiLCJjcm9zc09yaWdpbiI6ZmFsc2V9";
static const char get_ad[] =
	    "RmBWfdYQ5vipv0hiu1z9NelX6VJHTrvrwaIgsFZQFakFAAAABg";
static const char get_sig[] =
	    "MEUCIQC8K-CHPkT0dOWc_ULbnCCNoc2zQcFmRSLAGrAQC7JspgIga4cOhBg1Of_EOV9OBYPG"
	    "FvTgTG_8ATqBI1l63qtFeJc";
static const char user_handle[] =
	    "9Rk6s2KGaVCvHIwF6DhyUw";

struct part {
	uint8_t b[1024];
	size_t n;
};

static struct part p_challenge, p_reg_cd, p_reg_ao, p_cose, p_cred_id, p_get_cd, p_get_ad,
    p_get_sig, p_user_handle;

static void
load(struct part *p, const char *b64)
{
	if (cx_b64url_decode(p->b, sizeof(p->b), &p->n, b64, strlen(b64)) != 0)
		abort();
}

static void
setup(void)
{
	static int done;

	if (done)
		return;
	load(&p_challenge, challenge);
	load(&p_reg_cd, reg_cd);
	load(&p_reg_ao, reg_ao);
	load(&p_cose, cose);
	load(&p_cred_id, cred_id);
	load(&p_get_cd, get_cd);
	load(&p_get_ad, get_ad);
	load(&p_get_sig, get_sig);
	load(&p_user_handle, user_handle);
	done = 1;
}

static void
check(int r, const char *why)
{
	if (r > 0 || why == NULL)
		abort();
}

static void
registration(const uint8_t *cd, size_t cdlen, const uint8_t *ao, size_t aolen, int uv)
{
	struct srv_webauthn_params p = { "eid.example", "https://eid.example", p_challenge.b,
	    uv, 0, NULL };
	struct srv_webauthn_credential *cred = malloc(sizeof(*cred));
	const char *why = NULL;
	int r;

	if (cred == NULL)
		abort();
	r = srv_webauthn_verify_registration(&p, cd, cdlen, ao, aolen, cred, &why);
	check(r, why);
	if (r == 0 && (cred->cred_id_len > sizeof(cred->cred_id) ||
	    cred->cose_key_len > sizeof(cred->cose_key)))
		abort();
	free(cred);
}

static void
assertion(const uint8_t *cd, size_t cdlen, const uint8_t *ad, size_t adlen,
    const uint8_t *cose_key, size_t cose_len, int alg, int uv)
{
	struct srv_webauthn_params p = { "eid.example", "https://eid.example", p_challenge.b,
	    uv, 0, NULL };
	struct srv_webauthn_stored st = { p_cred_id.b, p_cred_id.n, cose_key, cose_len, alg, 5,
	    0, p_user_handle.b, p_user_handle.n };
	struct srv_webauthn_assertion a = { p_cred_id.b, p_cred_id.n, cd, cdlen, ad, adlen,
	    p_get_sig.b, p_get_sig.n, p_user_handle.b, p_user_handle.n };
	struct srv_webauthn_assertion_result res;
	const char *why = NULL;
	int r;

	r = srv_webauthn_verify_assertion(&p, &st, &a, &res, &why);
	check(r, why);
	if (r == 0 && (res.sign_count <= 5 || why == NULL || strcmp(why, "ok") != 0))
		abort();    /* accepted: the counter moved forward */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *d;
	size_t n;

	setup();
	if (size == 0)
		return 0;
	d = data + 1;
	n = size - 1;
	switch (data[0] & 3) {
	case 0:
		registration(p_reg_cd.b, p_reg_cd.n, d, n, 0);
		registration(p_reg_cd.b, p_reg_cd.n, d, n, 1);
		break;
	case 1:
		assertion(p_get_cd.b, p_get_cd.n, d, n, p_cose.b, p_cose.n,
		    SRV_WEBAUTHN_ALG_ES256, 0);
		assertion(p_get_cd.b, p_get_cd.n, d, n, p_cose.b, p_cose.n,
		    SRV_WEBAUTHN_ALG_ES256, 1);
		break;
	case 2:
		registration(d, n, p_reg_ao.b, p_reg_ao.n, 0);
		assertion(d, n, p_get_ad.b, p_get_ad.n, p_cose.b, p_cose.n,
		    SRV_WEBAUTHN_ALG_ES256, 0);
		break;
	default:
		assertion(p_get_cd.b, p_get_cd.n, p_get_ad.b, p_get_ad.n, d, n,
		    SRV_WEBAUTHN_ALG_ES256, 0);
		assertion(p_get_cd.b, p_get_cd.n, p_get_ad.b, p_get_ad.n, d, n,
		    SRV_WEBAUTHN_ALG_EDDSA, 0);
		assertion(p_get_cd.b, p_get_cd.n, p_get_ad.b, p_get_ad.n, d, n,
		    SRV_WEBAUTHN_ALG_RS256, 0);
		break;
	}
	return 0;
}
