#!/usr/bin/python3
"""server_fixture.py - a real eidd + Redis for the card tests that talk to the server.

usage: server_fixture.py STATE_DIR        (binaries from $EID_BUILD, as in eidtest.py)

Starts tests/lib/eidtest.py's Env (private redis-server, eidd on a free loopback port),
registers a terminal client (client_credentials, scope document_verify) with eidctl,
imports the test CSCAs and CRLs (tests/vectors/cccd/pki) with `eidctl trust import`,
waits until the running eidd has picked them up (a cccd1 verification comes back
"valid"), then writes STATE_DIR/server.json {"url", "client_id", "client_secret"} and
prints "ready". It runs until stdin closes or it gets SIGTERM, then stops eidd, checks
that eidd exited 0 and that its log holds no citizen ID number, writes
STATE_DIR/server_exit.json {"eidd_rc", "log_leaks"} and removes everything.
"""
import base64
import json
import os
import signal
import sys
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
from eidtest import Env  # noqa: E402

VEC = os.path.join(HERE, '..', 'vectors', 'cccd')


def b64(data):
    return base64.b64encode(data).decode()


def post(url, body, headers):
    req = urllib.request.Request(url, data=body.encode(), headers=headers, method='POST')
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b'null')
    except urllib.error.HTTPError as e:
        return e.code, None


def wait_trust(env, client):
    """Poll until a genuine card verifies: the trust import reached the running eidd."""
    manifest = json.load(open(os.path.join(VEC, 'cards.json'), encoding='utf-8'))
    card = next(c for c in manifest['cards'] if c['id'] == 'cccd1')

    def f(name):
        with open(os.path.join(VEC, card['dir'], card['files'][name]['path']), 'rb') as fh:
            return fh.read()
    body = json.dumps({'sod': b64(f('EF.SOD')),
                       'data_groups': {str(card['files'][n]['dg']): b64(f(n))
                                       for n in card['files'] if 'dg' in card['files'][n]}})
    basic = base64.b64encode(('%s:%s' % (client['client_id'], client['client_secret'])).encode()).decode()
    st, tok = post(env.issuer + '/token', urllib.parse.urlencode(
        {'grant_type': 'client_credentials', 'scope': 'document_verify'}),
        {'Content-Type': 'application/x-www-form-urlencoded', 'Authorization': 'Basic ' + basic})
    if st != 200:
        raise RuntimeError('token: HTTP %s' % st)
    deadline = time.time() + 10
    while time.time() < deadline:
        st, v = post(env.issuer + '/v1/documents/verify', body,
                     {'Content-Type': 'application/json', 'Authorization': 'Bearer ' + tok['access_token']})
        if st == 200 and v.get('verdict') == 'valid':
            return
        time.sleep(0.2)
    raise RuntimeError('the imported CSCAs did not take effect')


class Stop(Exception):
    pass


def on_term(*_):
    raise Stop()


def main():
    state = sys.argv[1]
    env = Env(log_level='info')
    signal.signal(signal.SIGTERM, on_term)
    try:
        env.start()
        rc, client, err = env.ctl_json('client', 'add', '--name', 'Bank counter', '--grant',
                                       'client_credentials', '--scope', 'document_verify')
        if rc != 0 or not client:
            raise RuntimeError('eidctl client add: ' + err)
        pki = os.path.join(VEC, 'pki')
        rc, _, err = env.ctl_json('trust', 'import', *[os.path.join(pki, f) for f in (
            'csca-rsa.pem', 'csca-ec.pem', 'csca-rsa.crl', 'csca-ec.crl')])
        if rc != 0:
            raise RuntimeError('eidctl trust import: ' + err)
        wait_trust(env, client)
        with open(os.path.join(state, 'server.json.tmp'), 'w') as f:
            json.dump({'url': env.issuer, 'client_id': client['client_id'],
                       'client_secret': client['client_secret']}, f)
        os.rename(os.path.join(state, 'server.json.tmp'), os.path.join(state, 'server.json'))
        print('ready', flush=True)
        try:
            while sys.stdin.read(1) != '':
                pass
        except Stop:
            pass
        rc = env.stop()
        log = env.logtext()
        manifest = json.load(open(os.path.join(VEC, 'cards.json'), encoding='utf-8'))
        leaks = [c['citizen']['id_number'] for c in manifest['cards'] if c['citizen']['id_number'] in log]
        leaks += [client['client_secret']] if client['client_secret'] in log else []
        with open(os.path.join(state, 'server_exit.json'), 'w') as f:
            json.dump({'eidd_rc': rc, 'log_leaks': len(leaks)}, f)
        return 0
    except Exception as e:      # the test reports it; the log explains
        print('fixture failed: %s\n%s' % (e, env.logtext()[-3000:]), file=sys.stderr, flush=True)
        return 1
    finally:
        env.close()


if __name__ == '__main__':
    sys.exit(main())
