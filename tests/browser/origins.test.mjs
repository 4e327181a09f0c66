// Other origins: what Chromium does with bouncer's cookie on http://127.0.0.1, a page on an
// origin bouncer does not list, and a cross-site form aimed at the refresh endpoint.
//
// Every origin here is http://127.0.0.1:<port>. Ports do not make sites (cookies and SameSite
// ignore them), so the attacker's page is *same-site* with bouncer: SameSite=Strict does not
// keep the victim's cookie off its form POST, and only bouncer's own checks (Origin, the CSRF
// header) stand in the way. That is the stronger test.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  BOUNCER_URL, REFRESH_COOKIE, bouncerCookie, callSecret, diagnose, launchBrowser, newUsername, openApp, refreshIn, registerAndLogIn, serveCopyOfApp, serveOn127, storedState,
  tryRegisterAndLogIn,
} from './helpers.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

describe('cookies on http://127.0.0.1', () => {
  test('chromium keeps a Secure __Host- cookie set by http://127.0.0.1 and sends it back', async () => {
    const received = [];
    const server = await serveOn127((request, response) => {
      received.push(request.headers.cookie ?? '');
      if (request.url === '/set') {
        response.setHeader('Set-Cookie',
          '__Host-probe=1; Secure; HttpOnly; SameSite=Strict; Path=/; Max-Age=60');
      }
      response.end('ok');
    });
    const context = await browser.createBrowserContext();
    try {
      const page = await context.newPage();
      await page.goto(`${server.url}/set`);
      await page.goto(`${server.url}/check`);

      assert.equal(await page.evaluate(() => window.isSecureContext), true);
      const cookie = (await page.cookies()).find((c) => c.name === '__Host-probe');
      assert.ok(cookie, 'the cookie was dropped');
      assert.equal(cookie.secure, true);
      assert.equal(cookie.httpOnly, true);
      assert.match(received.at(-1), /__Host-probe=1/, 'the cookie was not sent back over http');
    } finally {
      await context.close();
      await server.close();
    }
  });

  test("bouncer's refresh cookie is HttpOnly, Secure and host-only, and the page keeps no token", async () => {
    const context = await browser.createBrowserContext();
    try {
      const page = await openApp(context);
      await registerAndLogIn(page);

      const cookie = await bouncerCookie(context);
      assert.ok(cookie, `no ${REFRESH_COOKIE} cookie for ${BOUNCER_URL}; ${await diagnose(page)}`);
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.secure, true);
      assert.equal(cookie.sameSite, 'Strict');
      assert.equal(cookie.path, '/');
      assert.equal(cookie.domain, '127.0.0.1', 'a __Host- cookie has no Domain attribute');
      // The page stores the CSRF token only: no access or refresh token survives in storage.
      const stored = await storedState(page);
      assert.match(stored ?? '', /"csrf":"[^"]+"/, `stored: ${stored}`);
      assert.doesNotMatch(stored, /eyJ/, `a JWT is in storage: ${stored}`);
      const local = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
      assert.doesNotMatch(local, /eyJ/, `a JWT is in Web Storage: ${local}`);
    } finally {
      await context.close();
    }
  });
});

describe('a page on an origin bouncer does not list', () => {
  test('cannot log in or read any reply', async () => {
    const copy = await serveCopyOfApp();
    const legit = await browser.createBrowserContext();
    const other = await browser.createBrowserContext();
    try {
      // A real account, made on the listed origin.
      const username = newUsername();
      const home = await openApp(legit);
      await registerAndLogIn(home, username);

      const page = await openApp(other, { origin: copy.url });
      const log = await tryRegisterAndLogIn(page, username);

      assert.match(log, /register and log in: cannot reach bouncer/, await diagnose(page));
      assert.equal(await page.evaluate(() => window.bouncer.isAuthenticated), false);
      // Not even a reply that needs no preflight can be read.
      const health = await page.evaluate(async (url) => {
        try {
          await fetch(`${url}/healthz`, { credentials: 'include' });
          return 'read';
        } catch (error) {
          return error.name;
        }
      }, BOUNCER_URL);
      assert.equal(health, 'TypeError');
      // The login never reached bouncer (its preflight was refused): one session, the first.
      const sessions = await home.evaluate(() => window.bouncer.sessions());
      assert.equal(sessions.filter((s) => s.kind === 'refresh').length, 1,
        JSON.stringify(sessions));
    } finally {
      await other.close();
      await legit.close();
      await copy.close();
    }
  });
});

describe('a cross-site form POST to the refresh endpoint', () => {
  test('is refused with 403, rotates nothing, and the session still works', async () => {
    const context = await browser.createBrowserContext();
    // The attacker's page: a form that posts itself, as <form> may to any URL.
    const attacker = await serveOn127((request, response) => {
      response.setHeader('Content-Type', 'text/html');
      response.end(`<!doctype html><form method="POST" action="${BOUNCER_URL}/api/token/refresh/">
        <input type="hidden" name="x" value="1"></form>
        <script>document.forms[0].submit()</script>`);
    });
    try {
      const victim = await openApp(context);
      await registerAndLogIn(victim);
      const before = await bouncerCookie(context);
      assert.ok(before, `no refresh cookie; ${await diagnose(victim)}`);

      const tab = await context.newPage();
      // What Chromium really sent: the cookie must be on the forged request, or this test
      // would prove nothing.
      const cdp = await tab.createCDPSession();
      await cdp.send('Network.enable');
      let sentCookies = '';
      cdp.on('Network.requestWillBeSentExtraInfo', (event) => {
        const cookie = Object.entries(event.headers)
          .find(([name]) => name.toLowerCase() === 'cookie');
        if (cookie) sentCookies += cookie[1];
      });
      const forged = tab.waitForResponse((r) => r.url().endsWith('/api/token/refresh/'));
      await tab.goto(attacker.url);
      const reply = await forged;
      const body = await reply.text();

      assert.match(sentCookies, new RegExp(REFRESH_COOKIE), 'the forged POST carried no cookie');
      assert.equal(reply.status(), 403, body);
      assert.match(JSON.parse(body).code, /^(csrf_missing|origin_not_allowed)$/, body);
      const after = await bouncerCookie(context);
      assert.equal(after?.value, before.value, 'the forged request rotated the refresh cookie');
      // The session is alive: the victim's client refreshes and calls as before.
      const refreshed = await refreshIn(victim);
      assert.ok(refreshed.ok, JSON.stringify(refreshed));
      assert.equal((await callSecret(victim)).status, 200);
    } finally {
      await context.close();
      await attacker.close();
    }
  });
});
