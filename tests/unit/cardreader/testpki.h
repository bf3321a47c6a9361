/*
 * testpki.h - a throwaway ICAO-style PKI built with the OpenSSL API at test run time:
 * CSCA and Document Signer certificates (RSA or EC, named or explicit parameters),
 * CRLs, EF.SOD (CMS SignedData over an LDSSecurityObject) and CSCA master lists.
 * Test code only: keys are generated fresh on every run and never stored.
 * Every function returns a new object (caller frees) or NULL on failure.
 */
#ifndef CARD_TESTPKI_H
#define CARD_TESTPKI_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "card_pa.h"

#define TP_DAY 86400L

EVP_PKEY *tp_key_rsa(int bits);
/* curve: "brainpoolP256r1", "prime256v1", ...; explicit: encode explicit parameters */
EVP_PKEY *tp_key_ec(const char *curve, int explicit_params);

/* issuer NULL: self-signed CA. ca: basicConstraints CA:TRUE + keyCertSign/cRLSign,
 * else a DS (digitalSignature). Validity [nb, na]. */
X509 *tp_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, int ca,
    long serial, time_t nb, time_t na);

X509_CRL *tp_crl(X509 *ca, EVP_PKEY *ca_key, X509 *const *revoked, size_t nrevoked,
    time_t last, time_t next);

/* EF.SOD (tag 77) over dgs with md; pss: RSASSA-PSS instead of PKCS#1 v1.5 for RSA keys.
 * *out is malloc'd. Returns 0 on success. */
int tp_sod(X509 *ds, EVP_PKEY *ds_key, const struct card_pa_dg *dgs, size_t ndgs,
    const EVP_MD *md, int pss, uint8_t **out, size_t *outlen);

/* CSCA master list (CMS, DER) signed by signer/signer_key; *out is malloc'd. */
int tp_masterlist(X509 *signer, EVP_PKEY *signer_key, X509 *const *certs, size_t ncerts,
    uint8_t **out, size_t *outlen);

/* DER of a certificate / CRL; *out malloc'd. */
int tp_cert_der(X509 *x, uint8_t **out, size_t *outlen);
int tp_crl_der(X509_CRL *c, uint8_t **out, size_t *outlen);

#endif /* CARD_TESTPKI_H */
