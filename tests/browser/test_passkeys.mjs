// test_passkeys.mjs - passkeys end to end in headless Chromium with a CDP virtual
// authenticator (WebAuthn.addVirtualAuthenticator: ctap2, internal, resident keys, user
// verification): a citizen signs in with password + one-time code, adds a passkey on
// /account through /static/passkey.js, signs out everywhere, and then signs in with the
// passkey alone on the real login page, on the way to a relying party (a small portal
// using openid-client, which validates the ID token) whose ID token says acr
// urn:eid:level:1 and amr [hwk, user].
//
// WebAuthn refuses IP addresses as relying-party ids, so this eidd's issuer is
// http://localhost:PORT (a secure context; it still listens on 127.0.0.1).
import {
  Env, PASSWORD, approveConsent, fillLogin, launchBrowser, startTest,
} from './lib/eid.mjs';
import { Portal } from './lib/portal.mjs';

const t = await startTest();
const client = await import('openid-client');

/** An Env whose issuer names localhost instead of 127.0.0.1 (same listening socket). */
class LocalhostEnv extends Env {
  constructor() {
    super();
    Object.defineProperty(this, 'issuer', {
      get() { return this.port ? `http://localhost:${this.port}` : undefined; },
      set() { /* Env.start() sets 127.0.0.1: keep localhost */ },
    });
  }
}

/** A CDP virtual authenticator on page: ctap2, internal, resident keys, UV done. */
async function virtualAuthenticator(browser, page) {
  const cdp = await browser.context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true,
      hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

const env = new LocalhostEnv();
const portal = new Portal(client);
let browser = null;
try {
  await env.start();
  t.ok(env.issuer.startsWith('http://localhost:'), 'eidd runs with a localhost issuer', env.issuer);
  await portal.listen();
  const citizen = env.citizen('001090012345', 'Nguyễn Văn Mẫu', '1990-05-17', PASSWORD);
  const reg = env.ctl('client', 'add', '--name', 'Cổng dịch vụ (passkeys)',
    '--redirect-uri', portal.redirectUri, '--scope', 'openid profile');
  portal.config = await client.discovery(new URL(env.issuer), reg.client_id, undefined,
    client.ClientSecretBasic(reg.client_secret), { execute: [client.allowInsecureRequests] });

  browser = await launchBrowser();
  const page = await browser.context.newPage();
  // This page stands for a browser without passkey autofill, so that the login page
  // waits for the button (the virtual authenticator answers every request at once, so
  // conditional UI would sign in as soon as a login page loads). Conditional UI itself
  // is tested at the end on a second page.
  await page.addInitScript(() => {
    if (window.PublicKeyCredential) {
      window.PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);
    }
  });
  const { cdp, authenticatorId } = await virtualAuthenticator(browser, page);
  t.ok(typeof authenticatorId === 'string', 'CDP virtual authenticator (ctap2, internal, rk, uv)');

  // --- password + one-time code, landing on the account page
  await t.step('/account without a session -> login page -> password + code -> /account', async () => {
    await page.goto(`${env.issuer}/account?ui_locales=en`, { waitUntil: 'domcontentloaded' });
    if (new URL(page.url()).pathname !== '/login') return `at ${page.url()}`;
    const ac = await page.getAttribute('#username', 'autocomplete');
    if (ac !== 'username webauthn') return `username autocomplete "${ac}"`;
    await fillLogin(page, citizen);
    if (new URL(page.url()).pathname !== '/account') return `at ${page.url()}`;
    return true;
  });
  t.ok(await page.isVisible('#passkey-add'), 'the script shows "add a passkey" (WebAuthn available)');

  // --- add a passkey
  await t.step('add a passkey on /account (navigator.credentials.create through passkey.js)', async () => {
    await page.fill('#passkey_name', 'Chromium');
    await Promise.all([
      page.waitForNavigation({ waitUntil: 'domcontentloaded' }),
      page.click('#passkey-add'),
    ]);
    const items = await page.$$eval('li.passkey', (els) => els.map((e) => e.innerText));
    if (items.length !== 1 || !items[0].includes('Chromium')) return `passkeys listed: ${JSON.stringify(items)}`;
    return true;
  });
  const creds = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  t.ok(creds.credentials.length === 1 && creds.credentials[0].isResidentCredential &&
    creds.credentials[0].rpId === 'localhost', 'the authenticator holds one discoverable credential for localhost',
  creds.credentials.map((c) => ({ rpId: c.rpId, rk: c.isResidentCredential })));
  const actions = await page.$$eval('#history li', (els) => els.map((e) => e.dataset.action));
  t.ok(actions.includes('passkey.register') && actions.includes('login.password'),
    'the history shows the sign-in and the new passkey', actions);

  // --- sign out everywhere
  await t.step('sign out everywhere -> the login page; /account needs a sign-in again', async () => {
    await Promise.all([
      page.waitForNavigation({ waitUntil: 'domcontentloaded' }),
      page.click('#logout-all'),
    ]);
    if (new URL(page.url()).pathname !== '/login') return `at ${page.url()}`;
    const s = await (await page.request.get(`${env.issuer}/session`)).json();
    if (s.authenticated) return 'still signed in';
    return true;
  });

  // --- the passkey alone, on the way to the relying party
  await t.step('portal -> /authorize -> login page -> "use a passkey" -> consent -> portal', async () => {
    await page.goto(`${portal.base}/start`, { waitUntil: 'domcontentloaded' });
    if (new URL(page.url()).pathname !== '/login') return `not on the login page: ${page.url()}`;
    await page.waitForSelector('#passkey-signin:not([hidden])', { timeout: 5000 });
    await Promise.all([
      page.waitForURL((u) => !u.pathname.startsWith('/login'), { timeout: 15000 }),
      page.click('#passkey-signin'),
    ]);
    if (await page.inputValue('#password').catch(() => '') !== '') return 'a password was typed';
    await approveConsent(page);
    if (!page.url().startsWith(`${portal.base}/cb`)) {
      return `at ${page.url()}: ${(await page.innerText('body')).slice(0, 300)}`;
    }
    return true;
  });
  const cb = await portal.next().catch((e) => ({ error: e }));
  t.ok(cb.tokens && !cb.error, 'openid-client accepts the code exchange and the ID token', cb.error);
  const claims = cb.tokens ? cb.tokens.claims() : {};
  t.ok(claims.acr === 'urn:eid:level:1', 'ID token acr urn:eid:level:1 (a level-1 account)', claims);
  t.ok(Array.isArray(claims.amr) && claims.amr.length === 2 && claims.amr[0] === 'hwk' &&
    claims.amr[1] === 'user', 'ID token amr [hwk, user] (user verification done)', claims.amr);
  t.ok(Math.abs(claims.auth_time - Date.now() / 1000) < 120, 'auth_time is this sign-in', claims.auth_time);
  const after = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  t.ok(after.credentials[0].signCount >= 1, 'the authenticator counted the assertion',
    after.credentials[0].signCount);

  // --- the account page after the passkey sign-in
  await t.step('/account after the passkey sign-in shows it as last used', async () => {
    await page.goto(`${env.issuer}/account?ui_locales=en`, { waitUntil: 'domcontentloaded' });
    const used = await page.innerText('li.passkey .last-used');
    if (used.trim() === 'never' || !/UTC/.test(used)) return `last used: ${used}`;
    const h = await page.innerText('#history');
    if (!h.includes('Signed in with a passkey')) return h;
    return true;
  });

  // --- conditional UI: passkey autofill in the username field, on a second page
  await t.step('conditional UI: the login page signs in from the autofill request', async () => {
    await browser.context.clearCookies();
    const page2 = await browser.context.newPage();
    const va = await virtualAuthenticator(browser, page2);
    const mine = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials[0];
    await va.cdp.send('WebAuthn.addCredential', { authenticatorId: va.authenticatorId, credential: mine });
    await page2.goto(`${portal.base}/start`, { waitUntil: 'domcontentloaded' });
    await page2.waitForURL((u) => u.href.startsWith(`${portal.base}/cb`), { timeout: 15000 });
    await page2.close();
    return true;
  });
  const cb2 = await portal.next().catch((e) => ({ error: e }));
  const claims2 = cb2.tokens ? cb2.tokens.claims() : {};
  t.ok(!cb2.error && claims2.acr === 'urn:eid:level:1' && claims2.amr && claims2.amr.join(' ') === 'hwk user',
    'conditional UI: the relying party gets acr level 1 and amr [hwk, user]', cb2.error || claims2);
} catch (e) {
  t.ok(false, 'the test ran to the end', e);
  t.diag(env.logText().split('\n').slice(-30).join('\n'));
} finally {
  if (browser) await browser.close();
  await portal.close();
  await env.close();
}
t.done();
