/*
 * fuzz_documents.c - srv_documents_parse on arbitrary request bodies, and, when a body
 * parses, srv_documents_verify against a fixed trust store (the two trusted test CSCAs
 * of tests/vectors/cccd, embedded below so the target needs no files) at a fixed time.
 * The challenge status is taken from the body length (mod 3) so every AA path is hit.
 * Seeds: corpus/documents/ (requests built from the specimen cards without DG2, and
 * broken ones).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "card_trust.h"
#include "srv_documents.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* tests/vectors/cccd/pki/trusted-cscas.pem (public test certificates) */
static const char trusted_cscas_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIFOzCCA6OgAwIBAgICEAEwDQYJKoZIhvcNAQELBQAwdjELMAkGA1UEBhMCVk4x\n"
    "KTAnBgNVBAoMIFRlc3QgTWluaXN0cnkgb2YgUHVibGljIFNlY3VyaXR5MRwwGgYD\n"
    "VQQLDBNlaWQtc2VydmVyIHRlc3QgUEtJMR4wHAYDVQQDDBVDU0NBIFZOIENDQ0Qg\n"
    "VEVTVCBSU0EwHhcNMTQwMTAxMDAwMDAwWhcNNDEwMTAxMDAwMDAwWjB2MQswCQYD\n"
    "VQQGEwJWTjEpMCcGA1UECgwgVGVzdCBNaW5pc3RyeSBvZiBQdWJsaWMgU2VjdXJp\n"
    "dHkxHDAaBgNVBAsME2VpZC1zZXJ2ZXIgdGVzdCBQS0kxHjAcBgNVBAMMFUNTQ0Eg\n"
    "Vk4gQ0NDRCBURVNUIFJTQTCCAaIwDQYJKoZIhvcNAQEBBQADggGPADCCAYoCggGB\n"
    "AL7O9PkhE/EVtrSATPztT9tpm5TSDhruisF5IWA3CIHqZz9EpWpqK9mXrx1y6bNE\n"
    "uUkL9ajp4upAjP60HpqbLKjfin3fv3EhufNifReeK/yXcqMG9GVjJNlhjbXMLaDj\n"
    "hNZqZ6BltQq/RJTXV/FdDBGhPubjfPdYppq5fK5eJ0oUwC5kY6YsTIf3MjczfFSA\n"
    "GEwA9kF9d7cHG8fkpygh4TYpPNijcy2xuuQOtG7mH6Pl+OmaesQJmSYUhkm2UViu\n"
    "5ZfSGbIbhr6pu/G6gLhGoGJoe8I9ZTdsA/fSdIANynadHpYh7c/bwWZhtOYNTG8T\n"
    "zkieF9SxCCxikNpXPd3iBDeR8iOVYp7XIKp+ICqcoA8LwkQy2Ety5b0jLMLVcG0g\n"
    "x8rO5FLHBB4jkBmMVqPlZ7TIkmFY31z1O/Y8EBTFRGnsBJGADfnY+hF1XKZhTvK4\n"
    "7J1R7wWVW6okzXWfrOChelhdtCelOdez02Df//3MEE4uqv6CQr8Cq+Hu2Yyheqfc\n"
    "ZQIDAQABo4HSMIHPMBIGA1UdEwEB/wQIMAYBAf8CAQAwDgYDVR0PAQH/BAQDAgEG\n"
    "MB0GA1UdDgQWBBQmZyVBFnAOrMkMG5f8P8Li1evsjTAfBgNVHSMEGDAWgBQmZyVB\n"
    "FnAOrMkMG5f8P8Li1evsjTArBgNVHRAEJDAigA8yMDE0MDEwMTAwMDAwMFqBDzIw\n"
    "MTkwMTAxMDAwMDAwWjA8BgNVHR8ENTAzMDGgL6AthitodHRwOi8vcGtpLmVpZC1z\n"
    "ZXJ2ZXIudGVzdC9jcmwvY3NjYS1yc2EuY3JsMA0GCSqGSIb3DQEBCwUAA4IBgQBt\n"
    "ByFbseTersYepn6awLSG06YjT5s7Tjh4xEyqOJPxGHfsM/xa8B7ewHjaCmLSBUee\n"
    "riVwM5r1tSr0Vj7P8pITqvKBUvbAEupAFm9yUSDcWeJpSzAB6vEPdJWVhkTES7hE\n"
    "9H1LpdK7B9WQYWKq9TW1GkTApucVeS5haWBpi46kKVmZtSOksUlxSIZAWV/6WSAB\n"
    "cgvxf/PFzEdHrkLKsLsukKLaQP6aHKbTedJdGjUQODrVaVSGgB1wYV9mOw6wDE1R\n"
    "dA7sQfqK343+wmCDIXa3NNdymxEK7F0o2ChtT8Zh/RauS7Xvlb2HI0h0baYNcLQ8\n"
    "G+rhz6AbSFH98gFAnpxTh3aqxnl/sTYyHbtIsZWB+7JRozxr7O4wPljudZYk5XZ9\n"
    "hyF8VEz8k8Do7n6BEeIjZ6J269WKKPtUNeXjd1kDlnDIwaAD7qmJUynOa+GbAqNr\n"
    "N8gOoG0MOQJbHcX9VjqKtc5/JE+RA4uG4VY5PjXnp/wxqWmWia4+VjUFuAi01Vg=\n"
    "-----END CERTIFICATE-----\n"
    "-----BEGIN CERTIFICATE-----\n"
    "MIICszCCAlmgAwIBAgICEAIwCgYIKoZIzj0EAwIweDELMAkGA1UEBhMCVk4xKTAn\n"
    "BgNVBAoMIFRlc3QgTWluaXN0cnkgb2YgUHVibGljIFNlY3VyaXR5MRwwGgYDVQQL\n"
    "DBNlaWQtc2VydmVyIHRlc3QgUEtJMSAwHgYDVQQDDBdDU0NBIFZOIENDQ0QgVEVT\n"
    "VCBFQ0RTQTAeFw0xNDAxMDEwMDAwMDBaFw00MTAxMDEwMDAwMDBaMHgxCzAJBgNV\n"
    "BAYTAlZOMSkwJwYDVQQKDCBUZXN0IE1pbmlzdHJ5IG9mIFB1YmxpYyBTZWN1cml0\n"
    "eTEcMBoGA1UECwwTZWlkLXNlcnZlciB0ZXN0IFBLSTEgMB4GA1UEAwwXQ1NDQSBW\n"
    "TiBDQ0NEIFRFU1QgRUNEU0EwWjAUBgcqhkjOPQIBBgkrJAMDAggBAQcDQgAEbR5H\n"
    "U9HPHGERAMfxtUmpdsvYCbBRTiy3Sy3hk11JZE9EANm4ecpaZqe3/Roub+SuHYyy\n"
    "9WAKni1t5xzrFYu2c6OB0TCBzjASBgNVHRMBAf8ECDAGAQH/AgEAMA4GA1UdDwEB\n"
    "/wQEAwIBBjAdBgNVHQ4EFgQU7IQRJC3i3Q7NMZlVoQy2PGt8RKowHwYDVR0jBBgw\n"
    "FoAU7IQRJC3i3Q7NMZlVoQy2PGt8RKowKwYDVR0QBCQwIoAPMjAxNDAxMDEwMDAw\n"
    "MDBagQ8yMDE5MDEwMTAwMDAwMFowOwYDVR0fBDQwMjAwoC6gLIYqaHR0cDovL3Br\n"
    "aS5laWQtc2VydmVyLnRlc3QvY3JsL2NzY2EtZWMuY3JsMAoGCCqGSM49BAMCA0gA\n"
    "MEUCIEYcA7T8FbbQZpKi92ibeDDnKwwCCncCr8Y/rv0DAApOAiEAjM0kz7uxtZ09\n"
    "zfMTFAPKkWUB7gnj08YjoqKdTZSM+dY=\n"
    "-----END CERTIFICATE-----\n";

static struct card_trust *trust;

static void
load_trust(void)
{
	if (trust != NULL)
		return;
	if (card_trust_new(&trust) != 0 ||
	    card_trust_add_cert(trust, (const uint8_t *)trusted_cscas_pem,
	    strlen(trusted_cscas_pem), NULL) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct srv_doc_request req;
	const char *desc = NULL;
	json_t *verdict = NULL, *audit;
	static const uint8_t key[32] = { 7 };

	load_trust();
	if (srv_documents_parse((const char *)data, size, &req, &desc) != 0) {
		if (desc == NULL || desc[0] == '\0')
			abort();        /* every refusal explains itself */
		return 0;
	}
	if (req.sod == NULL || req.dg[1] == NULL)
		abort();
	/* 2026-06-01T00:00:00Z */
	if (srv_documents_verify(&req, trust, (int)(size % 3) - 1, (time_t)1780272000, &verdict) == 0) {
		const char *v = json_string_value(json_object_get(verdict, "verdict"));

		if (v == NULL || (strcmp(v, "valid") != 0 && strcmp(v, "invalid") != 0))
			abort();
		if ((audit = srv_documents_audit_details("fuzz", verdict, key)) == NULL)
			abort();
		json_decref(audit);
		json_decref(verdict);
	}
	srv_doc_request_clear(&req);
	return 0;
}
