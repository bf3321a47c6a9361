// test_card_signin.mjs - chip-card (level 2) sign-in in headless Chromium, end to end,
// including the sign-in page's own JavaScript poll (/static/card_login.js).
//
// A real eidd + Redis (lib/eid.mjs), a real pcscd with the virtual CCCD chip
// (tests/carddata/pcsc_env.sh in private namespaces, kept by a bash co-process as in
// tests/carddata/test_card_level2.py) and the real `eid-card` tool:
//
//   binding   the citizen signs in with password + one-time code on /account/card in
//             Chromium, and `eid-card bind --code` (cccd1) raises the account to level 2;
//   sign-in   a relying party (openid-client) asks for acr urn:eid:level:2; the login page
//             offers the chip card; /login/card shows a code; `eid-card login --code`
//             approves it and, with nobody touching the page, its poll notices and
//             carries on: consent, then the portal, whose ID token (signature checked
//             against /jwks) has acr urn:eid:level:2 and amr ["sc"];
//   dead ends a code nobody uses stays "waiting" through poll cycles, "Continue" pressed
//             early says the card has not approved yet, and once the code expires (its
//             Redis key expired, as 5 minutes would) the page says so; a card that is not
//             bound to a level-2 account is refused, and the page's poll says so (its
//             "refused" text, not "expired"), as does "Continue" afterwards;
//   CSP       no console message on any of these pages mentions Content Security Policy
//             (and an inline script injected on purpose shows that such messages are seen).
//
// TAP. Skips (1..0 # SKIP) when Chromium is missing or pcscd / the virtual chip cannot run
// here (pcsc_env_check: not root, pcscd / vsmartcard-vpcd / unshare missing).
// usage: run-node test_card_signin.mjs [EID_CARD_EXE]      (EID_BUILD = the build directory)
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import {
  BUILD, Env, PASSWORD, TOP, approveConsent, fillLogin, launchBrowser, sleep, startTest, which,
} from './lib/eid.mjs';
import { Portal } from './lib/portal.mjs';

const CARDDATA = path.join(TOP, 'tests', 'carddata');
const VECTORS = path.join(TOP, 'tests', 'vectors', 'cccd');
const MANIFEST = path.join(VECTORS, 'cards.json');
const EID_CARD = path.resolve(process.argv[2] || path.join(BUILD, 'cardreader', 'eid-card'));
const PCSC_PORT = process.env.PCSC_ENV_PORT || '35967';
const CAN = { cccd1: '012345', cccd2: '004567' };
const CODE_RE = /^[0-9A-Z]{4}-[0-9A-Z]{4}$/;

/** Why pcscd + the virtual chip cannot run here (as the card tests decide), or null. */
function missingReader() {
  const p = spawnSync('bash', ['-c', '. "$0/pcsc_env.sh"; pcsc_env_check || { echo "$PCSC_ENV_SKIP"; exit 1; }',
    CARDDATA], { encoding: 'utf8' });
  if (p.status !== 0) return (p.stdout || '').trim() || 'pcsc_env_check failed';
  if (!which('redis-server')) return 'redis-server not installed';
  return null;
}

const t = await startTest(missingReader());
const client = await import('openid-client');

/** pcscd + the virtual chip, kept by a bash co-process that sources pcsc_env.sh. */
class Reader {
  static script = `
PCSC_ENV_HERE=$1; PCSC_ENV_PORT=$2; STATE=$3
. "$PCSC_ENV_HERE/pcsc_env.sh"
pcsc_env_start_pcscd "$STATE" >&2 || exit 1
echo "__pid $PCSCD_PID"
while IFS= read -r line; do eval "$line" >&2; echo "__done $?"; done
pcsc_env_stop
`;

  constructor(state) {
    this.state = state;
    this.lines = [];
    this.waiters = [];
    this.p = spawn('bash', ['-c', Reader.script, 'reader', CARDDATA, PCSC_PORT, state], {
      stdio: ['pipe', 'pipe', fs.openSync(path.join(state, 'reader.err'), 'w')],
    });
    this.ended = new Promise((r) => this.p.once('exit', r));
    readline.createInterface({ input: this.p.stdout }).on('line', (l) => {
      const w = this.waiters.shift();
      if (w) w(l); else this.lines.push(l);
    }).on('close', () => { for (const w of this.waiters.splice(0)) w(null); });
  }

  line(ms) {
    if (this.lines.length) return Promise.resolve(this.lines.shift());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the reader co-process said nothing for ${ms} ms`)), ms);
      this.waiters.push((l) => { clearTimeout(timer); resolve(l); });
    });
  }

  async start() {
    const l = await this.line(30000);
    if (!l || !l.startsWith('__pid ')) {
      throw new Error(`pcscd did not start: ${fs.readFileSync(path.join(this.state, 'reader.err'), 'utf8')}`);
    }
    this.pcscd = Number(l.split(' ')[1]);
  }

  /** One shell line in the co-process; its exit status. */
  async run(cmd) {
    this.p.stdin.write(`${cmd}\n`);
    for (;;) {
      const l = await this.line(60000);
      if (l === null) throw new Error('the reader co-process ended');
      if (l.startsWith('__done ')) return Number(l.split(' ')[1]);
    }
  }

  /** Put card NAME (tests/vectors/cccd/cards.json) on the reader. */
  async card(name) {
    // a second try when the emulator or pcscd is slow to come up on a loaded machine
    for (let i = 0; i < 2; i++) {
      const rc = await this.run(`pcsc_env_stop_chip; pcsc_env_start_vchip "${MANIFEST}" ${name} ` +
        '--require-access-control && pcsc_env_wait_card');
      if (rc === 0) return;
    }
    const err = fs.readFileSync(path.join(this.state, 'reader.err'), 'utf8').trim().split('\n').slice(-4);
    throw new Error(`vchip ${name} did not start: ${err.join(' | ')}`);
  }

  /** eid-card ARGS... against this pcscd: {rc, out, err}. */
  eidCard(...args) {
    return new Promise((resolve) => {
      const p = spawn('nsenter', [`--mount=/proc/${this.pcscd}/ns/mnt`, EID_CARD, ...args],
        { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '', err = '';
      p.stdout.on('data', (d) => { out += d; });
      p.stderr.on('data', (d) => { err += d; });
      const timer = setTimeout(() => p.kill('SIGKILL'), 120000);
      p.on('close', (rc, sig) => { clearTimeout(timer); resolve({ rc: sig ? `signal ${sig}` : rc, out, err }); });
    });
  }

  async close() {
    if (this.p.exitCode !== null) return;
    this.p.stdin.end();
    await Promise.race([this.ended, sleep(20000)]);
    if (this.p.exitCode === null) this.p.kill('SIGKILL');
  }
}

/** One Redis command over the Unix socket (RESP); the raw reply text (then +OK for QUIT). */
function redis(sock, ...args) {
  return new Promise((resolve, reject) => {
    const c = net.createConnection(sock);
    let buf = '';
    c.setTimeout(5000, () => { c.destroy(); reject(new Error('redis: no answer')); });
    c.on('error', reject);
    c.on('data', (d) => { buf += d; });
    c.on('end', () => resolve(buf));
    // the command, then QUIT: Redis answers both and closes, so 'end' means the whole reply
    c.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}` +
      '*1\r\n$4\r\nQUIT\r\n');
  });
}

/** Let every card code in Redis expire now (as 5 minutes passing would); how many there were. */
async function expireCodes(env) {
  const keys = (await redis(env.sock, 'KEYS', 'eid:cardcode:*')).match(/eid:cardcode:[A-Za-z0-9_-]+/g) || [];
  for (const k of keys) await redis(env.sock, 'PEXPIRE', k, '1');
  await sleep(50);
  return keys.length;
}

/** Wait until the running eidd trusts the imported CSCAs (a cccd1 verification is "valid"). */
async function waitTrust(env) {
  const reg = env.ctl('client', 'add', '--name', 'Bank counter', '--grant', 'client_credentials',
    '--scope', 'document_verify');
  const basic = Buffer.from(`${reg.client_id}:${reg.client_secret}`).toString('base64');
  const tr = await fetch(`${env.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
    body: 'grant_type=client_credentials&scope=document_verify',
  });
  if (tr.status !== 200) throw new Error(`token: HTTP ${tr.status}`);
  const { access_token: at } = await tr.json();
  const card = JSON.parse(fs.readFileSync(MANIFEST, 'utf8')).cards.find((c) => c.id === 'cccd1');
  const file = (n) => fs.readFileSync(path.join(VECTORS, card.dir, card.files[n].path)).toString('base64');
  const dgs = {};
  for (const [n, f] of Object.entries(card.files)) if ('dg' in f) dgs[String(f.dg)] = file(n);
  const body = JSON.stringify({ sod: file('EF.SOD'), data_groups: dgs });
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline) {
    const r = await fetch(`${env.issuer}/v1/documents/verify`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${at}` }, body,
    });
    if (r.status === 200 && (await r.json()).verdict === 'valid') return;
    await sleep(200);
  }
  throw new Error('the imported CSCAs did not take effect');
}

/** A compact JWS checked against a JWKS (RS256, PS256, ES256, EdDSA): its claims, or a throw. */
function verifyJwt(jwt, jwks) {
  const [h, p, sig] = jwt.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk) throw new Error(`no key ${header.kid} in /jwks`);
  const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
  const data = Buffer.from(`${h}.${p}`);
  const s = Buffer.from(sig, 'base64url');
  const ok = {
    RS256: () => crypto.verify('sha256', data, key, s),
    PS256: () => crypto.verify('sha256', data, { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING,
      saltLength: 32 }, s),
    ES256: () => crypto.verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, s),
    EdDSA: () => crypto.verify(null, data, key, s),
  }[header.alg];
  if (!ok || !ok()) throw new Error(`signature (${header.alg}) does not verify`);
  return JSON.parse(Buffer.from(p, 'base64url'));
}

/**
 * Everything a page says that the test checks afterwards: console messages, script
 * errors, Content Security Policy violations (also reported by a listener installed before
 * any page script runs, so none can go unnoticed), and the card status polls it made.
 */
function watch(page, log) {
  page.on('console', (m) => log.console.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => log.errors.push(String(e)));
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname === '/login/card/status') log.polls.push(u.searchParams.get('code'));
    if (u.pathname === '/login/card' && r.method() === 'POST') log.posts.push(r.frame() === page.mainFrame());
  });
  return page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`Content Security Policy violation: ${e.violatedDirective} blocked ${e.blockedURI}`);
    });
  });
}

const newLog = () => ({ console: [], errors: [], polls: [], posts: [] });
const cspMessages = (log) => log.console.filter((m) => /content security policy|content-security-policy/i.test(m));

/** Open the chip sign-in page directly (return_to /), as a citizen would from a bookmark. */
async function openCardPage(page) {
  const resp = await page.goto(`${page.issuer}/login/card?ui_locales=en`, { waitUntil: 'domcontentloaded' });
  if (resp.status() !== 200) throw new Error(`/login/card: HTTP ${resp.status()}`);
  const shown = (await page.innerText('#card-code')).trim();
  if (!CODE_RE.test(shown)) throw new Error(`no code on the page: "${shown}"`);
  return shown;
}

/** Wait until the page has asked /login/card/status at least n times (in all). */
async function waitPolls(log, n, ms = 10000) {
  const deadline = Date.now() + ms;
  while (log.polls.length < n && Date.now() < deadline) await sleep(100);
  if (log.polls.length < n) throw new Error(`${log.polls.length} status polls in ${ms} ms, expected ${n}`);
}

const statusText = (page) => page.innerText('#card-status').then((s) => s.trim());

const env = new Env();
const portal = new Portal(client, { acr_values: 'urn:eid:level:2' });
const state = fs.mkdtempSync(path.join(os.tmpdir(), 'eid-card-signin.'));
let reader = null;
let browser = null;
try {
  // ------------------------------------------------------------------ set-up
  await env.start();
  env.ctl('trust', 'import', ...['csca-rsa.pem', 'csca-ec.pem', 'csca-rsa.crl', 'csca-ec.crl']
    .map((f) => path.join(VECTORS, 'pki', f)));
  await waitTrust(env);
  const citizen = env.citizen('001090012345', 'Nguyễn Văn Mẫu', '1990-05-17', PASSWORD);   // cccd1's
  env.citizen('079305004567', 'Trần Thị Thử', '2005-11-20', PASSWORD);                     // cccd2's, level 1
  await portal.listen();
  const reg = env.ctl('client', 'add', '--name', 'Cổng dịch vụ công (thẻ chip)',
    '--redirect-uri', portal.redirectUri, '--scope', 'openid profile');
  portal.config = await client.discovery(new URL(env.issuer), reg.client_id, undefined,
    client.ClientSecretBasic(reg.client_secret), { execute: [client.allowInsecureRequests] });
  reader = new Reader(state);
  await reader.start();
  await reader.card('cccd1');
  t.ok(true, 'eidd + Redis, the test CSCAs, a portal, and pcscd with the virtual chip cccd1');

  browser = await launchBrowser();

  // ------------------------------------------------------------------ binding (level 1 -> 2)
  const bindPage = await browser.context.newPage();
  const bindLog = newLog();
  await watch(bindPage, bindLog);
  let bindCode = null;
  await t.step('password sign-in on /account/card shows a binding code and the command', async () => {
    await bindPage.goto(`${env.issuer}/account/card?ui_locales=en`, { waitUntil: 'domcontentloaded' });
    if (new URL(bindPage.url()).pathname !== '/login') return `at ${bindPage.url()}`;
    await fillLogin(bindPage, citizen);
    if (new URL(bindPage.url()).pathname !== '/account/card') return `at ${bindPage.url()}`;
    bindCode = (await bindPage.innerText('#card-code')).trim();
    if (!CODE_RE.test(bindCode)) return `code "${bindCode}"`;
    const cmd = await bindPage.innerText('#card-command');
    if (!cmd.includes(`eid-card bind --server ${env.issuer} --code ${bindCode}`)) return cmd;
    return true;
  });
  const bound = await reader.eidCard('bind', '--server', env.issuer, '--code', bindCode || 'none', '--can', CAN.cccd1);
  t.ok(bound.rc === 0 && bound.out.includes('now at level 2'), 'eid-card bind with cccd1: the account is level 2',
    bound);
  t.eq(env.ctl('citizen', 'show', citizen.idNumber).level, 2, 'eidctl shows the account at level 2');
  await bindPage.close();
  await browser.context.clearCookies();

  // ------------------------------------------------------------------ sign-in through the portal
  const page = await browser.context.newPage();
  page.issuer = env.issuer;
  const log = newLog();
  await watch(page, log);
  let code = null;
  let cardHeaders = {};
  await t.step('portal (acr_values urn:eid:level:2) -> login page says level 2 and offers the chip card', async () => {
    await page.goto(`${portal.base}/start`, { waitUntil: 'domcontentloaded' });
    const u = new URL(page.url());
    if (u.origin !== env.issuer || u.pathname !== '/login' || u.searchParams.get('level') !== '2') {
      return `at ${page.url()}`;
    }
    const notice = await page.innerText('#login-error');
    if (!/requires level 2/.test(notice)) return `notice: ${notice}`;
    if (!(await page.isVisible('#card-login-link button'))) return 'no visible chip-card button';
    return true;
  });
  await t.step('"sign in with your chip ID card" -> /login/card with a code, the command and "waiting"', async () => {
    const [resp] = await Promise.all([
      page.waitForNavigation({ waitUntil: 'domcontentloaded' }),
      page.click('#card-login-link button'),
    ]);
    if (new URL(page.url()).pathname !== '/login/card') return `at ${page.url()}`;
    cardHeaders = await resp.allHeaders();
    code = (await page.innerText('#card-code')).trim();
    if (!CODE_RE.test(code)) return `code "${code}"`;
    const cmd = await page.innerText('#card-command');
    if (!cmd.includes(`eid-card login --server ${env.issuer} --code ${code}`)) return cmd;
    const st = await statusText(page);
    if (!/^Waiting for the card/.test(st)) return `status "${st}"`;
    return true;
  });
  const csp = cardHeaders['content-security-policy'] || '';
  t.ok(/script-src 'self'/.test(csp) && /connect-src 'self'/.test(csp) && !/unsafe-inline/.test(csp),
    "/login/card is served with CSP script-src 'self', connect-src 'self' (no unsafe-inline)", csp);
  await t.step('the page polls /login/card/status by itself and stays while the code is pending', async () => {
    await waitPolls(log, 1);
    await sleep(300);
    if (new URL(page.url()).pathname !== '/login/card') return `moved to ${page.url()}`;
    if (log.posts.length) return 'the form was submitted before the card';
    return true;
  });
  t.ok(log.polls.length >= 1 && log.polls.every((c) => c === code.replace('-', '')),
    'each poll asks about this page\'s own code', log.polls);

  const approved = await reader.eidCard('login', '--server', env.issuer, '--code', code || 'none', '--can', CAN.cccd1);
  t.ok(approved.rc === 0 && approved.out.includes('Sign-in approved'), 'eid-card login with the bound card: approved',
    approved);
  const pollsBefore = log.polls.length;
  await t.step('with nobody touching it, the page\'s poll carries on within 20 s (consent, then the portal)', async () => {
    await page.waitForURL((u) => u.pathname !== '/login/card', { timeout: 20000 });
    if (log.posts.length !== 1 || !log.posts[0]) return `POSTs of /login/card: ${JSON.stringify(log.posts)}`;
    if (log.polls.length <= pollsBefore) return 'no poll after the approval';
    await page.waitForLoadState('domcontentloaded');
    t.diag(`after the poll: ${new URL(page.url()).pathname} (consent page shown: ${await approveConsent(page)})`);
    if (!page.url().startsWith(`${portal.base}/cb?`)) {
      return `at ${page.url()}: ${(await page.innerText('body')).slice(0, 300)}`;
    }
    const q = new URL(page.url()).searchParams;
    if (!q.get('code') || q.get('iss') !== env.issuer) return `callback ${page.url()}`;
    return true;
  });
  const cb = await portal.next().catch((e) => ({ error: e }));
  t.ok(cb.tokens && !cb.error, 'openid-client accepts the code exchange and the ID token (nonce, state, PKCE)',
    cb.error);
  let claims = {};
  if (cb.tokens) {
    try {
      claims = verifyJwt(cb.tokens.id_token, await (await fetch(`${env.issuer}/jwks`)).json());
      if (claims.iss !== env.issuer || claims.aud !== reg.client_id) throw new Error('iss/aud');
    } catch (e) {
      t.diag(`ID token: ${e}`);
    }
  }
  t.ok(claims.acr === 'urn:eid:level:2', 'the ID token (signature checked against /jwks) has acr urn:eid:level:2',
    claims);
  t.ok(Array.isArray(claims.amr) && claims.amr.length === 1 && claims.amr[0] === 'sc', 'the ID token has amr ["sc"]',
    claims.amr);
  t.ok(claims.nonce === cb.nonce && Math.abs(claims.auth_time - Date.now() / 1000) < 120,
    'the ID token is this sign-in (nonce, auth_time)', claims);
  t.ok(cspMessages(log).length === 0 && log.errors.length === 0,
    'no console message mentions Content Security Policy; no script error (login, card page, consent)',
    { csp: cspMessages(log), errors: log.errors });
  await page.close();
  await browser.context.clearCookies();

  // ------------------------------------------------------------------ a code nobody uses
  const idle = await browser.context.newPage();
  idle.issuer = env.issuer;
  const idleLog = newLog();
  await watch(idle, idleLog);
  let idleCode = null;
  await t.step('a second sign-in page: still waiting after two poll cycles, nothing submitted', async () => {
    idleCode = await openCardPage(idle);
    await waitPolls(idleLog, 2, 12000);
    if (new URL(idle.url()).pathname !== '/login/card' || idleLog.posts.length) return `at ${idle.url()}`;
    const st = await statusText(idle);
    if (!/^Waiting for the card/.test(st)) return `status "${st}"`;
    return true;
  });
  await t.step('"Continue" before any card: the same page, same code, "not approved yet" notice', async () => {
    await Promise.all([
      idle.waitForNavigation({ waitUntil: 'domcontentloaded' }),
      idle.click('#card-login button[type=submit]'),
    ]);
    if (new URL(idle.url()).pathname !== '/login/card') return `at ${idle.url()}`;
    const notice = await idle.innerText('#card-notice');
    if (!/has not approved this sign-in yet/.test(notice)) return `notice "${notice}"`;
    if ((await idle.innerText('#card-code')).trim() !== idleCode) return 'another code';
    return true;
  });
  await t.step('the code expires: the poll shows the page\'s "expired" text and stops', async () => {
    const pollsNow = idleLog.polls.length;
    const expected = await idle.getAttribute('#card-status', 'data-expired');
    if (!expected || !/expired/.test(expected)) return `data-expired "${expected}"`;
    if (await expireCodes(env) < 1) return 'no card code in Redis';
    await idle.waitForFunction((want) => document.getElementById('card-status').textContent.trim() === want,
      expected, { timeout: 10000 });
    if (!(await idle.isVisible('#card-status'))) return 'status not visible';
    if (idleLog.polls.length <= pollsNow) return 'no poll saw the expiry';
    const stopped = idleLog.polls.length;
    await sleep(4500);                        // two poll periods: an expired code is not asked again
    if (idleLog.polls.length !== stopped) return `kept polling: ${idleLog.polls.length - stopped} more`;
    if (new URL(idle.url()).pathname !== '/login/card' || idleLog.posts.length !== 1) return `at ${idle.url()}`;
    const s = await (await idle.request.get(`${env.issuer}/session`)).json();
    if (s.authenticated) return 'a session exists';
    return true;
  });
  t.ok(cspMessages(idleLog).length === 0 && idleLog.errors.length === 0,
    'no CSP message or script error on the expired page', { csp: cspMessages(idleLog), errors: idleLog.errors });
  await idle.close();

  // ------------------------------------------------------------------ a card that is not bound
  await reader.card('cccd2');
  const wrong = await browser.context.newPage();
  wrong.issuer = env.issuer;
  const wrongLog = newLog();
  await watch(wrong, wrongLog);
  let wrongCode = null;
  await t.step('a third sign-in page shows a code and waits', async () => {
    wrongCode = await openCardPage(wrong);
    await waitPolls(wrongLog, 1);
    return /^Waiting for the card/.test(await statusText(wrong)) || 'not waiting';
  });
  const refused = await reader.eidCard('login', '--server', env.issuer, '--code', wrongCode || 'none', '--can', CAN.cccd2);
  t.ok(refused.rc === 8 && refused.err.includes('card_not_bound'),
    'eid-card login with a card not bound to a level-2 account: refused (card_not_bound), exit 8', refused);
  await t.step('... the page\'s poll shows the "refused" text, and no sign-in happens', async () => {
    const expected = await wrong.getAttribute('#card-status', 'data-refused');
    if (!expected || !/cannot sign you in/.test(expected)) return `data-refused "${expected}"`;
    await wrong.waitForFunction((want) => document.getElementById('card-status').textContent.trim() === want,
      expected, { timeout: 10000 });
    if (new URL(wrong.url()).pathname !== '/login/card' || wrongLog.posts.length) return `at ${wrong.url()}`;
    const s = await (await wrong.request.get(`${env.issuer}/session`)).json();
    if (s.authenticated) return 'a session exists';
    return true;
  });
  await t.step('... and "Continue" then says the card was refused, with a way to start again', async () => {
    await wrong.click('#card-login button[type=submit]');
    await wrong.waitForLoadState('domcontentloaded');
    const text = await wrong.innerText('body');
    if (!/cannot sign you in/.test(text)) return `page: ${text.slice(0, 200)}`;
    const s = await (await wrong.request.get(`${env.issuer}/session`)).json();
    return !s.authenticated || 'a session exists';
  });
  const again = await reader.eidCard('login', '--server', env.issuer, '--code', wrongCode || 'none', '--can', CAN.cccd2);
  t.ok(again.rc === 9 && /already used|expired|unknown/.test(again.err), 'the same code again: refused, exit 9', again);
  t.ok(cspMessages(wrongLog).length === 0 && wrongLog.errors.length === 0,
    'no CSP message or script error on the refused page', { csp: cspMessages(wrongLog), errors: wrongLog.errors });

  // ------------------------------------------------------------------ the CSP check sees violations
  await t.step('an inline script injected into /login/card is refused, and the console says so', async () => {
    const before = wrongLog.console.length;
    await wrong.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.inlineRan = true;';
      document.body.appendChild(s);
    });
    await sleep(300);
    if (await wrong.evaluate(() => window.inlineRan === true)) return 'the inline script ran';
    const seen = cspMessages({ console: wrongLog.console.slice(before) });
    if (seen.length === 0) return `console: ${JSON.stringify(wrongLog.console.slice(before))}`;
    return true;
  });
  await wrong.close();
} catch (e) {
  t.ok(false, 'the test ran to the end', e);
  t.diag(env.logText().split('\n').slice(-30).join('\n'));
} finally {
  if (browser) await browser.close();
  if (reader) await reader.close();
  await portal.close();
  await env.close();
  if (process.env.EID_KEEP) t.diag(`reader state kept in ${state}`);
  else fs.rmSync(state, { recursive: true, force: true });
}
t.done();
