// portal.mjs - the relying party of the browser tests: a small portal on 127.0.0.1 that
// sends the browser to eid-server (/start: code + PKCE S256 + nonce + state, and any
// extra authorization parameters) and finishes the sign-in with openid-client (/cb: the
// code exchange, the ID token validated by the library). next() gives each callback's
// result, in order: { url, nonce, tokens } or { url, nonce, error }.
//
//   const portal = new Portal(client, { acr_values: 'urn:eid:level:2' });
//   await portal.listen();            // portal.redirectUri for `eidctl client add`
//   portal.config = await client.discovery(...);
import http from 'node:http';

export class Portal {
  /** client: the openid-client module; extra: more /authorize parameters. */
  constructor(client, extra = {}) {
    this.client = client;
    this.extra = extra;
    this.pending = new Map();
    this.results = [];
    this.waiters = [];
    this.server = http.createServer((req, res) => this.handle(req, res).catch((e) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(e));
    }));
  }

  listen() {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => {
      this.base = `http://127.0.0.1:${this.server.address().port}`;
      this.redirectUri = `${this.base}/cb`;
      resolve();
    }));
  }

  /** The next callback's result; rejects after ms without one. */
  next(ms = 20000) {
    if (this.results.length) return Promise.resolve(this.results.shift());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no callback in ${ms} ms`)), ms);
      this.waiters.push((v) => { clearTimeout(timer); resolve(v); });
    });
  }

  async handle(req, res) {
    const client = this.client;
    const url = new URL(req.url, this.base);
    if (url.pathname === '/start') {
      const verifier = client.randomPKCECodeVerifier();
      const nonce = client.randomNonce();
      const state = client.randomState();
      this.pending.set(state, { verifier, nonce });
      const to = client.buildAuthorizationUrl(this.config, {
        redirect_uri: this.redirectUri, scope: 'openid profile', nonce, state,
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256', ui_locales: 'en', ...this.extra,
      });
      res.writeHead(302, { location: to.href });
      res.end();
      return;
    }
    if (url.pathname === '/cb') {
      const state = url.searchParams.get('state');
      const p = this.pending.get(state);
      const result = { url, nonce: p && p.nonce };
      try {
        if (!p) throw new Error('unknown state');
        result.tokens = await client.authorizationCodeGrant(this.config, url, {
          pkceCodeVerifier: p.verifier, expectedNonce: p.nonce, expectedState: state,
          idTokenExpected: true,
        });
      } catch (e) {
        result.error = e;
      }
      const w = this.waiters.shift();
      if (w) w(result); else this.results.push(result);
      res.writeHead(result.error ? 400 : 200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(result.error ? '<h1 id="rp-error">error</h1>' : '<h1 id="rp-welcome">Signed in</h1>');
      return;
    }
    res.writeHead(404);
    res.end();
  }

  close() {
    return new Promise((r) => { this.server.closeAllConnections?.(); this.server.close(() => r()); });
  }
}
