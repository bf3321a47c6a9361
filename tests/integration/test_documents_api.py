#!/usr/bin/env python3
"""POST /v1/documents/challenge and /v1/documents/verify against a real eidd and Redis.

Bearer authentication (RFC 6750), the one-time AA challenge bound to the client, every
specimen card of tests/vectors/cccd against its expected outcome, the request refusals,
the audit trail without ID numbers, Redis outages, and a trust import while eidd runs.
The chip's Active Authentication answer is produced here with python3-cryptography
(cccd2: ECDSA P-256, plain r || s over SHA-256 of the challenge; cccd1 and cccd3: RSA
with ISO/IEC 9796-2 digital signature scheme 1, SHA-1 trailer BC and SHA-256 trailer 34CC).
"""
import hashlib
import base64
import json
import os
import sys
import time
import urllib.parse

try:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
except ImportError:     # a python3 without cryptography: Debian's has it
    if sys.executable != '/usr/bin/python3' and os.path.exists('/usr/bin/python3'):
        os.execv('/usr/bin/python3', ['/usr/bin/python3'] + sys.argv)
    raise

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
from eidtest import Env, Tap  # noqa: E402

VEC = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'vectors', 'cccd')
MANIFEST = json.load(open(os.path.join(VEC, 'cards.json'), encoding='utf-8'))
CARDS = {c['id']: c for c in MANIFEST['cards']}
FORM = 'application/x-www-form-urlencoded'
JSON = 'application/json'
CHECKS = ('sod_signature', 'document_signer', 'data_group_hashes', 'active_authentication',
          'chip_authentication')


def b64(data):
    return base64.b64encode(data).decode()


def card_file(card, name):
    with open(os.path.join(VEC, card['dir'], card['files'][name]['path']), 'rb') as f:
        return f.read()


def request_body(card_id, aa=None):
    card = CARDS[card_id]
    dgs = {str(card['files'][n]['dg']): b64(card_file(card, n))
           for n in card['files'] if 'dg' in card['files'][n]}
    body = {'sod': b64(card_file(card, 'EF.SOD')), 'data_groups': dgs}
    if aa is not None:
        body['active_authentication'] = aa
    return json.dumps(body)


def aa_answer(card_id, challenge_b64):
    """The chip's answer for an ECDSA card (cards.json aa.algorithm == ecdsa-plain)."""
    card = CARDS[card_id]
    assert card['aa']['algorithm'] == 'ecdsa-plain'
    with open(os.path.join(VEC, card['dir'], card['aa']['private_key']), 'rb') as f:
        key = serialization.load_pem_private_key(f.read(), None)
    r, s = decode_dss_signature(key.sign(base64.b64decode(challenge_b64), ec.ECDSA(hashes.SHA256())))
    return {'challenge': challenge_b64, 'signature': b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}


def aa_answer_rsa(card_id, challenge_b64, key=None):
    """The chip's answer for an RSA card: ISO/IEC 9796-2 scheme 1 (partial recovery).

    F = 6A || M1 || H(M1 || M2) || T, M2 = the challenge, M1 random filling the rest;
    the signature is min(F^d mod n, n - F^d mod n) (the chip's choice, 9796-2 §B.6).
    key: another RSA key to sign with (a clone's), default the card's AA key.
    """
    card = CARDS[card_id]
    assert card['aa']['algorithm'] == 'rsa-iso9796-2-scheme1'
    if key is None:
        with open(os.path.join(VEC, card['dir'], card['aa']['private_key']), 'rb') as f:
            key = serialization.load_pem_private_key(f.read(), None)
    hfn = {'sha1': hashlib.sha1, 'sha256': hashlib.sha256}[card['aa']['hash']]
    trailer = bytes.fromhex(card['aa']['trailer'])
    m2 = base64.b64decode(challenge_b64)
    size = (key.key_size + 7) // 8
    m1 = os.urandom(size - 1 - hfn().digest_size - len(trailer))
    f = b'\x6A' + m1 + hfn(m1 + m2).digest() + trailer
    priv = key.private_numbers()
    n = priv.public_numbers.n
    sig = pow(int.from_bytes(f, 'big'), priv.d, n)
    sig = min(sig, n - sig)
    return {'challenge': challenge_b64, 'signature': b64(sig.to_bytes(size, 'big'))}


def basic(cid, secret):
    raw = '%s:%s' % (urllib.parse.quote_plus(cid), urllib.parse.quote_plus(secret))
    return 'Basic ' + base64.b64encode(raw.encode()).decode()


def call(env, path, body=None, token=None, ctype=JSON, headers=None):
    h = dict(headers or {})
    if ctype is not None:
        h['Content-Type'] = ctype
    if token is not None:
        h['Authorization'] = 'Bearer ' + token
    st, hdr, data = env.request('POST', path, body=body, headers=h)
    try:
        js = json.loads(data) if data else None
    except ValueError:
        js = None
    return st, hdr, js


def get_token(env, client, scope=None):
    params = {'grant_type': 'client_credentials'}
    if scope is not None:
        params['scope'] = scope
    st, h, data = env.request('POST', '/token', body=urllib.parse.urlencode(params),
                              headers={'Content-Type': FORM,
                                       'Authorization': basic(client['client_id'], client['client_secret'])})
    if st != 200:
        raise RuntimeError('token: %s %r' % (st, data))
    return json.loads(data)['access_token']


def checks(v):
    return (v or {}).get('checks', {})


t = Tap()
env = Env(log_level='debug')
verified_ids = []
try:
    env.start()
    rc, bank, err = env.ctl_json('client', 'add', '--name', 'Bank kiosk', '--grant', 'client_credentials',
                                 '--scope', 'document_verify')
    t.ok(rc == 0 and bank, 'a document_verify client', err)
    rc, airport, err = env.ctl_json('client', 'add', '--name', 'Airport gate', '--grant',
                                    'client_credentials', '--scope', 'document_verify')
    t.ok(rc == 0 and airport, 'a second document_verify client', err)
    rc, portal, err = env.ctl_json('client', 'add', '--name', 'Profile only', '--grant',
                                   'client_credentials', '--scope', 'profile')
    t.ok(rc == 0 and portal, 'a client without document_verify', err)
    tok = get_token(env, bank)
    tok_air = get_token(env, airport)
    tok_profile = get_token(env, portal, 'profile')

    # -- no trust store yet: the document signer cannot be trusted --
    st, h, v = call(env, '/v1/documents/verify', request_body('cccd1'), tok)
    t.ok(st == 200 and v.get('verdict') == 'invalid' and checks(v).get('document_signer') == 'fail',
         'with no CSCA imported: invalid, document_signer fail', (st, v))
    if st == 200:
        verified_ids.append(v.get('verification_id'))

    # -- import the test CSCAs and CRLs while eidd runs: no restart needed --
    rc, imp, err = env.ctl_json('trust', 'import', os.path.join(VEC, 'pki', 'csca-rsa.pem'),
                                os.path.join(VEC, 'pki', 'csca-ec.pem'),
                                os.path.join(VEC, 'pki', 'csca-rsa.crl'),
                                os.path.join(VEC, 'pki', 'csca-ec.crl'))
    t.ok(rc == 0, 'eidctl trust import of both CSCAs and CRLs', err)
    t0 = time.time()
    v = None
    while time.time() - t0 < 5:
        st, h, v = call(env, '/v1/documents/verify', request_body('cccd1'), tok)
        if st == 200:
            verified_ids.append(v.get('verification_id'))
        if st == 200 and v.get('verdict') == 'valid':
            break
        time.sleep(0.2)
    took = time.time() - t0
    t.ok(v is not None and v.get('verdict') == 'valid' and took < 3,
         'the import takes effect without a restart (%.1f s)' % took, v)

    # -- challenge --
    st, h, ch = call(env, '/v1/documents/challenge', None, tok, ctype=None)
    t.eq(st, 201, 'challenge: 201')
    raw = base64.b64decode((ch or {}).get('challenge', ''), validate=True) if ch else b''
    t.ok(len(raw) == 8 and ch.get('expires_in') == 120, 'challenge: 8 bytes, std base64, expires_in 120', ch)
    t.ok('no-store' in h.get('cache-control', ''), 'challenge: Cache-Control no-store', h)

    # -- cccd1 without AA --
    st, h, v = call(env, '/v1/documents/verify', request_body('cccd1'), tok)
    t.eq(st, 200, 'verify cccd1: 200')
    c = checks(v)
    t.ok(v.get('verdict') == 'valid' and c.get('sod_signature') == 'pass' and
         c.get('document_signer') == 'pass' and c.get('data_group_hashes') == 'pass' and
         c.get('active_authentication') == 'not_performed' and c.get('chip_authentication') == 'not_performed',
         'cccd1 without AA: valid, PA passes, AA not performed', v)
    doc = (v or {}).get('document', {})
    t.ok(doc.get('citizen_id') == '001090012345' and doc.get('full_name') == 'Nguyễn Văn Mẫu' and
         doc.get('expiry_date') == '2030-03-15', 'cccd1: document fields', doc)
    vid = (v or {}).get('verification_id', '')
    t.ok(len(vid) == 22 and all(x.isalnum() or x in '-_' for x in vid), 'a base64url 128-bit verification_id', vid)
    t.ok('no-store' in h.get('cache-control', ''), 'verify: Cache-Control no-store', h)
    verified_ids.append(vid)

    # -- cccd2 with AA over a fresh challenge --
    st, h, ch = call(env, '/v1/documents/challenge', None, tok, ctype=None)
    aa = aa_answer('cccd2', ch['challenge'])
    st, h, v = call(env, '/v1/documents/verify', request_body('cccd2', aa), tok)
    t.ok(st == 200 and v.get('verdict') == 'valid' and checks(v).get('active_authentication') == 'pass' and
         v.get('document', {}).get('citizen_id') == '079305004567',
         'cccd2 with AA over a fresh challenge: AA pass, valid', (st, v))
    verified_ids.append((v or {}).get('verification_id'))
    st, h, v = call(env, '/v1/documents/verify', request_body('cccd2', aa), tok)
    t.ok(st == 200 and v.get('verdict') == 'invalid' and checks(v).get('active_authentication') == 'fail' and
         'challenge_unknown_or_reused' in v.get('reasons', []),
         'the same challenge again: AA fail, invalid (challenge_unknown_or_reused)', (st, v))
    verified_ids.append((v or {}).get('verification_id'))

    # -- RSA Active Authentication (ISO/IEC 9796-2 scheme 1) through HTTP --
    for cid, trailer in (('cccd1', 'BC'), ('cccd3', '34CC')):
        st, h, ch = call(env, '/v1/documents/challenge', None, tok, ctype=None)
        aa = aa_answer_rsa(cid, ch['challenge'])
        st, h, v = call(env, '/v1/documents/verify', request_body(cid, aa), tok)
        t.ok(st == 200 and v.get('verdict') == 'valid' and checks(v).get('active_authentication') == 'pass' and
             v.get('document', {}).get('citizen_id') == CARDS[cid]['citizen']['id_number'],
             '%s RSA AA (ISO 9796-2, trailer %s) over a fresh challenge: AA pass, valid' % (cid, trailer), (st, v))
        verified_ids.append((v or {}).get('verification_id'))
    other_rsa = rsa.generate_private_key(65537, 2048)
    st, h, ch = call(env, '/v1/documents/challenge', None, tok, ctype=None)
    aa = aa_answer_rsa('cccd1', ch['challenge'], key=other_rsa)
    st, h, v = call(env, '/v1/documents/verify', request_body('cccd1', aa), tok)
    t.ok(st == 200 and v.get('verdict') == 'invalid' and checks(v).get('active_authentication') == 'fail' and
         'aa_signature_invalid' in v.get('reasons', []) and checks(v).get('data_group_hashes') == 'pass',
         'cccd1 RSA AA signed by another key (a clone): AA fail, invalid (aa_signature_invalid)', (st, v))
    verified_ids.append((v or {}).get('verification_id'))
    st, h, ch = call(env, '/v1/documents/challenge', None, tok, ctype=None)
    aa = aa_answer_rsa('cccd1', ch['challenge'])
    sig = bytearray(base64.b64decode(aa['signature']))
    sig[-1] ^= 0x01
    aa['signature'] = b64(bytes(sig))
    st, h, v = call(env, '/v1/documents/verify', request_body('cccd1', aa), tok)
    t.ok(st == 200 and v.get('verdict') == 'invalid' and checks(v).get('active_authentication') == 'fail',
         'cccd1 RSA AA with one signature bit flipped: AA fail', (st, v))
    verified_ids.append((v or {}).get('verification_id'))

    # -- a challenge issued to another client --
    st, h, ch = call(env, '/v1/documents/challenge', None, tok_air, ctype=None)
    aa = aa_answer('cccd2', ch['challenge'])
    st, h, v = call(env, '/v1/documents/verify', request_body('cccd2', aa), tok)
    t.ok(st == 200 and v.get('verdict') == 'invalid' and checks(v).get('active_authentication') == 'fail',
         "another client's challenge: AA fail", (st, v))
    verified_ids.append((v or {}).get('verification_id'))
    st, h, v = call(env, '/v1/documents/verify', request_body('cccd2', aa), tok_air)
    t.ok(st == 200 and checks(v).get('active_authentication') == 'fail',
         'that challenge was consumed: its own client cannot use it afterwards', (st, v))
    verified_ids.append((v or {}).get('verification_id'))
    # an unknown (never issued) challenge
    st, h, v = call(env, '/v1/documents/verify',
                    request_body('cccd2', aa_answer('cccd2', b64(os.urandom(8)))), tok)
    t.ok(st == 200 and v.get('verdict') == 'invalid' and checks(v).get('active_authentication') == 'fail',
         'a challenge never issued: AA fail', (st, v))
    verified_ids.append((v or {}).get('verification_id'))

    # -- every card variant against cards.json --
    for cid, card in CARDS.items():
        exp = card['expected']
        pa = exp['passive_auth']
        st, h, v = call(env, '/v1/documents/verify', request_body(cid), tok)
        if st == 200:
            verified_ids.append(v.get('verification_id'))
        c = checks(v)
        reasons = (v or {}).get('reasons', [])
        if pa == 'valid':
            ok = st == 200 and v.get('verdict') == 'valid'
        elif pa == 'dg_hash_mismatch':
            ok = (st == 200 and v.get('verdict') == 'invalid' and c.get('data_group_hashes') == 'fail' and
                  c.get('sod_signature') == 'pass' and
                  all('dg_hash_mismatch:%d' % d in reasons for d in exp['mismatched_dgs']))
        else:
            ok = (st == 200 and v.get('verdict') == 'invalid' and c.get('document_signer') == 'fail' and
                  c.get('data_group_hashes') == 'pass' and pa in reasons)
        t.ok(ok, '%s: %s' % (cid, pa), (st, v))

    # -- bearer authentication --
    body1 = request_body('cccd1')
    for path in ('/v1/documents/challenge', '/v1/documents/verify'):
        st, h, e = call(env, path, body1, None)
        t.ok(st == 401 and h.get('www-authenticate') == 'Bearer realm="eid"' and (e or {}).get('error'),
             '%s without a token: 401, WWW-Authenticate: Bearer realm="eid", JSON error' % path, (st, h, e))
    st, h, e = call(env, '/v1/documents/verify', body1, None,
                    headers={'Authorization': basic(bank['client_id'], bank['client_secret'])})
    t.ok(st == 401 and h.get('www-authenticate') == 'Bearer realm="eid"', 'Basic credentials: 401 Bearer challenge', (st, h))
    st, h, e = call(env, '/v1/documents/verify', body1, tok[:-4] + 'AAAA')
    t.ok(st == 401 and h.get('www-authenticate') == 'Bearer realm="eid", error="invalid_token"' and
         (e or {}).get('error') == 'invalid_token', 'a forged token: 401 invalid_token', (st, h, e))
    st, h, e = call(env, '/v1/documents/verify', body1, tok_profile)
    t.ok(st == 403 and h.get('www-authenticate') ==
         'Bearer realm="eid", error="insufficient_scope", scope="document_verify"' and
         (e or {}).get('error') == 'insufficient_scope', 'a token without document_verify: 403 insufficient_scope', (st, h, e))
    st, h, e = call(env, '/v1/documents/challenge', None, tok_profile, ctype=None)
    t.ok(st == 403, 'challenge without document_verify: 403', (st, e))
    tok_rev = get_token(env, bank)
    st, h, _ = env.request('POST', '/revoke', body=urllib.parse.urlencode({'token': tok_rev}),
                           headers={'Content-Type': FORM, 'Authorization': basic(bank['client_id'], bank['client_secret'])})
    t.eq(st, 200, 'revoke a token')
    st, h, e = call(env, '/v1/documents/verify', body1, tok_rev)
    t.ok(st == 401 and 'error="invalid_token"' in h.get('www-authenticate', ''), 'a revoked token: 401 invalid_token', (st, h, e))

    # -- request refusals --
    st, h, e = call(env, '/v1/documents/verify', '{"sod": "AAAA", ', tok)
    t.ok(st == 400 and (e or {}).get('error') == 'invalid_request' and (e or {}).get('error_description'),
         'malformed JSON: 400 invalid_request with a description', (st, e))
    bad = json.loads(body1)
    bad['data_groups']['13'] = '!!not base64!!'
    st, h, e = call(env, '/v1/documents/verify', json.dumps(bad), tok)
    t.ok(st == 400 and 'data_groups.13' in (e or {}).get('error_description', ''),
         'a bad data group: 400 naming data_groups.13', (st, e))
    st, h, e = call(env, '/v1/documents/verify', body1, tok, ctype='text/plain')
    t.ok(st == 415 and (e or {}).get('error'), 'wrong content type: 415 with a JSON error', (st, e))
    st, h, e = call(env, '/v1/documents/verify', body1, tok, ctype='application/json; charset=utf-8')
    t.eq(st, 200, 'application/json; charset=utf-8 is accepted')
    if st == 200:
        verified_ids.append(e.get('verification_id'))
    # declare a 600 KiB body and read the answer before sending it: the server must refuse
    # from Content-Length alone (a client uploading it all would race the close)
    import socket as _socket
    s = _socket.create_connection(('127.0.0.1', env.port), timeout=10)
    s.sendall(('POST /v1/documents/verify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n'
               'Content-Type: application/json\r\nContent-Length: %d\r\n\r\n' % (tok, 600 * 1024)).encode())
    head = s.recv(4096)
    s.close()
    st = int(head.split(b' ')[1]) if head.startswith(b'HTTP/1.1 ') else head[:80]
    t.eq(st, 413, 'a body over 512 KiB: 413')

    # -- audit --
    rc, audit, err = env.ctl_json('audit', 'list', '--limit', '1000')
    ev = [x for x in (audit or {}).get('events', []) if x.get('action') == 'document.verify']
    t.eq(len(ev), len(verified_ids), 'one document.verify audit event per verification')
    t.ok(sorted(x.get('subject') for x in ev) == sorted(verified_ids) and
         all(x.get('actor') in (bank['client_id'], airport['client_id']) for x in ev),
         'audit subject = verification_id, actor = client id', ev[:2])
    t.ok(all(x.get('outcome') in ('valid', 'invalid') for x in ev), 'audit outcome is the verdict', ev[:2])
    details = [json.loads(x.get('details') or '{}') if isinstance(x.get('details'), str) else x.get('details')
               for x in ev]
    t.ok(any(len((d or {}).get('citizen_ref', '')) == 32 for d in details), 'audit details carry a citizen_ref', details[:2])
    dump = json.dumps(audit, ensure_ascii=False)
    t.ok(all(c['citizen']['id_number'] not in dump and c['citizen']['full_name'] not in dump
             for c in CARDS.values()), 'the audit log has no ID number and no name')

    # -- a genuine card of a citizen with an account: the event is theirs, shown on /account --
    from oidctest import Browser, Citizen, sign_in  # noqa: E402
    who = Citizen(env, CARDS['cccd1']['citizen']['id_number'], CARDS['cccd1']['citizen']['full_name'],
                  CARDS['cccd1']['citizen']['date_of_birth'])
    st, h, v = call(env, '/v1/documents/verify', request_body('cccd1'), tok)
    t.ok(st == 200 and v.get('verdict') == 'valid', 'cccd1 verifies for the bank', (st, v.get('reasons')))
    rc, audit, err = env.ctl_json('audit', 'list', '--limit', '1000')
    ev = [x for x in (audit or {}).get('events', []) if x.get('action') == 'document.verify']
    last = ev[-1] if ev else {}
    d = last.get('details')
    d = json.loads(d) if isinstance(d, str) else (d or {})
    t.ok(last.get('subject') == who.account and d.get('verification_id') == v.get('verification_id'),
         'a citizen with an account: audit subject = the account, details keep the verification_id',
         (last.get('subject'), who.account, d.get('verification_id')))
    br = Browser(env)
    st, h, body = sign_in(br, who, '/login?return_to=/account')
    st, h, body = br.get('/account?ui_locales=en') if st == 303 else (st, h, body)
    t.ok(st == 200 and 'data-action="document.verify"' in body and 'Your ID card was checked by' in body and
         'Bank kiosk' in body, 'the account page history says which bank checked the card',
         (st, body[body.find('id="history"'):][:600]))

    # -- Redis down --
    env.redis.stop()
    st, h, e = call(env, '/v1/documents/challenge', None, tok, ctype=None)
    t.ok(st == 503 and (e or {}).get('error') == 'temporarily_unavailable', 'Redis down: challenge 503', (st, e))
    st, h, e = call(env, '/v1/documents/verify', body1, tok)
    t.ok(st == 503 and (e or {}).get('error') == 'temporarily_unavailable', 'Redis down: verify 503', (st, e))
    env.redis.start()
    st = 0
    deadline = time.time() + 10
    while time.time() < deadline:
        st, h, e = call(env, '/v1/documents/challenge', None, tok, ctype=None)
        if st == 201:
            break
        time.sleep(0.2)
    t.eq(st, 201, 'Redis back: challenge works again')

    # -- the log --
    rc = env.stop()
    t.eq(rc, 0, 'eidd exits 0')
    log = env.logtext()
    leaks = [c['citizen']['id_number'] for c in CARDS.values() if c['citizen']['id_number'] in log]
    for cid in ('cccd1', 'cccd2'):
        for name in ('DG1', 'DG2', 'DG13', 'EF.SOD'):
            s = b64(card_file(CARDS[cid], name))
            for frag in (s[:24], s[len(s) // 2:len(s) // 2 + 24]):
                if frag in log:
                    leaks.append('%s %s' % (cid, name))
    t.ok(not leaks, "eidd's log has no ID number and no base64 of the chip files", leaks)
    t.ok('ERROR: AddressSanitizer' not in log and 'LeakSanitizer' not in log and 'runtime error' not in log,
         'no sanitizer report in the log', log[-3000:])
finally:
    env.close()
sys.exit(t.done())
