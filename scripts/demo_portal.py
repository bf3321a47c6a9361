#!/usr/bin/env python3
"""scripts/demo_portal.py - a tiny relying party for the demo (scripts/demo starts it).

It shows what a service portal does with eid-server, using only the Python standard
library: the authorization code flow with PKCE S256, state and nonce; the code exchange
with client_secret_basic; /userinfo; RP-initiated logout. It displays the ID token's
claims without verifying its signature: a real portal must use an OpenID Connect library
that does (see docs/interfaces.md). For the demo citizen it also shows the current
one-time code, so that a browser alone is enough to sign in.

    EID_ISSUER=http://127.0.0.1:8080 EID_CLIENT_ID=... EID_CLIENT_SECRET=... \\
    EID_DEMO_TOTP_SECRET=BASE32 scripts/demo_portal.py [PORT]      (default 3000)
"""
import base64
import hashlib
import hmac
import html
import http.server
import json
import os
import secrets
import struct
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

ISSUER = os.environ['EID_ISSUER']
CLIENT_ID = os.environ['EID_CLIENT_ID']
CLIENT_SECRET = os.environ['EID_CLIENT_SECRET']
TOTP_SECRET = os.environ.get('EID_DEMO_TOTP_SECRET', '')
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
BASE = 'http://localhost:%d' % PORT
REDIRECT_URI = BASE + '/callback'
pending = {}        # state -> (verifier, nonce)
signed_in = {}      # portal session cookie -> (id_token, userinfo)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b'=').decode()


def totp_now(secret_b32):
    key = base64.b32decode(secret_b32 + '=' * (-len(secret_b32) % 8), casefold=True)
    mac = hmac.new(key, struct.pack('>Q', int(time.time()) // 30), hashlib.sha1).digest()
    off = mac[-1] & 15
    return '%06d' % ((struct.unpack('>I', mac[off:off + 4])[0] & 0x7fffffff) % 1000000)


def claims_of(jwt):
    payload = jwt.split('.')[1]
    return json.loads(base64.urlsafe_b64decode(payload + '=' * (-len(payload) % 4)))


def post_form(url, fields):
    req = urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode(), headers={
        'Authorization': 'Basic ' + base64.b64encode(
            ('%s:%s' % (urllib.parse.quote(CLIENT_ID, safe=''),
                        urllib.parse.quote(CLIENT_SECRET, safe=''))).encode()).decode(),
        'Content-Type': 'application/x-www-form-urlencoded'})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:
        return json.loads(e.read() or b'{}')


class Portal(http.server.BaseHTTPRequestHandler):
    def page(self, status, body, headers=()):
        data = ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Demo portal'
                '</title></head><body style="font-family:sans-serif;max-width:46em;margin:2em auto">'
                '<h1>Demo portal</h1>%s</body></html>' % body).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'text/html; charset=utf-8')
        self.send_header('Content-Length', str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def redirect(self, location, headers=()):
        self.send_response(302)
        self.send_header('Location', location)
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()

    def cookie(self):
        for part in self.headers.get('Cookie', '').split(';'):
            k, _, v = part.strip().partition('=')
            if k == 'demo_portal':
                return v
        return None

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        if url.path == '/':
            code = ('<p>Demo citizen\'s one-time code right now: <strong>%s</strong></p>' %
                    totp_now(TOTP_SECRET)) if TOTP_SECRET else ''
            s = signed_in.get(self.cookie() or '')
            if s:
                body = ('<p>You are signed in. <a href="/logout">Sign out</a></p><h2>/userinfo</h2><pre>%s</pre>'
                        '<h2>ID token claims</h2><pre>%s</pre>' %
                        (html.escape(json.dumps(s[1], indent=2, ensure_ascii=False)),
                         html.escape(json.dumps(claims_of(s[0]), indent=2, ensure_ascii=False))))
            else:
                body = '<p><a href="/login">Sign in with e-ID</a> (Đăng nhập bằng định danh điện tử)</p>'
            return self.page(200, body + code)
        if url.path == '/login':
            verifier, state, nonce = b64u(secrets.token_bytes(32)), secrets.token_urlsafe(16), \
                secrets.token_urlsafe(16)
            pending[state] = (verifier, nonce)
            return self.redirect(ISSUER + '/authorize?' + urllib.parse.urlencode({
                'response_type': 'code', 'client_id': CLIENT_ID, 'redirect_uri': REDIRECT_URI,
                'scope': 'openid profile citizen_id', 'state': state, 'nonce': nonce,
                'code_challenge': b64u(hashlib.sha256(verifier.encode()).digest()),
                'code_challenge_method': 'S256'}))
        if url.path == '/callback':
            if 'error' in q:
                return self.page(400, '<p>eid-server answered: %s</p><p><a href="/">Back</a></p>' %
                                 html.escape(q.get('error_description', q['error'])))
            p = pending.pop(q.get('state', ''), None)
            if p is None or q.get('iss') != ISSUER:
                return self.page(400, '<p>Unknown state or wrong issuer.</p><p><a href="/">Back</a></p>')
            tokens = post_form(ISSUER + '/token', {'grant_type': 'authorization_code', 'code': q.get('code', ''),
                                                   'redirect_uri': REDIRECT_URI, 'code_verifier': p[0]})
            if 'id_token' not in tokens or claims_of(tokens['id_token']).get('nonce') != p[1]:
                return self.page(400, '<p>Token request failed: %s</p>' % html.escape(json.dumps(tokens)))
            req = urllib.request.Request(ISSUER + '/userinfo', headers={
                'Authorization': 'Bearer ' + tokens.get('access_token', '')})
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    userinfo = json.loads(r.read())
            except urllib.error.HTTPError as e:
                userinfo = {'status': e.code}
            sid = secrets.token_urlsafe(24)
            signed_in[sid] = (tokens['id_token'], userinfo)
            return self.redirect('/', [('Set-Cookie', 'demo_portal=%s; Path=/; HttpOnly; SameSite=Lax' % sid)])
        if url.path == '/logout':
            s = signed_in.pop(self.cookie() or '', None)
            if s is None:
                return self.redirect('/')
            tok = s[0]
            return self.redirect(ISSUER + '/end_session?' + urllib.parse.urlencode({
                'id_token_hint': tok, 'post_logout_redirect_uri': BASE + '/'}),
                [('Set-Cookie', 'demo_portal=; Path=/; Max-Age=0')])
        return self.page(404, '<p>Not found.</p>')

    def log_message(self, fmt, *args):
        pass


if __name__ == '__main__':
    print('Demo portal (a relying party): %s/' % BASE, flush=True)
    http.server.ThreadingHTTPServer(('127.0.0.1', PORT), Portal).serve_forever()
