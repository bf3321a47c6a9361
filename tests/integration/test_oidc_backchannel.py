#!/usr/bin/env python3
"""OpenID Connect Back-Channel Logout 1.0, as relying parties see it: a loopback HTTP
receiver plays the RPs' backchannel_logout_uri endpoints. Citizens sign in through the
real pages, the session ends (/end_session and /logout), and the receiver must get
exactly one POST per RP with a logout token that verifies against /jwks and carries the
claims the spec requires. Then: retries after 500s (spacing measured loosely), nothing
for a client without the URI, end_session not slowed by a receiver that hangs, and a
SIGTERM'd eidd that exits promptly while a receiver hangs (the job comes back after a
restart)."""
import http.server
import os
import signal
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
from eidtest import Env, Tap  # noqa: E402
from oidctest import (FORM, Browser, Citizen, authorize_query, basic, jwt_parts,  # noqa: E402
                      pkce_pair, post_form, redirect_params, run_flow, verify_jwt)

EVENT = 'http://schemas.openid.net/event/backchannel-logout'


class Receiver:
    """The relying parties' back-channel endpoints on one loopback port.
    /ok answers 200; /flaky 500 twice, then 200; /hang holds the request until
    release() (or 30 s), then answers 200."""

    def __init__(self):
        self.posts = []                 # (monotonic time, path, headers, body)
        self.lock = threading.Lock()
        self.flaky_left = 2
        self.hang_release = threading.Event()
        self.hanging = threading.Event()
        rcv = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(n).decode('utf-8', 'replace')
                path = urllib.parse.urlparse(self.path).path
                with rcv.lock:
                    rcv.posts.append((time.monotonic(), path, dict(self.headers.items()), body))
                    status = 200
                    if path == '/flaky' and rcv.flaky_left > 0:
                        rcv.flaky_left -= 1
                        status = 500
                if path == '/hang':
                    rcv.hanging.set()
                    rcv.hang_release.wait(30)
                try:
                    self.send_response(status)
                    self.send_header('Cache-Control', 'no-store')
                    self.send_header('Content-Length', '0')
                    self.end_headers()
                except OSError:
                    pass            # eidd hung up (shutdown): fine

        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.httpd.daemon_threads = True
        self.base = 'http://127.0.0.1:%d' % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def of(self, path):
        with self.lock:
            return [p for p in self.posts if p[1] == path]

    def wait(self, path, count, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.of(path)) >= count:
                break
            time.sleep(0.05)
        return self.of(path)

    def close(self):
        self.hang_release.set()
        self.httpd.shutdown()


def add_client(env, *args):
    rc, c, err = env.ctl_json('client', 'add', *args)
    if rc != 0 or not c:
        raise RuntimeError('client add failed: %s' % err)
    return c


def sign_in_code(env, br, citizen, c, redirect, **extra):
    """Authorization code flow through the real pages; returns the ID token."""
    verifier, challenge = pkce_pair()
    st, h, body, trace = run_flow(env, br, citizen, authorize_query(c['client_id'], redirect, challenge, **extra))
    params, loc = redirect_params(h)
    code = params.get('code', [None])[0]
    if code is None:
        raise RuntimeError('no code: %s %s %s' % (st, loc, trace))
    st, h, tok = post_form(env, '/token', {'grant_type': 'authorization_code', 'code': code,
                                           'redirect_uri': redirect, 'code_verifier': verifier},
                           auth=basic(c['client_id'], c['client_secret']))
    if st != 200 or not tok or 'id_token' not in tok:
        raise RuntimeError('token exchange failed: %s %s' % (st, tok))
    return tok['id_token']


def logout_token_of(post):
    q = urllib.parse.parse_qs(post[3], keep_blank_values=True)
    return q.get('logout_token', [None])[0], q


def check_token(t, env, jwks, post, client, idt, label, want_alg=None):
    """The checks Back-Channel Logout 1.0 section 2.4 and 2.6 ask an RP to make."""
    _, _, body = post[0], post[1], post[3]
    hdrs = {k.lower(): v for k, v in post[2].items()}
    t.eq(hdrs.get('content-type', '').split(';')[0].strip(), FORM, '%s: Content-Type is %s' % (label, FORM))
    tok, q = logout_token_of(post)
    t.ok(tok is not None and list(q) == ['logout_token'], '%s: the body is one logout_token parameter' % label, body[:200])
    if tok is None:
        return None
    v = verify_jwt(tok, jwks)
    t.ok(v is not None, '%s: the logout token signature verifies against /jwks' % label)
    if v is None:
        return None
    header, claims = v
    _, idc, _, _ = jwt_parts(idt)
    idh, _, _, _ = jwt_parts(idt)
    t.eq(header.get('typ'), 'logout+jwt', '%s: typ logout+jwt' % label)
    t.eq(header.get('alg'), want_alg or idh.get('alg'), '%s: signed with the client\'s ID token algorithm' % label)
    t.eq(claims.get('iss'), env.issuer, '%s: iss is the issuer' % label)
    aud = claims.get('aud')
    t.ok(aud == client['client_id'] or aud == [client['client_id']], '%s: aud is the client_id' % label, aud)
    t.ok(claims.get('sub') and claims.get('sub') == idc.get('sub'), '%s: sub is the ID token\'s sub' % label,
         (claims.get('sub'), idc.get('sub')))
    t.ok(claims.get('sid') and claims.get('sid') == idc.get('sid'), '%s: sid is the ID token\'s sid' % label,
         (claims.get('sid'), idc.get('sid')))
    t.ok(claims.get('events') == {EVENT: {}}, '%s: events names the back-channel logout event' % label,
         claims.get('events'))
    t.ok('nonce' not in claims, '%s: no nonce' % label)
    now = time.time()
    iat, exp = claims.get('iat'), claims.get('exp')
    t.ok(isinstance(iat, int) and abs(iat - now) < 60 and isinstance(exp, int) and 0 < exp - iat <= 300,
         '%s: iat is now and exp a short time later' % label, (iat, exp, now))
    t.ok(isinstance(claims.get('jti'), str) and len(claims['jti']) >= 16, '%s: a jti' % label, claims.get('jti'))
    return claims


def cpu_ticks(pid):
    """utime + stime of a process, in clock ticks."""
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return int(fields[11]) + int(fields[12])


def curl_mapped(pid):
    """Whether libcurl is mapped into the process (eidd loads it at its first transfer)."""
    with open('/proc/%d/maps' % pid) as f:
        return any('/libcurl.so' in line for line in f)


def bcl_keys(env):
    """The back-channel queue in Redis: (job keys reply, due set size reply)."""
    return env.redis.command('KEYS', 'eid:bcl:job:*'), env.redis.command('ZCARD', 'eid:bcl:due')


t = Tap()
rcv = Receiver()
env = Env()
try:
    env.start()
    jwks = env.get_json('/jwks')[2]
    disco = env.get_json('/.well-known/openid-configuration')[2]
    t.eq(disco.get('backchannel_logout_supported'), True, 'discovery: backchannel_logout_supported')
    t.eq(disco.get('backchannel_logout_session_supported'), True,
         'discovery: backchannel_logout_session_supported')

    RP1, RP2, RP3, RP4 = ('https://portal.example.vn/cb', 'https://bank.example.vn/cb',
                          'https://tax.example.vn/cb', 'https://health.example.vn/cb')
    portal = add_client(env, '--name', 'Portal', '--redirect-uri', RP1, '--scope', 'openid profile',
                        '--id-token-alg', 'ES256', '--post-logout-redirect-uri', 'https://portal.example.vn/bye',
                        '--backchannel-logout-uri', rcv.base + '/ok')
    quiet = add_client(env, '--name', 'No back-channel', '--redirect-uri', RP2, '--scope', 'openid profile')
    flaky = add_client(env, '--name', 'Flaky', '--redirect-uri', RP3, '--scope', 'openid profile',
                       '--subject-type', 'public', '--backchannel-logout-uri', rcv.base + '/flaky')
    hang = add_client(env, '--name', 'Hangs', '--redirect-uri', RP4, '--scope', 'openid profile',
                      '--backchannel-logout-uri', rcv.base + '/hang')
    shown = env.ctl_json('client', 'show', portal['client_id'])[1] or {}
    t.eq(shown.get('backchannel_logout_uri'), rcv.base + '/ok', 'eidctl stored backchannel_logout_uri')

    # ---- end_session: one POST to the portal, none for the client without the URI
    a = Citizen(env)
    br = Browser(env)
    idt = sign_in_code(env, br, a, portal, RP1)
    idt_quiet = sign_in_code(env, br, a, quiet, RP2)
    t.eq(jwt_parts(idt)[1].get('sid'), jwt_parts(idt_quiet)[1].get('sid'), 'both clients signed in through one session')
    t.ok(not curl_mapped(env.proc.pid) and '"http_client_loaded"' not in env.logtext(),
         'libcurl is not loaded before the first transfer (an idle eidd stays small)')
    t0 = time.monotonic()
    st, h, body = br.get('/end_session?' + urllib.parse.urlencode(
        {'id_token_hint': idt, 'post_logout_redirect_uri': 'https://portal.example.vn/bye', 'state': 'x'}))
    t.ok(st == 303 and 'eid_session' not in br.cookies, 'end_session signs out', (st, h.get('location')))
    posts = rcv.wait('/ok', 1, 10)
    t.eq(len(posts), 1, 'the portal\'s back-channel endpoint got a POST')
    if posts:
        t.ok(posts[0][0] - t0 < 3, 'it came promptly (%.2f s)' % (posts[0][0] - t0))
        c1 = check_token(t, env, jwks, posts[0], portal, idt, 'end_session', want_alg='ES256')
    t.ok(curl_mapped(env.proc.pid) and env.logtext().count('"http_client_loaded"') == 1,
         'the first logout token loaded libcurl, once')
    time.sleep(1.5)
    t.eq(len(rcv.of('/ok')), 1, 'exactly one POST to the portal (no duplicate after delivery)')
    t.eq(len(rcv.posts), 1, 'nothing for the client without a backchannel_logout_uri')
    jobs, due = bcl_keys(env)
    t.ok(jobs == b'*0\r\n' and due == b':0\r\n', 'the delivered job left Redis (no job key, empty due set)', (jobs, due))
    rc, audit, _ = env.ctl_json('audit', 'list')
    evs = [e for e in (audit or {}).get('events', []) if e.get('action') == 'logout.backchannel']
    t.ok(len(evs) == 1 and evs[0].get('subject') == portal['client_id'] and evs[0].get('outcome') == 'success',
         'one audit event: logout.backchannel, success, for the portal', evs)

    # ---- /logout, with a receiver that answers 500 twice: retries after about 1 s and 5 s
    b = Citizen(env, '079185000123', 'Trần Thị B', '1985-01-01')
    br2 = Browser(env)
    idt_flaky = sign_in_code(env, br2, b, flaky, RP3)
    t.eq(jwt_parts(idt_flaky)[1].get('sub'), b.account, 'public subject type: the ID token sub is the account id')
    st, h, body = br2.request('POST', '/logout', {'csrf': br2.cookies.get('eid_csrf', ''), 'lang': 'en'})
    t.ok(st == 303 and 'eid_session' not in br2.cookies, '/logout signs out', (st, h.get('location')))
    posts = rcv.wait('/flaky', 3, 15)
    t.eq(len(posts), 3, 'two 500 answers, then a 200: three POSTs')
    if len(posts) == 3:
        d1, d2 = posts[1][0] - posts[0][0], posts[2][0] - posts[1][0]
        t.ok(0.8 <= d1 <= 3.0, 'first retry about 1 s later (%.2f s)' % d1)
        t.ok(4.5 <= d2 <= 8.0, 'second retry about 5 s later (%.2f s)' % d2)
        claims = [check_token(t, env, jwks, p, flaky, idt_flaky, '/logout try %d' % (i + 1), want_alg='RS256')
                  for i, p in enumerate(posts)]
        jtis = set(c.get('jti') for c in claims if c)
        t.eq(len(jtis), 3, 'each attempt is a fresh token (three jti)')
    time.sleep(1.5)
    t.eq(len(rcv.of('/flaky')), 3, 'no POST after the 200')
    t.eq(len(rcv.of('/ok')), 1, 'the portal heard nothing of another citizen\'s logout')
    log = env.logtext()
    t.ok(log.count('"backchannel_logout_retry"') == 2 and 'logout_token' not in log and 'eyJ' not in log,
         'two retries logged, and no token in the log')

    # ---- signing in again: the same citizen continues the SSO session (sid kept, nobody
    # logged out); another citizen on the same browser ends it (the portal is told)
    before = len(rcv.of('/ok'))
    br4 = Browser(env)
    idt1 = sign_in_code(env, br4, a, portal, RP1)
    cookie1 = br4.cookies.get('eid_session')
    idt2 = sign_in_code(env, br4, a, portal, RP1, prompt='login')
    t.ok(br4.cookies.get('eid_session') not in (None, cookie1), 'prompt=login: a new session id (cookie)')
    t.eq(jwt_parts(idt2)[1].get('sid'), jwt_parts(idt1)[1].get('sid'),
         'the same citizen signing in again keeps the OIDC sid')
    time.sleep(1.5)
    t.eq(len(rcv.of('/ok')), before, 'nobody is logged out when the same citizen signs in again')
    d = Citizen(env, '001090012399', 'Phạm Văn D', '1990-02-02')
    idt3 = sign_in_code(env, br4, d, quiet, RP2, prompt='login')
    t.ok(jwt_parts(idt3)[1].get('sid') != jwt_parts(idt1)[1].get('sid'), 'another citizen gets another sid')
    posts = rcv.wait('/ok', before + 1, 10)
    t.eq(len(posts), before + 1, 'another citizen signing in on that browser ends the first session: the portal is told')
    if len(posts) == before + 1:
        lt = verify_jwt(logout_token_of(posts[-1])[0], jwks)
        t.ok(lt is not None and lt[1].get('sid') == jwt_parts(idt1)[1].get('sid'),
             'the logout token names the first session\'s sid', lt and lt[1])

    # ---- a receiver that hangs: end_session does not wait for it; SIGTERM is prompt
    c = Citizen(env, '001190012346', 'Lê Văn C', '1990-01-01')
    br3 = Browser(env)
    idt_hang = sign_in_code(env, br3, c, hang, RP4)
    t0 = time.monotonic()
    st, h, body = br3.get('/end_session?' + urllib.parse.urlencode({'id_token_hint': idt_hang}))
    took = time.monotonic() - t0
    t.ok(st == 200 and took < 1.0, 'end_session answers at once while the receiver hangs (%.3f s)' % took, st)
    t.ok(rcv.hanging.wait(10), 'the hanging receiver got the POST')
    t.ok(env.get('/healthz')[0] == 200, 'eidd keeps serving while a POST hangs')
    # nine more jobs for the hanging RP, written straight into the queue: 8 POSTs hang at
    # once (the worker's parallel slots), the others wait, and the worker does not spin
    for i in range(9):
        env.redis.command('SET', 'eid:bcl:job:extra%d' % i,
                          '{"client_id":"%s","sub":"extra-%d","sid":"","attempts":0,"created":1}'
                          % (hang['client_id'], i), 'EX', '600')
        env.redis.command('ZADD', 'eid:bcl:due', '0', 'extra%d' % i)
    # (all of this well within the 5 s a POST may take, so none times out)
    rcv.wait('/hang', 8, 3)
    time.sleep(0.3)
    t.eq(len(rcv.of('/hang')), 8, 'eight POSTs hang at once; the other jobs wait for a free slot')
    c0 = cpu_ticks(env.proc.pid)
    time.sleep(1)
    spent = cpu_ticks(env.proc.pid) - c0
    t.ok(spent < 25, 'the worker does not spin while every slot waits (%d ticks in 1 s)' % spent)
    t0 = time.monotonic()
    rc = env.stop(signal.SIGTERM, timeout=20)
    took = time.monotonic() - t0
    t.ok(rc == 0 and took < 3.0, 'SIGTERM: eidd exits 0 promptly while receivers hang (%.2f s)' % took, rc)
    jobs, due = bcl_keys(env)
    t.ok(due == b':10\r\n' and jobs.startswith(b'*10\r\n'), 'the cut-short jobs are back in the queue', (jobs, due))
    hang_retries = [ln for ln in env.logtext().splitlines()
                    if '"backchannel_logout_retry"' in ln and hang['client_id'] in ln]
    t.ok('"backchannel_logout_failed"' not in env.logtext() and not hang_retries,
         'the shutdown is not counted as a failed attempt', hang_retries)
    rcv.hang_release.set()
    env.start()
    posts = rcv.wait('/hang', 18, 15)
    t.eq(len(posts), 18, 'after a restart every job is sent again')
    mine = [p for p in posts[8:] if (logout_token_of(p)[0] or '').count('.') == 2 and
            jwt_parts(logout_token_of(p)[0])[1].get('sub') == jwt_parts(idt_hang)[1].get('sub')]
    t.eq(len(mine), 1, 'the citizen\'s logout is among them once')
    if mine:
        check_token(t, env, jwks, mine[0], hang, idt_hang, 'after restart', want_alg='RS256')
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and bcl_keys(env)[1] != b':0\r\n':
        time.sleep(0.1)
    t.eq(bcl_keys(env), (b'*0\r\n', b':0\r\n'), 'and the queue is empty')
    # /ok: end_session and the other citizen's sign-in; /flaky: three tries
    t.eq(len(rcv.of('/ok')) + len(rcv.of('/flaky')), 5, 'no other receiver was called again')
finally:
    env.close()
    rcv.close()
t.done()
