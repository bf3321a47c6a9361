#!/usr/bin/env python3
"""tests/bench/profile.py - instructions per request of one eid-server endpoint (callgrind).

usage: tests/bench/profile.py [--build build-bench] [--requests 300]
                              [--workload cc|jwks|introspect|userinfo|hop|code]
                              [--out callgrind.out]

Starts a private Redis and eidd under valgrind --tool=callgrind (127.0.0.1 only), sends
warm-up requests, zeroes the counters, sends --requests identical requests over one
keep-alive connection, dumps, and prints the instruction count per request (whole
process: libmicrohttpd, handler, crypto). userinfo and hop sign a citizen in first (the
real pages); hop is GET /authorize with that session + POST /token with the code, per hop;
code is the code exchange alone, as tests/bench/run.py's code_exchange workload: a client
registered for authorization_code only (ES256 access + ID token, no refresh token), codes
minted through /authorize before the counters are zeroed, then only the POST /token calls
are counted. For code, the Redis commands of the counted part (INFO commandstats) are
printed too. Open the dump with callgrind_annotate to see where it goes. Bounded: fixed request counts, every call with a timeout.
"""
import argparse
import base64
import glob
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, os.path.join(TOP, 'tests', 'lib'))


def redis_stats(env):
    """{command: (calls, usec)} from the test Redis's INFO commandstats."""
    out = subprocess.run(['redis-cli', '-s', env.redis.sock, 'info', 'commandstats'], check=True,
                         capture_output=True, text=True, timeout=30).stdout
    stats = {}
    for m in re.finditer(r'cmdstat_([\w|]+):calls=(\d+),usec=(\d+)', out):
        stats[m.group(1)] = (int(m.group(2)), int(m.group(3)))
    return stats


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default=os.path.join(TOP, 'build-bench'))
    ap.add_argument('--requests', type=int, default=300)
    ap.add_argument('--workload', default='cc', choices=['cc', 'jwks', 'introspect', 'userinfo', 'hop', 'code'])
    ap.add_argument('--out', default=None, help='keep the callgrind dump here')
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    os.environ['EID_BUILD'] = build
    import eidtest
    work = tempfile.mkdtemp(prefix='eid-prof-')
    wrapper = os.path.join(work, 'eidd-callgrind')
    with open(wrapper, 'w') as f:
        f.write('#!/bin/sh\nexec valgrind --tool=callgrind --callgrind-out-file=%s/cg.%%p '
                '%s "$@"\n' % (work, os.path.join(build, 'server', 'eidd')))
    os.chmod(wrapper, 0o755)
    eidtest.EIDD = wrapper
    eidtest.EIDCTL = os.path.join(build, 'server', 'eidctl')
    env = eidtest.Env(log_level='warn')
    try:
        env.start(wait=False)
        deadline = time.time() + 300          # valgrind starts slowly on a busy machine
        while time.time() < deadline:
            if env.proc.poll() is not None:
                raise RuntimeError('eidd exited:\n' + env.logtext())
            try:
                if env.get('/healthz', timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            raise RuntimeError('eidd under valgrind did not start')
        rc, client, err = env.ctl_json('client', 'add', '--name', 'prof', '--grant', 'client_credentials',
                                       '--scope', 'document_verify')
        if rc != 0:
            raise RuntimeError('client add: ' + err)
        auth = 'Basic ' + base64.b64encode(('%s:%s' % (
            urllib.parse.quote_plus(client['client_id']),
            urllib.parse.quote_plus(client['client_secret']))).encode()).decode()
        conn = http.client.HTTPConnection('127.0.0.1', env.port, timeout=60)

        def cc():
            conn.request('POST', '/token', body='grant_type=client_credentials&scope=document_verify',
                         headers={'Authorization': auth,
                                  'Content-Type': 'application/x-www-form-urlencoded'})
            r = conn.getresponse()
            return r.status, r.read()

        if args.workload == 'cc':
            def one():
                return cc()
        elif args.workload == 'jwks':
            def one():
                conn.request('GET', '/jwks')
                r = conn.getresponse()
                return r.status, r.read()
        elif args.workload in ('userinfo', 'hop', 'code'):
            import oidctest
            rp = 'https://rp.prof.example/cb'
            grants = ['--grant', 'authorization_code']
            if args.workload != 'code':     # code: registered like run.py's bench-code client
                grants += ['--grant', 'refresh_token']
            rc, web, err = env.ctl_json('client', 'add', '--name', 'prof-web', '--redirect-uri', rp,
                                        *grants, '--scope', 'openid profile', '--id-token-alg', 'ES256')
            web_auth = 'Basic ' + base64.b64encode(('%s:%s' % (
                urllib.parse.quote_plus(web['client_id']),
                urllib.parse.quote_plus(web['client_secret']))).encode()).decode()
            verifier, challenge = oidctest.pkce_pair()
            q = oidctest.authorize_query(web['client_id'], rp, challenge, scope='openid profile')
            br = oidctest.Browser(env)
            st, h, _, trace = oidctest.run_flow(env, br, oidctest.Citizen(env), q)
            if st != 303:
                raise RuntimeError('sign-in: %s %s' % (st, trace))
            cookie = '; '.join('%s=%s' % kv for kv in br.cookies.items())

            def mint():
                conn.request('GET', q, headers={'Cookie': cookie})
                r = conn.getresponse()
                r.read()
                return urllib.parse.parse_qs(urllib.parse.urlparse(r.getheader('Location', '')).query)['code'][0]

            def exchange(code):
                conn.request('POST', '/token', body=urllib.parse.urlencode({
                    'grant_type': 'authorization_code', 'code': code, 'redirect_uri': rp,
                    'code_verifier': verifier}), headers={'Authorization': web_auth,
                                                          'Content-Type': 'application/x-www-form-urlencoded'})
                r = conn.getresponse()
                return r.status, r.read()

            def hop():
                return exchange(mint())
            if args.workload == 'hop':
                one = hop
            elif args.workload == 'code':
                codes = []

                def one():
                    return exchange(codes.pop())
            else:
                token = json.loads(hop()[1])['access_token']

                def one():
                    conn.request('GET', '/userinfo', headers={'Authorization': 'Bearer ' + token})
                    r = conn.getresponse()
                    return r.status, r.read()
        else:
            st, body = cc()
            token = json.loads(body)['access_token']
            form = 'token=' + token

            def one():
                conn.request('POST', '/introspect', body=form, headers={
                    'Authorization': auth, 'Content-Type': 'application/x-www-form-urlencoded'})
                r = conn.getresponse()
                return r.status, r.read()
        if args.workload == 'code':
            codes += [mint() for _ in range(20 + args.requests)]   # codes live 60 s
            codes.reverse()
        for _ in range(20):
            st, body = one()
        if st != 200:
            raise RuntimeError('%s answers %s %s' % (args.workload, st, body[:200]))
        pid = env.proc.pid
        stats0 = redis_stats(env) if args.workload == 'code' else None
        subprocess.run(['callgrind_control', '-z', str(pid)], check=True, capture_output=True, timeout=60)
        for _ in range(args.requests):
            st, _ = one()
            if st != 200:
                raise RuntimeError('status %s' % st)
        subprocess.run(['callgrind_control', '-d', str(pid)], check=True, capture_output=True, timeout=60)
        if stats0 is not None:
            stats1 = redis_stats(env)
            for name in sorted(stats1):
                calls = stats1[name][0] - stats0.get(name, (0, 0))[0]
                usec = stats1[name][1] - stats0.get(name, (0, 0))[1]
                if calls > 0 and name != 'info':
                    print('redis %s: %.2f calls, %.1f us per request (commandstats)' % (
                        name, calls / args.requests, usec / args.requests))
        time.sleep(0.5)
        dumps = sorted(glob.glob(os.path.join(work, 'cg.*.*')), key=os.path.getmtime)
        if not dumps:
            raise RuntimeError('no callgrind dump')
        total = 0
        with open(dumps[-1]) as f:
            for line in f:
                m = re.match(r'(?:summary|totals): (\d+)', line)
                if m:
                    total = int(m.group(1))
        print('%s: %d instructions per request (%d requests)' % (args.workload, total // args.requests,
                                                                args.requests))
        if args.out:
            shutil.copy(dumps[-1], args.out)
            print('dump: ' + args.out)
        conn.close()
    finally:
        env.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
