#!/usr/bin/env python3
"""tests/bench/run.py - eid-server against panva's oidc-provider, measured in one run.

usage: tests/bench/run.py [--seconds 5] [--rounds 3] [--connections 64] [--out docs/performance.md]
                          [--no-peer] [--only NAME[,NAME...]] [--logins 64]

Builds eidd (release build in build-bench), starts a private Redis and eidd on
127.0.0.1, registers the bench clients and citizens with eidctl, and starts the peer
from ../shared/peers/oidc-provider when it is there (npm install into a scratch copy;
skipped with a message otherwise). Then, for each workload, wrk drives eid-server and
the peer in turn, --rounds times (the medians are reported; each round's ratio comes from
two measurements next to each other, since other work on a shared machine comes and
goes), and the script prints requests/s, p50/p99 latency, server CPU per
request (utime + stime from /proc, eidd and Redis separately), peak RSS, errors and the
ratio eid-server / peer; last, 64 concurrent full sign-in flows (login page, password +
TOTP, consent, code exchange) must all succeed. The table goes to docs/performance.md.

Workloads (set-up, such as sessions, consents, codes and refresh tokens, happens before
the clock starts; one-time values are minted one per request):
  jwks                 GET /jwks
  client_credentials   POST /token, ES256 JWT access token
  sso_hop              GET /authorize with a session and a remembered consent (303 + code),
                       then POST /token with that code; counted per hop (2 requests)
  code_exchange        POST /token grant_type=authorization_code, pre-minted codes
  refresh              POST /token grant_type=refresh_token, rotating refresh tokens
  introspection        POST /introspect (peer: /token/introspection)
  userinfo             GET /userinfo with a user access token (peer: /me)
Everything targets 127.0.0.1 only; every loop is bounded (wrk runs --seconds, set-up
loops have fixed counts, every HTTP call has a timeout). Load generator, servers and
Redis share this machine's cores: compare ratios from the same run, not absolute numbers.
"""
import argparse
import base64
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, '..', '..'))
PEER_SRC = os.path.abspath(os.path.join(TOP, '..', 'shared', 'peers', 'oidc-provider'))
sys.path.insert(0, os.path.join(TOP, 'tests', 'lib'))
HZ = os.sysconf('SC_CLK_TCK')
WRK_THREADS = 2
FORM = 'application/x-www-form-urlencoded'

RP = 'https://rp.bench.example/cb'
PEER_CLIENT = ('bench-client', 'bench-secret-0123456789abcdef0123456789abcdef')
PEER_RP = 'https://client.example/cb'

WORKLOADS = ['jwks', 'floor', 'client_credentials', 'sso_hop', 'code_exchange', 'refresh', 'introspection',
             'userinfo']
TITLES = {
    'jwks': 'JWKS',
    'floor': 'HTTP floor: libmicrohttpd + kernel answering a prepared response of the JWKS size (no eid-server code)',
    'client_credentials': 'client_credentials (ES256 JWT access token)',
    'sso_hop': 'SSO hop (authorize with session + consent, then code exchange), per hop',
    'code_exchange': 'code exchange (ES256 access + ID token)',
    'refresh': 'refresh (rotation, ES256 access + ID token)',
    'introspection': 'introspection',
    'userinfo': 'userinfo',
}
PEER_WHY = {
    'floor': 'a reference for the CPU targets (tests/bench/bench_floor.c), not a workload',
    'sso_hop': 'peer: no sign-in UI in its set-up (devInteractions off), so no session to reuse',
    'refresh': 'peer: its client is not registered for refresh_token (no offline_access)',
}


# ---- processes: CPU and memory from /proc ----

def cpu_ticks(pid, which=(11, 12)):
    """utime + stime of pid in clock ticks (which=(11,) for user time alone)."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            fields = f.read().rsplit(')', 1)[1].split()
    except OSError:
        return 0
    return sum(int(fields[i]) for i in which)


def rss_kib(pid, field='VmRSS'):
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith(field + ':'):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_pids(pid):
    out = [pid]
    try:
        kids = subprocess.run(['pgrep', '-P', str(pid)], capture_output=True, text=True,
                              timeout=10).stdout.split()
    except (OSError, subprocess.TimeoutExpired):
        kids = []
    for k in kids:
        out += tree_pids(int(k))
    return out


# ---- HTTP helpers (127.0.0.1 only, every call with a timeout) ----

def call(port, method, path, body=None, headers=None, timeout=30):
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=timeout)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    except OSError:
        return 0, {}, b''
    finally:
        c.close()


def post_json(port, path, form, auth):
    st, _, body = call(port, 'POST', path, urllib.parse.urlencode(form),
                       {'Authorization': auth, 'Content-Type': FORM})
    try:
        return st, json.loads(body)
    except ValueError:
        return st, None


def basic(cid, secret):
    raw = '%s:%s' % (urllib.parse.quote_plus(cid), urllib.parse.quote_plus(secret))
    return 'Basic ' + base64.b64encode(raw.encode()).decode()


# ---- wrk ----

def wrk(port, script, env, seconds, conns):
    e = dict(os.environ, BENCH_DIR=HERE, BENCH_THREADS=str(WRK_THREADS), **env)
    try:
        p = subprocess.run(['wrk', '-t%d' % WRK_THREADS, '-c%d' % conns, '-d%ds' % seconds,
                            '--timeout', '10s', '-s', os.path.join(HERE, script),
                            'http://127.0.0.1:%d' % port],
                           capture_output=True, text=True, env=e, timeout=seconds + 60)
    except subprocess.TimeoutExpired:
        raise RuntimeError('wrk did not stop')
    m = re.search(r'BENCHJSON (\{.*\})', p.stdout)
    if not m:
        raise RuntimeError('wrk failed: ' + p.stdout + p.stderr)
    return json.loads(m.group(1))


def measure(port, pids, script, env, seconds, conns, per_op=False):
    """Run wrk once; CPU of each pid group over the run. per_op: rates and CPU per `ok`
    operation (a hop of two requests) instead of per request. A repeatable request
    (wrk_fixed.lua) is first sent for a second that is not counted, so every server's
    threads, connections and caches are warm when the clock starts."""
    if script == 'wrk_fixed.lua':
        wrk(port, script, env, 1, conns)
    peak = [0]
    stop = threading.Event()

    def sample():                       # the server's RSS every 50 ms while wrk runs
        while not stop.wait(0.05):
            peak[0] = max(peak[0], sum(rss_kib(p) for p in pids[0]))

    sampler = threading.Thread(target=sample, daemon=True)
    t0 = [sum(cpu_ticks(p) for p in g) for g in pids]
    u0 = sum(cpu_ticks(p, (11,)) for p in pids[0])
    sampler.start()
    try:
        r = wrk(port, script, env, seconds, conns)
    finally:
        stop.set()
        sampler.join(5)
    t1 = [sum(cpu_ticks(p) for p in g) for g in pids]
    u1 = sum(cpu_ticks(p, (11,)) for p in pids[0])
    secs = r['duration_us'] / 1e6
    ops = max(r['ok'] if per_op else r['requests'], 1)
    return {
        'rps': (r['ok'] if per_op else r['requests']) / secs,
        'p50_ms': r['p50_us'] / 1000, 'p99_ms': r['p99_us'] / 1000,
        'cpu_us': [(b - a) * 1e6 / HZ / ops for a, b in zip(t0, t1)],
        'user_us': (u1 - u0) * 1e6 / HZ / ops,
        'peak_rss_mb': peak[0] / 1024,
        'errors': r['errors'] + r['bad'], 'requests': r['requests'], 'ok': r['ok'],
    }


# ---- eid-server ----

class Eid:
    """eidd + Redis with the bench clients, a signed-in citizen and the consent given."""

    def __init__(self, build):
        import eidtest
        import oidctest
        self.t = eidtest
        self.o = oidctest
        self.env = eidtest.Env(log_level='warn')
        self.env.start()
        self.port = self.env.port
        self.pids = [[self.env.proc.pid], [self.env.redis.proc.pid]]
        time.sleep(0.5)
        self.start_rss = rss_kib(self.env.proc.pid) / 1024
        rc, cc, err = self.env.ctl_json('client', 'add', '--name', 'bench-cc', '--grant',
                                        'client_credentials', '--scope', 'document_verify')
        if rc != 0:
            raise RuntimeError('client add: ' + err)
        self.cc_auth = basic(cc['client_id'], cc['client_secret'])
        rc, web, err = self.env.ctl_json('client', 'add', '--name', 'bench-web', '--redirect-uri', RP,
                                         '--grant', 'authorization_code', '--grant', 'refresh_token',
                                         '--scope', 'openid profile', '--id-token-alg', 'ES256')
        if rc != 0:
            raise RuntimeError('client add: ' + err)
        self.web = web
        self.web_auth = basic(web['client_id'], web['client_secret'])
        self.verifier, challenge = oidctest.pkce_pair()
        self.authz_path = oidctest.authorize_query(web['client_id'], RP, challenge,
                                                   scope='openid profile', state='s', nonce='n')
        self.token_prefix = 'grant_type=authorization_code&redirect_uri=%s&code_verifier=%s&code=' % (
            urllib.parse.quote(RP, safe=''), self.verifier)
        # one citizen signs in through the pages and allows the client: session + consent
        self.citizen = oidctest.Citizen(self.env)
        self.browser = oidctest.Browser(self.env)
        st, h, body, trace = oidctest.run_flow(self.env, self.browser, self.citizen, self.authz_path)
        if st != 303 or 'code=' not in h.get('location', ''):
            raise RuntimeError('eid: sign-in for the SSO session failed: %s %s' % (st, trace))
        # the code exchange workload's client, registered like the peer's: authorization_code
        # only, so an exchange issues what the peer's does (ID token + access token, no
        # refresh token); the session above allows it too
        rc, cx, err = self.env.ctl_json('client', 'add', '--name', 'bench-code', '--redirect-uri', RP,
                                        '--grant', 'authorization_code', '--scope', 'openid profile',
                                        '--id-token-alg', 'ES256')
        if rc != 0:
            raise RuntimeError('client add: ' + err)
        self.code_auth = basic(cx['client_id'], cx['client_secret'])
        self.code_authz_path = oidctest.authorize_query(cx['client_id'], RP, challenge,
                                                        scope='openid profile', state='s', nonce='n')
        st, h, body, trace = oidctest.run_flow(self.env, self.browser, self.citizen, self.code_authz_path)
        if st != 303 or 'code=' not in h.get('location', ''):
            raise RuntimeError('eid: consent for the code-exchange client failed: %s %s' % (st, trace))
        self.cookie = '; '.join('%s=%s' % kv for kv in self.browser.cookies.items())
        self.idle_rss = rss_kib(self.env.proc.pid) / 1024

    def authorize_code(self):
        st, h, _ = call(self.port, 'GET', self.authz_path, headers={'Cookie': self.cookie})
        m = re.search(r'[?&]code=([\w-]+)', h.get('location', ''))
        if st != 303 or not m:
            raise RuntimeError('eid: authorize with the session answers %s' % st)
        return m.group(1)

    def exchange(self, code):
        return post_json(self.port, '/token', {'grant_type': 'authorization_code', 'code': code,
                                                'redirect_uri': RP, 'code_verifier': self.verifier},
                         self.web_auth)

    def close(self):
        self.env.close()


# ---- the peer ----

class Peer:
    """panva's oidc-provider from ../shared (a scratch copy); None when it is not there."""

    def __init__(self, work):
        self.dir = os.path.join(work, 'peer')
        shutil.copytree(PEER_SRC, self.dir, ignore=shutil.ignore_patterns('node_modules'))
        p = subprocess.run(['npm', 'install', '--no-audit', '--no-fund', '--silent'], cwd=self.dir,
                           capture_output=True, text=True, timeout=600)
        if p.returncode != 0:
            raise RuntimeError('npm install failed: ' + p.stderr[-500:])
        self.proc = None
        self.auth = basic(*PEER_CLIENT)

    def start(self, **env):
        self.stop()
        import eidtest
        self.port = eidtest.free_port()
        e = dict(os.environ, PORT=str(self.port), SIGN_ALG='ES256', **env)
        self.proc = subprocess.Popen(['node', 'server.mjs'], cwd=self.dir, env=e,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(1200):                   # up to 120 s (pre-created codes take a while)
            if self.proc.poll() is not None:
                raise RuntimeError('peer exited with %s' % self.proc.returncode)
            if call(self.port, 'GET', '/jwks', timeout=5)[0] == 200:
                self.pids = [tree_pids(self.proc.pid)]
                return
            time.sleep(0.1)
        raise RuntimeError('peer did not start')

    def rss(self):
        return sum(rss_kib(p) for p in self.pids[0]) / 1024

    def stop(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(30)
            self.proc = None


# ---- the workloads ----

def write_lines(path, values):
    with open(path, 'w') as f:
        f.write(''.join(v + '\n' for v in values))


def mint_codes(eid, work, seconds, conns):
    """Codes for code_exchange (its client), minted by wrk through /authorize (each is single-use)."""
    base = os.path.join(work, 'mint')
    wrk(eid.port, 'wrk_sso.lua', {'BENCH_AUTHZ_PATH': eid.code_authz_path, 'BENCH_COOKIE': eid.cookie,
                                  'BENCH_MINT_FILE': base}, seconds, conns)
    codes = []
    for k in range(WRK_THREADS):
        try:
            with open('%s.%d' % (base, k)) as f:
                codes += [line.strip() for line in f if line.strip()]
        except OSError:
            pass
    path = os.path.join(work, 'eid-codes.txt')
    write_lines(path, codes)
    return path, len(codes)


def median(values):
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def combine(results):
    """The rounds of one server on one workload as one result: medians of the rates,
    latencies and CPU figures, the highest RSS peak, the sums of the counts."""
    if not results:
        return None
    out = {k: median([r[k] for r in results]) for k in ('rps', 'p50_ms', 'p99_ms', 'user_us')}
    out['cpu_us'] = [median([r['cpu_us'][i] for r in results]) for i in range(len(results[0]['cpu_us']))]
    out['peak_rss_mb'] = max(r['peak_rss_mb'] for r in results)
    for k in ('errors', 'requests', 'ok'):
        out[k] = sum(r[k] for r in results)
    out['rounds'] = [r['rps'] for r in results]
    return out


def run_workloads(args, eid, peer, work):
    secs, conns = args.seconds, args.connections
    rows = []

    def row(name, e, p, note=''):
        rows.append((name, e, p, note))
        ratios = e.get('ratios') or []
        print('%-20s eid %8.0f /s p50 %6.2f p99 %6.2f ms cpu %6.1f (user %.1f) + redis %.1f us err %d | %s' % (
            name, e['rps'], e['p50_ms'], e['p99_ms'], e['cpu_us'][0], e['user_us'], e['cpu_us'][1],
            e['errors'],
            ('peer %8.0f /s p99 %7.2f ms cpu %6.1f us err %d  ratio %.1fx (rounds %s)' % (
                p['rps'], p['p99_ms'], p['cpu_us'][0], p['errors'], median(ratios),
                ' '.join('%.1f' % r for r in ratios)))
            if p else note or 'peer not run'), flush=True)

    def paired(eid_run, peer_run=None):
        """args.rounds rounds, eid-server then the peer in each, so that both see the
        machine as it is at about the same time; each round's ratio comes from the two
        measurements next to each other, and the row gives their median."""
        es, ps, ratios = [], [], []
        for i in range(args.rounds):
            e = eid_run(i)
            es.append(e)
            p = peer_run(i) if peer_run else None
            if p:
                ps.append(p)
                ratios.append(e['rps'] / max(p['rps'], 1e-9))
        e = combine(es)
        e['ratios'] = ratios
        return e, combine(ps)

    want = set(args.only.split(',')) if args.only else set(WORKLOADS)
    peer_cc = peer_op = None
    if peer:
        peer.start()
        st, js = post_json(peer.port, '/token', {'grant_type': 'client_credentials', 'scope': 'api:read'},
                           peer.auth)
        peer_op = js.get('access_token') if st == 200 and js else None

    if 'jwks' in want:
        e, p = paired(lambda i: measure(eid.port, eid.pids, 'wrk_fixed.lua', {'BENCH_PATH': '/jwks'}, secs, conns),
                      (lambda i: measure(peer.port, peer.pids, 'wrk_fixed.lua', {'BENCH_PATH': '/jwks'},
                                         secs, conns)) if peer else None)
        row('jwks', e, p)

    if 'floor' in want:
        # the same daemon options and thread count as eidd, a prepared answer of the same size
        size = len(call(eid.port, 'GET', '/jwks')[2])
        threads = int(os.environ.get('EID_HTTP_THREADS') or 0) or 4 * (os.cpu_count() or 2)
        port = eid.t.free_port()
        fl = subprocess.Popen([os.path.join(args.build_dir, 'tests', 'bench', 'bench_floor'), str(port),
                               str(size), str(threads)])
        try:
            for _ in range(100):
                if call(port, 'GET', '/', timeout=2)[0] == 200:
                    break
                time.sleep(0.05)
            e, _ = paired(lambda i: measure(port, [[fl.pid], []], 'wrk_fixed.lua', {'BENCH_PATH': '/jwks'},
                                            secs, conns))
        finally:
            fl.terminate()
            fl.wait(30)
        row('floor', e, None, PEER_WHY['floor'])

    if 'client_credentials' in want:
        e, p = paired(lambda i: measure(eid.port, eid.pids, 'wrk_fixed.lua', {
            'BENCH_METHOD': 'POST', 'BENCH_PATH': '/token', 'BENCH_AUTH': eid.cc_auth,
            'BENCH_BODY': 'grant_type=client_credentials&scope=document_verify'}, secs, conns),
            (lambda i: measure(peer.port, peer.pids, 'wrk_fixed.lua', {
                'BENCH_METHOD': 'POST', 'BENCH_PATH': '/token', 'BENCH_AUTH': peer.auth,
                'BENCH_BODY': 'grant_type=client_credentials&scope=api%3Aread&resource=urn%3Abench%3Ars-jwt'},
                secs, conns)) if peer else None)
        row('client_credentials', e, p)

    if 'introspection' in want:
        st, js = post_json(eid.port, '/token', {'grant_type': 'client_credentials',
                                                 'scope': 'document_verify'}, eid.cc_auth)
        form = 'token=' + js['access_token']
        e, p = paired(lambda i: measure(eid.port, eid.pids, 'wrk_fixed.lua', {
            'BENCH_METHOD': 'POST', 'BENCH_PATH': '/introspect', 'BENCH_AUTH': eid.cc_auth,
            'BENCH_BODY': form}, secs, conns),
            (lambda i: measure(peer.port, peer.pids, 'wrk_fixed.lua', {
                'BENCH_METHOD': 'POST', 'BENCH_PATH': '/token/introspection', 'BENCH_AUTH': peer.auth,
                'BENCH_BODY': 'token=' + peer_op}, secs, conns)) if peer and peer_op else None)
        row('introspection', e, p, 'peer: no opaque token' if peer and not peer_op else '')

    if 'sso_hop' in want:
        e, _ = paired(lambda i: measure(eid.port, eid.pids, 'wrk_sso.lua', {
            'BENCH_AUTHZ_PATH': eid.authz_path, 'BENCH_COOKIE': eid.cookie,
            'BENCH_AUTH': eid.web_auth, 'BENCH_TOKEN_PREFIX': eid.token_prefix}, secs, conns,
            per_op=True))
        row('sso_hop', e, None, PEER_WHY['sso_hop'])

    if 'refresh' in want:
        def refresh_round(i):
            refresh = []
            for _ in range(2 * conns):                  # two chains per connection
                st, js = eid.exchange(eid.authorize_code())
                if st != 200 or not js.get('refresh_token'):
                    raise RuntimeError('eid: code exchange for refresh set-up answers %s' % st)
                refresh.append(js['refresh_token'])
            path = os.path.join(work, 'eid-refresh-%d.txt' % i)
            write_lines(path, refresh)
            return measure(eid.port, eid.pids, 'wrk_refresh.lua', {'BENCH_CODES': path,
                                                                   'BENCH_AUTH': eid.web_auth}, secs, conns)
        e, _ = paired(refresh_round)
        row('refresh', e, None, PEER_WHY['refresh'])

    # code exchange and userinfo: the peer restarts with pre-created codes (its README's way)
    if peer and ({'code_exchange', 'userinfo'} & want):
        n = max(int(args.peer_codes) * args.rounds, 1000)
        codes_file = os.path.join(peer.dir, 'codes.txt')
        peer.start(ADAPTER='map', PRECREATE_CODES=str(n), CODES_FILE=codes_file)

    if 'code_exchange' in want:
        def eid_codes(i):
            # codes live SRV_AUTHZ_CODE_TTL (60 s): mint for the round's length, exchange right after
            path, n = mint_codes(eid, work, secs + 2, conns)
            return measure(eid.port, eid.pids, 'wrk_codes.lua', {
                'BENCH_CODES': path, 'BENCH_AUTH': eid.code_auth,
                'BENCH_BODY_PREFIX': eid.token_prefix}, secs, conns)

        peer_round_files = []
        if peer:
            with open(codes_file) as f:
                lines = [line.strip() for line in f if line.strip()]
            peer_user_code = lines[0]               # kept for userinfo
            share = (len(lines) - 1) // args.rounds
            for i in range(args.rounds):            # each round its own unused codes
                path = os.path.join(work, 'peer-codes-%d.txt' % i)
                write_lines(path, lines[1 + i * share:1 + (i + 1) * share])
                peer_round_files.append(path)

        def peer_codes(i):
            return measure(peer.port, peer.pids, 'wrk_codes.lua', {
                'BENCH_CODES': peer_round_files[i], 'BENCH_AUTH': peer.auth,
                'BENCH_BODY_PREFIX': 'grant_type=authorization_code&redirect_uri=%s&code=' % (
                    urllib.parse.quote(PEER_RP, safe=''))}, secs, conns)
        e, p = paired(eid_codes, peer_codes if peer else None)
        row('code_exchange', e, p)

    if 'userinfo' in want:
        st, js = eid.exchange(eid.authorize_code())
        if st != 200:
            raise RuntimeError('eid: code exchange for userinfo answers %s' % st)
        eid_user = lambda i: measure(eid.port, eid.pids, 'wrk_fixed.lua', {  # noqa: E731
            'BENCH_PATH': '/userinfo', 'BENCH_AUTH': 'Bearer ' + js['access_token']}, secs, conns)
        peer_user = None
        if peer:
            if 'code_exchange' not in want:
                with open(codes_file) as f:
                    peer_user_code = f.readline().strip()
            st, pj = post_json(peer.port, '/token', {'grant_type': 'authorization_code',
                                                      'code': peer_user_code, 'redirect_uri': PEER_RP},
                               peer.auth)
            if st == 200 and pj and pj.get('access_token'):
                peer_user = lambda i: measure(peer.port, peer.pids, 'wrk_fixed.lua', {  # noqa: E731
                    'BENCH_PATH': '/me', 'BENCH_AUTH': 'Bearer ' + pj['access_token']}, secs, conns)
        e, p = paired(eid_user, peer_user)
        row('userinfo', e, p, 'peer: no user access token' if peer and not p else '')
    return rows


def make_citizens(eid, n, first=0):
    """n citizens for login_flows (eidctl citizen add; not timed)."""
    return [eid.o.Citizen(eid.env, '001090%06d' % (100 + i), 'Bench Citizen %d' % i, '1990-01-01')
            for i in range(first, first + n)]


def login_flows(eid, citizens):
    """Concurrent full sign-ins, one per citizen (one TOTP code each): authorize, login
    page, password + TOTP, consent, code exchange. Returns (errors, seconds, why)."""
    o = eid.o
    n = len(citizens)
    results = [None] * n

    def flow(i):
        try:
            br = o.Browser(eid.env)
            verifier, challenge = o.pkce_pair()
            q = o.authorize_query(eid.web['client_id'], RP, challenge, scope='openid profile',
                                  state='st%d' % i, nonce='n%d' % i)
            st, h, body, trace = o.run_flow(eid.env, br, citizens[i], q)
            m = re.search(r'[?&]code=([\w-]+)', h.get('location', ''))
            if st != 303 or not m:
                results[i] = 'flow ended with %s %s' % (st, trace)
                return
            st, js = post_json(eid.port, '/token', {'grant_type': 'authorization_code',
                                                     'code': m.group(1), 'redirect_uri': RP,
                                                     'code_verifier': verifier}, eid.web_auth)
            results[i] = None if st == 200 and js and js.get('id_token') else 'exchange %s' % st
        except Exception as ex:         # noqa: BLE001 - every failure is counted
            results[i] = repr(ex)

    threads = [threading.Thread(target=flow, args=(i,), daemon=True) for i in range(n)]
    t0 = time.time()
    for th in threads:
        th.start()
    for th in threads:
        th.join(max(1, 300 - (time.time() - t0)))
    took = time.time() - t0
    errs = [r if r is not None else 'timeout' for r, th in zip(results, threads)
            if r is not None or th.is_alive()]
    return len(errs), took, errs[:3]


def cc_during_signins(args, eid):
    """client_credentials under wrk while args.logins citizens sign in at once (started one
    second into the counted run): what a bank's token requests see during a sign-in storm.
    The password checks run on eidd's heavy-work pool, not on the HTTP workers."""
    citizens = make_citizens(eid, args.logins, first=args.logins)
    got = {}

    def storm():
        time.sleep(2.0)                     # the warm-up second, then one counted second
        got['logins'] = login_flows(eid, citizens)

    th = threading.Thread(target=storm, daemon=True)
    th.start()
    e = measure(eid.port, eid.pids, 'wrk_fixed.lua', {
        'BENCH_METHOD': 'POST', 'BENCH_PATH': '/token', 'BENCH_AUTH': eid.cc_auth,
        'BENCH_BODY': 'grant_type=client_credentials&scope=document_verify'},
        max(args.seconds, 5), args.connections)
    th.join(300)
    n_err, took, why = got.get('logins', (args.logins, 0.0, ['did not finish']))
    note = 'no peer figure (its set-up has no sign-in UI); the %d sign-ins took %.1f s, %d errors' % (
        args.logins, took, n_err)
    print('client_credentials during %d sign-ins: %.0f /s p50 %.2f p99 %.2f ms; %s' % (
        args.logins, e['rps'], e['p50_ms'], e['p99_ms'], note), flush=True)
    return ('client_credentials while %d citizens sign in (full flows with password + TOTP, '
            'started after 1 s of the run)' % args.logins, e, None, note)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--seconds', type=int, default=5, help='per round (default 5)')
    ap.add_argument('--rounds', type=int, default=3,
                    help='rounds per workload, eid-server and the peer in turn (default 3)')
    ap.add_argument('--connections', type=int, default=64)
    ap.add_argument('--out', default=os.path.join(TOP, 'docs', 'performance.md'))
    ap.add_argument('--no-peer', action='store_true')
    ap.add_argument('--only', default='', help='comma-separated workloads: ' + ','.join(WORKLOADS))
    ap.add_argument('--logins', type=int, default=64, help='concurrent full login flows (0: none)')
    ap.add_argument('--peer-codes', type=int, default=0,
                    help='codes the peer pre-creates (default: 4000 per second of run)')
    ap.add_argument('--build', default=os.path.join(TOP, 'build-bench'))
    args = ap.parse_args()
    args.seconds = max(1, min(args.seconds, 25))     # codes live 60 s: mint + exchange fit
    args.rounds = max(1, min(args.rounds, 9))
    if not args.peer_codes:
        args.peer_codes = 4000 * args.seconds
    if shutil.which('wrk') is None:
        subprocess.run(['apt-get', 'install', '-y', '-qq', 'wrk'], capture_output=True, timeout=600)
        if shutil.which('wrk') is None:
            sys.exit('bench: needs wrk (apt-get install wrk)')
    build = os.path.abspath(args.build)
    if not os.path.exists(os.path.join(build, 'build.ninja')):
        # a measurement build: release, asserts off; warnings are enforced by the normal builds
        subprocess.run(['meson', 'setup', build, '-Dbuildtype=release', '-Db_ndebug=true',
                        '-Dwerror=false', '-Dintegration=false'], cwd=TOP, check=True, capture_output=True)
    subprocess.run(['ninja', '-C', build, 'server/eidd', 'server/eidctl', 'tests/bench/bench_floor'],
                   check=True, capture_output=True)
    args.build_dir = build
    os.environ['EID_BUILD'] = build
    import eidtest
    eidtest.EIDD = os.path.join(build, 'server', 'eidd')
    eidtest.EIDCTL = os.path.join(build, 'server', 'eidctl')

    work = tempfile.mkdtemp(prefix='eid-bench-')
    eid = peer = None
    load = os.getloadavg()
    try:
        eid = Eid(build)
        if args.no_peer:
            print('bench: --no-peer: measuring eid-server alone')
        elif not os.path.isdir(PEER_SRC) or shutil.which('node') is None or shutil.which('npm') is None:
            print('bench: the peer (%s, node, npm) is not here; measuring eid-server alone' % PEER_SRC)
        else:
            try:
                peer = Peer(work)
            except (RuntimeError, OSError, subprocess.TimeoutExpired) as ex:
                print('bench: peer not run: %s' % ex)
                peer = None
        rows = run_workloads(args, eid, peer, work)
        idle_peer = None
        logins = None
        if args.logins > 0:
            n_err, took, why = login_flows(eid, make_citizens(eid, args.logins))
            logins = (args.logins, n_err, took, why)
            print('login flows: %d concurrent, %d errors, %.1f s %s' % (args.logins, n_err, took,
                                                                        why if why else ''))
            want = set(args.only.split(',')) if args.only else set(WORKLOADS)
            if 'client_credentials' in want:
                rows.append(cc_during_signins(args, eid))
        peak_eid = rss_kib(eid.env.proc.pid, 'VmHWM') / 1024
        if peer:
            peer.start()
            time.sleep(1)
            idle_peer = peer.rss()
        write_table(args, rows, (eid.start_rss, eid.idle_rss), peak_eid, idle_peer, logins, load, os.getloadavg())
    finally:
        if peer:
            peer.stop()
        if eid:
            eid.close()
        shutil.rmtree(work, ignore_errors=True)


def ratio_text(e):
    r = e.get('ratios') or []
    if not r:
        return '-'
    if len(r) == 1:
        return '%.1fx' % r[0]
    return '%.1fx (%.1f-%.1f)' % (median(r), min(r), max(r))


def write_table(args, rows, idle_eid, peak_eid, idle_peer, logins, load0, load1):
    f2 = lambda v: '%.2f' % v   # noqa: E731
    lines = ['# Performance', '',
             'Measured by `tests/bench/run.py` in one run on this machine (2 cores shared by wrk, '
             'eidd, Redis and the peer; %d connections; each workload %d rounds of %d s, eid-server '
             'and the peer in turn, figures are the medians of the rounds; load average %.1f before '
             'and %.1f after the run). Ratios compare eid-server with panva\'s oidc-provider (the peer, '
             'ES256, in-memory store): the median of the rounds\' ratios, each from two measurements '
             'next to each other, with their range; absolute numbers move with the '
             'machine.' % (args.connections, args.rounds, args.seconds, load0[0], load1[0]), '',
             '| workload | eid req/s | peer req/s | ratio | eid p50 / p99 ms | peer p50 / p99 ms '
             '| eid CPU us/req: eidd (user part) + Redis | peer CPU us/req | peak RSS MB (eid/peer) | errors (eid/peer) |',
             '|---|---|---|---|---|---|---|---|---|---|']
    for name, e, p, note in rows:
        lines.append('| %s | %.0f | %s | %s | %s / %s | %s | %.1f (%.1f) + %.1f | %s | %s | %d / %s |' % (
            TITLES.get(name, name), e['rps'], '%.0f' % p['rps'] if p else '-',
            ratio_text(e) if p else '- (%s)' % (note or 'peer not run'),
            f2(e['p50_ms']), f2(e['p99_ms']),
            '%s / %s' % (f2(p['p50_ms']), f2(p['p99_ms'])) if p else '-',
            e['cpu_us'][0], e['user_us'], e['cpu_us'][1], '%.1f' % p['cpu_us'][0] if p else '-',
            '%.1f / %s' % (e['peak_rss_mb'], '%.0f' % p['peak_rss_mb'] if p else '-'),
            e['errors'], str(p['errors']) if p else '-'))
    lines += ['', 'Peak RSS is sampled every 50 ms during each workload. Idle RSS: eid-server %.1f MB '
              'after start, %.1f MB idle after the set-up sign-in; peer %s. eidd\'s high-water mark over '
              'the whole run, the sign-ins included (Argon2id holds argon2_memlimit_kib, 9 MiB by default, per password check in '
              'progress), was %.1f MB.' % (idle_eid[0], idle_eid[1],
                                          '%.1f MB' % idle_peer if idle_peer else 'not run', peak_eid)]
    if logins:
        lines += ['', '%d concurrent full sign-in flows (authorize, login page, password + TOTP, '
                  'consent, code exchange; a citizen each): %d errors, %.1f s in all.' % logins[:3]]
    lines.append('')
    replace_table(args.out, '\n'.join(lines[2:]))
    print('bench: wrote ' + args.out)


BEGIN, END = '<!-- bench table: begin (tests/bench/run.py writes this part) -->', '<!-- bench table: end -->'


def replace_table(path, table):
    """Put the table between the markers of path (the prose around it stays), or write a
    new file with only the table when there are no markers."""
    try:
        with open(path) as f:
            old = f.read()
    except OSError:
        old = ''
    if BEGIN in old and END in old:
        text = old[:old.index(BEGIN)] + BEGIN + '\n' + table + END + old[old.index(END) + len(END):]
    else:
        text = '# Performance\n\n' + BEGIN + '\n' + table + END + '\n'
    with open(path, 'w') as f:
        f.write(text)


if __name__ == '__main__':
    main()
