#!/usr/bin/env python3
"""HTTP behaviour: routes, errors, security headers and the named limits."""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
from eidtest import Env, Tap  # noqa: E402

t = Tap()
env = Env(extra_config='http_timeout = 2\n')
try:
    env.start()
    st, h, body = env.get('/healthz')
    t.eq(st, 200, 'GET /healthz is 200')
    t.ok(len(h.get('x-request-id', '')) == 16, 'every response has an X-Request-Id', h)
    t.eq(h.get('x-content-type-options'), 'nosniff', 'nosniff on every response')
    t.eq(h.get('cache-control'), 'no-store', '/healthz is not cached')

    st, h, body = env.get('/')
    csp = h.get('content-security-policy', '')
    t.ok(st == 200 and "frame-ancestors 'none'" in csp and "default-src 'none'" in csp,
         'HTML has a strict CSP with frame-ancestors none', h)
    t.eq(h.get('referrer-policy'), 'no-referrer', 'HTML has Referrer-Policy: no-referrer')
    t.eq(h.get('x-frame-options'), 'DENY', 'HTML has X-Frame-Options: DENY')
    t.ok(env.issuer.encode() in body, 'the landing page names the issuer')

    st, h, body = env.get_json('/no/such/path')
    t.ok(st == 404 and body['error'] == 'not_found' and 'application/json' in h['content-type'],
         'unknown path: 404 with a JSON error', body)
    st, h, body = env.request('POST', '/healthz', body=b'x')
    t.ok(st == 405 and 'GET' in h.get('allow', ''), 'wrong method: 405 with Allow', h)
    st, h, body = env.request('HEAD', '/healthz')
    t.ok(st == 200 and body == b'', 'HEAD works where GET does')

    st, h, body = env.get('/jwks')
    import json
    keys = json.loads(body)['keys']
    t.ok(st == 200 and {k['alg'] for k in keys} == {'RS256', 'ES256', 'PS256', 'EdDSA'},
         '/jwks publishes one key per algorithm created on first start', body[:300])
    t.ok(all('d' not in k and 'p' not in k for k in keys), '/jwks holds no private members')
    t.ok('max-age' in h.get('cache-control', ''), '/jwks is cacheable', h)
    t.eq(h.get('content-type'), 'application/jwk-set+json', '/jwks content type')
    keydir = os.path.join(env.data, 'keys')
    modes = {oct(os.stat(os.path.join(keydir, f)).st_mode & 0o777) for f in os.listdir(keydir)}
    t.eq(modes, {'0o600'}, 'private key files are mode 0600')
    t.eq(oct(os.stat(keydir).st_mode & 0o777), '0o700', 'the keys directory is mode 0700')
    t.eq(oct(os.stat(os.path.join(env.data, 'secret.key')).st_mode & 0o777), '0o600',
         'the server secret is mode 0600')

    # header limit: a 20 KiB header is refused, an 8 KiB one is fine
    st, h, body = env.get('/healthz', headers={'X-Big': 'a' * 8000})
    t.eq(st, 200, 'an 8 KiB header is accepted')
    try:
        st, h, body = env.get('/healthz', headers={'X-Big': 'a' * 20000})
        t.ok(st in (431, 413), 'a 20 KiB header block is refused with 431', st)
    except (ConnectionError, OSError) as e:
        t.ok(False, 'a 20 KiB header block is refused with 431', e)

    # body limit: Content-Length over the cap -> 413 before the body is read
    s = socket.create_connection(('127.0.0.1', env.port), timeout=5)
    s.sendall(b'POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n')
    resp = s.recv(4096)
    s.close()
    t.ok(resp.startswith(b'HTTP/1.1 413'), 'a declared 10 MB body gets 413 at once', resp[:200])
    # chunked body over the cap (no Content-Length) -> 413 too
    s = socket.create_connection(('127.0.0.1', env.port), timeout=10)
    s.sendall(b'POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n')
    chunk = b'a' * 16384
    try:
        for _ in range(6):
            s.sendall(b'%x\r\n%s\r\n' % (len(chunk), chunk))
        s.sendall(b'0\r\n\r\n')
        resp = s.recv(4096)
    except OSError as e:
        resp = repr(e).encode()
    s.close()
    t.ok(resp.startswith(b'HTTP/1.1 413'), 'a 96 KiB chunked body gets 413', resp[:200])

    # a slow client (stalls mid-headers) is dropped after http_timeout (2 s)
    s = socket.create_connection(('127.0.0.1', env.port), timeout=10)
    s.sendall(b'GET /healthz HTTP/1.1\r\nHost: x\r\n')
    t0 = time.time()
    try:
        data = s.recv(4096)
    except OSError:
        data = b''
    waited = time.time() - t0
    s.close()
    t.ok(data in (b'',) or data.startswith(b'HTTP/1.1 408'), 'a stalled client gets no response', data)
    t.ok(1.5 <= waited <= 6, 'the stalled client is dropped after about http_timeout', waited)
    st, h, body = env.get('/healthz')
    t.eq(st, 200, 'the server still answers after dropping a slow client')

    # many parameters
    q = '&'.join('p%d=x' % i for i in range(200))
    st, h, body = env.get('/healthz?' + q)
    t.eq(st, 400, 'more than 64 query parameters: 400')

    # metrics count what happened
    st, h, body = env.get('/metrics')
    text = body.decode()
    t.ok(st == 200 and 'eid_http_requests_total{route="healthz",status="200"}' in text,
         '/metrics counts requests by route and status', text[:500])
    t.ok('eid_http_requests_total{route="not_found",status="404"} 1' in text, '/metrics counts 404s')
    t.ok('eid_http_request_duration_seconds_bucket{route="healthz",le="+Inf"}' in text,
         '/metrics has the latency histogram')
    t.ok('eid_sessions_active 0' in text and 'eid_redis_errors_total 0' in text,
         '/metrics has active sessions and Redis errors', text[-800:])
    t.ok('text/plain; version=0.0.4' in h.get('content-type', ''), 'Prometheus content type')

    # logs: JSON lines with a request id, no secrets
    log = env.logtext()
    import json as _j
    lines = [l for l in log.splitlines() if l.strip()]
    parsed = []
    for l in lines:
        try:
            parsed.append(_j.loads(l))
        except ValueError:
            pass
    t.ok(lines and len(parsed) == len(lines), 'every log line is JSON', [l for l in lines][:3])
    reqs = [p for p in parsed if p.get('event') == 'http_request']
    t.ok(reqs and all(len(p.get('request_id', '')) == 16 for p in reqs),
         'request log lines carry the request id', reqs[:2])
finally:
    rc = env.stop()
    t.eq(rc, 0, 'eidd exits 0 on SIGTERM')
    env.close()
sys.exit(t.done())
