#!/usr/bin/env python3
"""eidctl trust: import of CSCA certificates and CRLs, refusals, idempotence, listing, audit."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
from eidtest import Env, Tap  # noqa: E402

PKI = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'vectors', 'cccd', 'pki')
CSCA_RSA_SUBJECT = 'CN=CSCA VN CCCD TEST RSA,OU=eid-server test PKI,O=Test Ministry of Public Security,C=VN'

t = Tap()
env = Env(redis=False)
try:
    trust_dir = os.path.join(env.data, 'trust')

    rc, out, err = env.ctl('--help', config=False)
    t.ok(rc == 0 and 'trust import' in out, 'eidctl --help lists trust import', err)

    rc, imp, err = env.ctl_json('trust', 'import', os.path.join(PKI, 'csca-rsa.pem'))
    t.ok(rc == 0 and imp is not None, 'trust import of the test CSCA (PEM) succeeds', err)
    first = (imp or {}).get('imported', [{}])[0]
    t.eq(first.get('kind'), 'csca', 'the PEM is recognised as a CSCA certificate')
    t.eq(first.get('subject'), CSCA_RSA_SUBJECT, 'import reports the subject')
    t.ok(first.get('already_present') is False, 'first import is new', first)
    stored = first.get('stored', '')
    t.ok(len(stored) == 68 and stored.endswith('.cer') and
         os.path.exists(os.path.join(trust_dir, stored)),
         'stored under data_dir/trust/<sha256>.cer', stored)

    rc, imp2, err = env.ctl_json('trust', 'import', os.path.join(PKI, 'csca-rsa.pem'))
    again = (imp2 or {}).get('imported', [{}])[0]
    t.ok(rc == 0 and again.get('already_present') is True and again.get('stored') == stored,
         'importing the same file twice is a no-op', imp2)
    t.eq(sorted(os.listdir(trust_dir)), [stored], 'no second copy in data_dir/trust')

    rc, imp3, err = env.ctl_json('trust', 'import', os.path.join(PKI, 'csca-ec.der'),
                                 os.path.join(PKI, 'csca-rsa.crl'))
    kinds = [x.get('kind') for x in (imp3 or {}).get('imported', [])]
    t.ok(rc == 0 and kinds == ['csca', 'crl'], 'a DER CSCA and a CRL import in one call', imp3)

    garbage = os.path.join(env.dir, 'garbage.pem')
    with open(garbage, 'wb') as f:
        f.write(b'-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n')
    rc, out, err = env.ctl('trust', 'import', garbage)
    t.ok(rc in (1, 2) and 'not a certificate, CRL or ICAO master list' in err,
         'garbage is refused with a message', (rc, err))
    rc, out, err = env.ctl('trust', 'import', os.path.join(PKI, 'ds-rsa.pem'))
    t.ok(rc in (1, 2) and 'not a CA certificate' in err, 'a DS certificate is refused as an anchor', (rc, err))
    rc, out, err = env.ctl('trust', 'import', os.path.join(env.dir, 'no-such-file.pem'))
    t.ok(rc == 1 and 'cannot read' in err, 'a missing file is reported', (rc, err))
    t.eq(len(os.listdir(trust_dir)), 3, 'refused files leave nothing behind')

    rc, lst, err = env.ctl_json('trust', 'list')
    entries = (lst or {}).get('trust', [])
    t.ok(rc == 0 and len(entries) == 3, 'trust list --json has two CSCAs and one CRL', lst)
    t.ok(all(set(['kind', 'subject', 'serial', 'not_after', 'sha256']) <= set(e) for e in entries),
         'each entry has kind, subject, serial, not_after, sha256', entries)
    rsa = [e for e in entries if e.get('kind') == 'csca' and e.get('serial') == '1001']
    t.ok(len(rsa) == 1 and rsa[0].get('subject') == CSCA_RSA_SUBJECT and
         rsa[0].get('not_after') == '2041-01-01T00:00:00Z', 'the RSA CSCA is listed', rsa)
    t.eq(sorted(e.get('kind') for e in entries), ['crl', 'csca', 'csca'], 'kinds')

    rc, out, err = env.ctl('trust', 'list')
    t.ok(rc == 0 and 'CSCA VN CCCD TEST ECDSA' in out, 'trust list prints text', err)
    rc, out, err = env.ctl('trust', 'frob')
    t.ok(rc == 2, 'an unknown trust subcommand exits 2', err)

    rc, audit, err = env.ctl_json('audit', 'list')
    actions = [e['action'] for e in (audit or {}).get('events', [])]
    t.eq(actions.count('trust.import'), 3, 'each new import is audited once (trust.import)')
finally:
    env.close()
sys.exit(t.done())
