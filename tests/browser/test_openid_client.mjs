// test_openid_client.mjs - eid-server as seen by openid-client (panva, an OpenID Certified
// relying-party library), with a real citizen signing in through the real login and
// consent pages in headless Chromium.
//
// The relying party is a small portal (a node http server on loopback) that uses only the
// library's own API: discovery; an authorization URL with PKCE S256, nonce and state; the
// code exchange, where the library validates the ID token (JWS signature against the
// published JWKS, iss, aud, azp, exp, iat, nonce) and the RFC 9207 iss of the response;
// userinfo (sub must equal the ID token's); refresh rotation and reuse detection;
// introspection; revocation; RP-initiated logout; prompt=none without a session.
// A second sign-in with ui_locales=en checks the English page and its accessibility hooks.
import crypto from 'node:crypto';
import http from 'node:http';
import {
  Env, PASSWORD, approveConsent, fillLogin, launchBrowser, startTest,
} from './lib/eid.mjs';

const t = await startTest();
const client = await import('openid-client');

const b64u = (buf) => Buffer.from(buf).toString('base64url');
const jwtPart = (jwt, i) => JSON.parse(Buffer.from(jwt.split('.')[i], 'base64url').toString('utf8'));

/** The portal: /start sends the browser to eid-server, /cb finishes the sign-in with the
 * library, /logged-out is the post-logout landing page. Each result is handed to the test
 * through a queue of promises. */
class Portal {
  constructor() {
    this.pending = new Map();   // state -> { verifier, nonce }
    this.waiters = { cb: [], out: [] };
    this.results = { cb: [], out: [] };
    this.server = http.createServer((req, res) => this.handle(req, res).catch((e) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(e));
    }));
  }

  listen() {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => {
      this.base = `http://127.0.0.1:${this.server.address().port}`;
      this.redirectUri = `${this.base}/cb`;
      this.loggedOutUri = `${this.base}/logged-out`;
      resolve();
    }));
  }

  push(kind, value) {
    const w = this.waiters[kind].shift();
    if (w) w(value); else this.results[kind].push(value);
  }

  next(kind, ms = 20000) {
    if (this.results[kind].length) return Promise.resolve(this.results[kind].shift());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the portal saw no ${kind} request in ${ms} ms`)), ms);
      this.waiters[kind].push((v) => { clearTimeout(timer); resolve(v); });
    });
  }

  async handle(req, res) {
    const url = new URL(req.url, this.base);
    if (url.pathname === '/start') {
      const verifier = client.randomPKCECodeVerifier();
      const nonce = client.randomNonce();
      const state = client.randomState();
      const params = {
        redirect_uri: this.redirectUri,
        scope: 'openid profile citizen_id',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        nonce,
        state,
      };
      for (const k of ['ui_locales', 'prompt']) if (url.searchParams.get(k)) params[k] = url.searchParams.get(k);
      this.pending.set(state, { verifier, nonce });
      const to = client.buildAuthorizationUrl(this.config, params);
      this.lastAuthorizationUrl = to;
      res.writeHead(302, { location: to.href });
      res.end();
      return;
    }
    if (url.pathname === '/cb') {
      const state = url.searchParams.get('state');
      const p = this.pending.get(state);
      this.pending.delete(state);
      const result = { url };
      try {
        if (!p) throw new Error(`callback with an unknown state ${state}`);
        result.tokens = await client.authorizationCodeGrant(this.config, url, {
          pkceCodeVerifier: p.verifier, expectedNonce: p.nonce, expectedState: state, idTokenExpected: true,
        });
      } catch (e) {
        result.error = e;
      }
      this.push('cb', result);
      res.writeHead(result.error ? 400 : 200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(result.error ? `<h1 id="rp-error">${result.error.error || 'error'}</h1>`
        : `<h1 id="rp-welcome">Signed in</h1><p id="rp-sub">${result.tokens.claims().sub}</p>`);
      return;
    }
    if (url.pathname === '/logged-out') {
      this.push('out', { url });
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<h1 id="rp-logged-out">Signed out</h1>');
      return;
    }
    res.writeHead(404);
    res.end();
  }

  close() {
    return new Promise((r) => { this.server.closeAllConnections?.(); this.server.close(() => r()); });
  }
}

/** The login page's accessibility and autofill hooks, read from the live DOM. */
function loginPageFacts(page) {
  return page.evaluate(() => {
    const field = (id) => {
      const el = document.getElementById(id);
      if (!el) return null;
      return {
        autocomplete: (el.getAttribute('autocomplete') || '').split(/\s+/),
        label: el.labels && el.labels.length ? el.labels[0].textContent.trim() : '',
      };
    };
    return {
      lang: document.documentElement.getAttribute('lang'),
      text: document.body.innerText,
      title: document.title,
      username: field('username'),
      password: field('password'),
      otp: field('otp'),
    };
  });
}

async function signIn(page, portal, citizen, query = '') {
  await page.goto(`${portal.base}/start${query}`, { waitUntil: 'domcontentloaded' });
  const loginUrl = page.url();
  const facts = await loginPageFacts(page);
  await fillLogin(page, citizen);
  const loginError = await page.$('#login-error');
  if (loginError && page.url().startsWith(new URL(loginUrl).origin + '/login')) {
    throw new Error(`login refused: ${(await loginError.textContent()).trim()}`);
  }
  const consent = await approveConsent(page);
  if (!page.url().startsWith(`${portal.base}/cb`)) {
    throw new Error(`the browser is at ${page.url()}, not at the portal: ${(await page.innerText('body')).slice(0, 300)}`);
  }
  return { loginUrl, facts, consent };
}

function atHash(accessToken, alg) {
  const bits = { RS256: 256, PS256: 256, ES256: 256, EdDSA: 512 }[alg];
  const digest = crypto.createHash(bits === 512 ? 'sha512' : 'sha256').update(accessToken).digest();
  return b64u(digest.subarray(0, digest.length / 2));
}

async function expectGrantError(promise, code) {
  try {
    await promise;
    return 'the grant succeeded';
  } catch (e) {
    if (e.error === code) return true;
    return `got ${e.name}: ${e.error || ''} ${e.message}`;
  }
}

const env = new Env();
const portal = new Portal();
let browser = null;
try {
  await env.start();
  await portal.listen();
  const citizen = env.citizen('001090012345', 'Nguyễn Văn Mẫu', '1990-05-17', PASSWORD);
  const citizen2 = env.citizen('079185000123', 'Trần Thị Bình', '1985-01-01', PASSWORD);
  const reg = env.ctl('client', 'add', '--name', 'Cổng dịch vụ (openid-client)',
    '--redirect-uri', portal.redirectUri, '--grant', 'authorization_code', '--grant', 'refresh_token',
    '--scope', 'openid profile citizen_id', '--post-logout-redirect-uri', portal.loggedOutUri);
  t.ok(reg && reg.client_id && reg.client_secret, 'client registered with eidctl', reg);

  // --- discovery
  let config = null;
  await t.step('discovery: openid-client reads /.well-known/openid-configuration', async () => {
    config = await client.discovery(new URL(env.issuer), reg.client_id, undefined,
      client.ClientSecretBasic(reg.client_secret),
      { execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks] });
    portal.config = config;
    const md = config.serverMetadata();
    if (md.issuer !== env.issuer) return `issuer ${md.issuer}`;
    for (const k of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri',
      'end_session_endpoint', 'introspection_endpoint', 'revocation_endpoint']) {
      if (!md[k] || !md[k].startsWith(env.issuer + '/')) return `${k} is ${md[k]}`;
    }
    if (!(md.code_challenge_methods_supported || []).includes('S256')) return 'no S256';
    return true;
  });
  if (!config) throw new Error('no discovery, nothing else can run');

  browser = await launchBrowser();
  const page = await browser.context.newPage();

  // --- first sign-in (Vietnamese, the default)
  let flow = null;
  await t.step('Chromium: portal -> /authorize -> login page -> consent -> portal callback', async () => {
    flow = await signIn(page, portal, citizen);
    return true;
  });
  t.ok(flow && new URL(flow.loginUrl).origin === env.issuer && new URL(flow.loginUrl).pathname === '/login',
    'without a session, /authorize sends the browser to the login page', flow && flow.loginUrl);
  t.eq(flow && flow.facts.lang, 'vi', 'the login page is Vietnamese by default (the browser asks for fr)');
  t.ok(flow && flow.consent, 'the consent page is shown (#consent-allow) and approved');
  if (!flow) throw new Error(`the browser did not get through: it is at ${page.url()}`);
  const auth = portal.lastAuthorizationUrl;
  t.ok(auth && auth.searchParams.get('code_challenge_method') === 'S256' && auth.searchParams.get('nonce') &&
    auth.searchParams.get('state'), 'the authorization request carries PKCE S256, nonce and state', auth && auth.href);

  const first = await portal.next('cb');
  t.ok(first.url.searchParams.get('iss') === env.issuer && first.url.searchParams.get('code'),
    'the callback carries code, state and iss (RFC 9207)', first.url.href);
  t.ok(!first.error && first.tokens, 'code exchange: the library accepts the token response and the ID token ' +
    '(JWS signature via JWKS, iss, aud, exp, iat, nonce)', first.error);
  const tok = first.tokens || {};
  const claims = first.tokens ? first.tokens.claims() : {};
  t.ok(await page.$('#rp-welcome') !== null, 'the browser lands on the portal, signed in');

  await t.step('ID token: RS256, a kid published in the JWKS, at_hash of the access token', async () => {
    const h = jwtPart(tok.id_token, 0);
    if (h.alg !== 'RS256') return `alg ${h.alg}`;
    const jwks = await (await fetch(config.serverMetadata().jwks_uri)).json();
    if (!jwks.keys.some((k) => k.kid === h.kid)) return `kid ${h.kid} not in the JWKS`;
    if (claims.at_hash !== atHash(tok.access_token, h.alg)) return `at_hash ${claims.at_hash}`;
    return true;
  });
  t.ok(claims.iss === env.issuer && (claims.aud === reg.client_id ||
    (Array.isArray(claims.aud) && claims.aud.includes(reg.client_id) && claims.azp === reg.client_id)),
  'ID token iss is the issuer, aud the client', claims);
  t.ok(typeof claims.sub === 'string' && claims.sub.length >= 16 && !claims.sub.includes(citizen.idNumber),
    'ID token sub is an opaque (pairwise) identifier, not the citizen ID', claims.sub);
  t.ok(claims.acr === 'urn:eid:level:1' && Array.isArray(claims.amr) && claims.amr.includes('pwd') &&
    claims.amr.includes('otp') && Math.abs(claims.auth_time - Date.now() / 1000) < 120,
  'ID token acr level 1, amr [pwd, otp], auth_time now', claims);
  t.ok(typeof claims.sid === 'string' && claims.sid.length > 0, 'ID token carries the session id (sid)', claims);
  t.ok(tok.token_type && tok.token_type.toLowerCase() === 'bearer' && tok.expires_in > 0 && tok.refresh_token,
    'token response: Bearer access token with expires_in and a refresh token', tok);

  // --- userinfo
  await t.step('userinfo: sub equals the ID token sub (checked by the library), citizen_id and name', async () => {
    const ui = await client.fetchUserInfo(config, tok.access_token, claims.sub);
    if (ui.citizen_id !== citizen.idNumber) return `citizen_id ${ui.citizen_id}`;
    if (ui.name !== 'Nguyễn Văn Mẫu') return `name ${ui.name}`;
    return true;
  });

  // --- refresh rotation
  let second = null;
  await t.step('refresh: a new access token and a new refresh token', async () => {
    second = await client.refreshTokenGrant(config, tok.refresh_token);
    if (!second.refresh_token || second.refresh_token === tok.refresh_token) return 'refresh token not rotated';
    if (!second.access_token || second.access_token === tok.access_token) return 'same access token';
    if (second.id_token && second.claims().sub !== claims.sub) return 'refreshed ID token has another sub';
    return true;
  });
  second = second || {};
  await t.step('introspection: the refreshed access token is active, same sub and client', async () => {
    const r = await client.tokenIntrospection(config, second.access_token);
    if (r.active !== true) return `active ${r.active}`;
    if (r.sub !== claims.sub || r.client_id !== reg.client_id) return JSON.stringify(r);
    return true;
  });
  await t.step('introspection: the rotated refresh token is active', async () => {
    const r = await client.tokenIntrospection(config, second.refresh_token, { token_type_hint: 'refresh_token' });
    return r.active === true || JSON.stringify(r);
  });
  await t.step('revocation of the access token; introspection then says active false', async () => {
    await client.tokenRevocation(config, second.access_token, { token_type_hint: 'access_token' });
    const r = await client.tokenIntrospection(config, second.access_token);
    return r.active === false || JSON.stringify(r);
  });
  await t.step('userinfo refuses the revoked access token', async () => {
    try {
      await client.fetchUserInfo(config, second.access_token, claims.sub);
      return 'userinfo answered';
    } catch (e) {
      return (e.status === 401 || e.cause?.status === 401 || /invalid_token/.test(String(e.message) + JSON.stringify(e.cause || {})))
        || `${e.name} ${e.message}`;
    }
  });
  await t.step('the old refresh token after rotation fails with invalid_grant', async () =>
    expectGrantError(client.refreshTokenGrant(config, tok.refresh_token), 'invalid_grant'));
  await t.step('reuse of the old refresh token revoked the family: the new one fails too', async () =>
    expectGrantError(client.refreshTokenGrant(config, second.refresh_token), 'invalid_grant'));

  // --- RP-initiated logout
  let out = null;
  await t.step('RP-initiated logout: end_session with id_token_hint lands back on the portal with state', async () => {
    const state = client.randomState();
    const url = client.buildEndSessionUrl(config, {
      id_token_hint: tok.id_token, post_logout_redirect_uri: portal.loggedOutUri, state,
    });
    await page.goto(url.href, { waitUntil: 'domcontentloaded' });
    if (page.url().startsWith(env.issuer)) {
      // a confirmation page: press its button (a form posting back to the server)
      const button = await page.$('form [type=submit]');
      if (!button) return `stuck on ${page.url()}`;
      await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }), button.click()]);
    }
    out = await portal.next('out', 10000);
    if (out.url.searchParams.get('state') !== state) return `state ${out.url.searchParams.get('state')}`;
    return true;
  });
  await t.step('after logout, prompt=none gives error=login_required (seen by the library)', async () => {
    await page.goto(`${portal.base}/start?prompt=none`, { waitUntil: 'domcontentloaded' });
    const r = await portal.next('cb');
    if (!r.error) return 'a code was issued without a session';
    if (r.error.error !== 'login_required') return `${r.error.name}: ${r.error.error} ${r.error.message}`;
    if (r.url.searchParams.get('iss') !== env.issuer) return 'error response without iss';
    return true;
  });
  await page.close();
  await browser.close();
  browser = null;

  // --- a second citizen, in English, in a fresh browser
  browser = await launchBrowser();
  const page2 = await browser.context.newPage();
  let flow2 = null;
  await t.step('ui_locales=en: second sign-in in a fresh browser', async () => {
    flow2 = await signIn(page2, portal, citizen2, '?ui_locales=en');
    return true;
  });
  const f = flow2 ? flow2.facts : {};
  t.ok(f.lang === 'en' && /Sign in/.test(f.text) && /password/i.test(f.text),
    'ui_locales=en: the login page is in English', { lang: f.lang, title: f.title });
  t.ok(f.username && f.username.autocomplete.includes('username') &&
    f.password && f.password.autocomplete.includes('current-password') &&
    f.otp && f.otp.autocomplete.includes('one-time-code'),
  'login inputs carry autocomplete username / current-password / one-time-code', f);
  t.ok(f.username && f.username.label && f.password && f.password.label && f.otp && f.otp.label,
    'each login input has a non-empty <label>', f);
  const third = await portal.next('cb');
  t.ok(!third.error && third.tokens, 'the English sign-in ends in a validated code exchange', third.error);
  if (third.tokens) {
    const c2 = third.tokens.claims();
    t.ok(c2.sub !== claims.sub, 'another citizen gets another sub');
    await t.step('revocation of a refresh token: introspection false, refresh invalid_grant', async () => {
      await client.tokenRevocation(config, third.tokens.refresh_token, { token_type_hint: 'refresh_token' });
      const r = await client.tokenIntrospection(config, third.tokens.refresh_token);
      if (r.active !== false) return JSON.stringify(r);
      return expectGrantError(client.refreshTokenGrant(config, third.tokens.refresh_token), 'invalid_grant');
    });
  }
} catch (e) {
  t.ok(false, 'the test ran to the end', e.stack || e);
  t.diag(env.logText().split('\n').slice(-20).join('\n'));
} finally {
  if (browser) await browser.close();
  await portal.close();
  await env.close();
  t.done();
}
