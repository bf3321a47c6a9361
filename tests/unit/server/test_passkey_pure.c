/*
 * test_passkey_pure.c - the pure decisions around passkey sign-in: the assurance a
 * passkey sign-in gives (srv_passkey_assurance) and which return_to a sign-in page
 * follows (srv_signin_safe_return_to).
 */
#include <string.h>

#include "srv_handle_passkey.h"
#include "srv_signin.h"
#include "../t.h"

T_CASE(assurance_level1_account)
{
	const char *acr = NULL, *amr[2] = { NULL, NULL };

	T_EQ_INT(srv_passkey_assurance(1, 1, &acr, amr), 2);
	T_EQ_STR(acr, "urn:eid:level:1");
	T_EQ_STR(amr[0], "hwk");
	T_EQ_STR(amr[1], "user");
	T_EQ_INT(srv_passkey_assurance(1, 0, &acr, amr), 1);
	T_EQ_STR(acr, "urn:eid:level:1");
	T_EQ_STR(amr[0], "hwk");
}

T_CASE(assurance_level2_needs_uv)
{
	const char *acr = NULL, *amr[2] = { NULL, NULL };

	T_EQ_INT(srv_passkey_assurance(2, 1, &acr, amr), 2);
	T_EQ_STR(acr, "urn:eid:level:2");
	T_EQ_INT(srv_passkey_assurance(2, 0, &acr, amr), 1);
	T_EQ_STR(acr, "urn:eid:level:1");
	T_EQ_INT(srv_passkey_assurance(0, 1, &acr, amr), 2);
	T_EQ_STR(acr, "urn:eid:level:1");
}

T_CASE(return_to_local_paths_only)
{
	char longp[SRV_SIGNIN_RETURN_TO_MAX + 2];

	T_EQ_STR(srv_signin_safe_return_to("/account"), "/account");
	T_EQ_STR(srv_signin_safe_return_to("/authorize?areq=abc"), "/authorize?areq=abc");
	T_EQ_STR(srv_signin_safe_return_to(NULL), "/");
	T_EQ_STR(srv_signin_safe_return_to(""), "/");
	T_EQ_STR(srv_signin_safe_return_to("https://evil.example/"), "/");
	T_EQ_STR(srv_signin_safe_return_to("//evil.example/"), "/");
	T_EQ_STR(srv_signin_safe_return_to("/\\evil.example/"), "/");
	T_EQ_STR(srv_signin_safe_return_to("/a b"), "/");
	T_EQ_STR(srv_signin_safe_return_to("/a\r\nSet-Cookie: x"), "/");
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	T_EQ_STR(srv_signin_safe_return_to(longp), "/");
	longp[SRV_SIGNIN_RETURN_TO_MAX] = '\0';
	T_ASSERT(srv_signin_safe_return_to(longp) == longp);
}

int
main(void)
{
	T_RUN(assurance_level1_account);
	T_RUN(assurance_level2_needs_uv);
	T_RUN(return_to_local_paths_only);
	return t_done();
}
