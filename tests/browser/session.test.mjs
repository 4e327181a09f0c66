// The client and the demo page against bouncer in headless Chromium: the page on one origin,
// bouncer on another, through CORS with credentials. Access tokens live ACCESS_LIFETIME_MS
// (a few seconds), so the silent refresh happens during the tests.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  ACCESS_LIFETIME_MS, BOUNCER_URL, NO_GRACE_BOUNCER_URL, NO_GRACE_PAGE_URL, PAGE_URL,
  accessToken, bouncerCookie, callSecret, callSecretWith,
  diagnose, launchBrowser, logIn, newUsername, openApp, recordBouncerReplies, refreshIn,
  registerAndLogIn, sleep,
} from './helpers.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

/** Runs `body(context)` in a fresh browser context (its own cookies, storage and locks). */
async function inContext(body) {
  const context = await browser.createBrowserContext();
  try {
    await body(context);
  } finally {
    await context.close();
  }
}

/** Clicks "Call /api/secret/" and returns the status the page shows. */
async function clickCall(page) {
  await page.$eval('#secret-result', (element) => { delete element.dataset.status; });
  await page.click('#call');
  const handle = await page.waitForSelector('#secret-result[data-status]', { timeout: 10_000 });
  return Number(await handle.evaluate((element) => element.dataset.status));
}

describe('silent refresh', () => {
  test('a protected call still succeeds after the access token would have expired', async () => {
    await inContext(async (context) => {
      const page = await openApp(context);
      const replies = recordBouncerReplies(page);
      await registerAndLogIn(page);
      assert.equal(await clickCall(page), 200, await diagnose(page));
      const first = await accessToken(page);

      await sleep(ACCESS_LIFETIME_MS + 1_000);

      // The client refreshed on its own while the page sat idle, not when it was next used.
      const idle = await page.evaluate(() => ({
        access: window.bouncer.accessToken,
        remainingMs: window.bouncer.accessExpiresAt - Date.now(),
      }));
      assert.notEqual(idle.access, first, `no refresh while idle; ${await diagnose(page)}`);
      assert.ok(idle.remainingMs > 0, JSON.stringify(idle.remainingMs));
      assert.equal(await clickCall(page), 200, await diagnose(page));
      // No call was refused on the way.
      const refreshes = replies.filter((r) => r.path === '/api/token/refresh/');
      assert.ok(refreshes.length >= 1 && refreshes.every((r) => r.status === 200),
        JSON.stringify(replies));
      assert.deepEqual(replies.filter((r) => r.status === 401), [], JSON.stringify(replies));
      // And the old token had really expired: this is not a test of a long-lived token.
      assert.equal((await callSecretWith(page, first)).status, 401);
    });
  });

  test('parallel calls after expiry share one refresh', async () => {
    await inContext(async (context) => {
      const page = await openApp(context, { mode: 'body' });
      await registerAndLogIn(page);
      // Stop the timer's refresh by closing the client's timer, then let the token expire.
      await page.evaluate(() => window.bouncer.close());
      await sleep(ACCESS_LIFETIME_MS + 500);
      const replies = recordBouncerReplies(page);

      const statuses = await page.evaluate(() => Promise.all(
        Array.from({ length: 5 }, () => window.bouncer.fetch('/api/secret/').then((r) => r.status)),
      ));

      assert.deepEqual(statuses, [200, 200, 200, 200, 200], JSON.stringify(replies));
      assert.equal(replies.filter((r) => r.path === '/api/token/refresh/').length, 1,
        JSON.stringify(replies));
    });
  });
});

describe('reload', () => {
  test('a reload keeps the session (cookie mode)', async () => {
    await inContext(async (context) => {
      const page = await openApp(context);
      await registerAndLogIn(page);
      const before = await accessToken(page);

      await page.reload();
      await page.waitForSelector('body[data-ready="true"]');

      const restored = await accessToken(page);
      assert.ok(restored, `no session after the reload; ${await diagnose(page)}`);
      assert.notEqual(restored, before, 'the access token cannot have survived in memory');
      assert.equal(await clickCall(page), 200, await diagnose(page));
    });
  });

  test('body mode with IndexedDB keeps the session across a reload too', async () => {
    await inContext(async (context) => {
      const page = await openApp(context, { mode: 'body' });
      await registerAndLogIn(page);

      await page.reload();
      await page.waitForSelector('body[data-ready="true"]');

      assert.ok(await accessToken(page), await diagnose(page));
      assert.equal(await clickCall(page), 200, await diagnose(page));
    });
  });
});

// Against the server with the grace window off: a refresh token presented twice revokes the
// session at once, so only the client's Web Lock and its re-reading of storage keep the tabs
// apart (the last test of this file shows what happens without them).
for (const mode of ['cookie', 'body']) {
  describe(`two tabs (${mode} mode, no grace window)`, () => {
    test('refreshing at the same moment never revokes the session', async () => {
      await inContext(async (context) => {
        const first = await openApp(context, { mode, origin: NO_GRACE_PAGE_URL });
        await registerAndLogIn(first);
        const second = await openApp(context, { mode, origin: NO_GRACE_PAGE_URL });
        assert.ok(await accessToken(second), `the second tab restored nothing; ${await diagnose(second)}`);
        const replies = [recordBouncerReplies(first), recordBouncerReplies(second)];

        for (let round = 0; round < 3; round += 1) {
          const results = await Promise.all([refreshIn(first), refreshIn(second)]);
          assert.ok(results.every((r) => r.ok), JSON.stringify(results));
        }
        // The tabs' own timers fire too; let a full access lifetime pass.
        await sleep(ACCESS_LIFETIME_MS);

        for (const tab of [first, second]) {
          assert.equal((await callSecret(tab)).status, 200, await diagnose(tab));
          assert.ok((await refreshIn(tab)).ok, await diagnose(tab));
        }
        const refused = replies.flat().filter((r) => r.status >= 400);
        assert.deepEqual(refused, [], JSON.stringify(replies));
      });
    });
  });
}

describe('logout', () => {
  test('after logout a protected call is refused and a reload finds no session', async () => {
    await inContext(async (context) => {
      const page = await openApp(context);
      await registerAndLogIn(page);
      const token = await accessToken(page);
      assert.equal((await callSecretWith(page, token)).status, 200);

      await page.click('#logout');
      await page.waitForSelector('#signed-out:not([hidden])', { timeout: 10_000 });

      const refused = await callSecretWith(page, token);
      assert.equal(refused.status, 401);
      assert.equal(refused.body.code, 'token_not_valid');
      assert.equal((await callSecret(page)).status, 401);
      assert.equal(await bouncerCookie(context), undefined, 'the refresh cookie was not cleared');
      await page.reload();
      await page.waitForSelector('body[data-ready="true"]');
      assert.equal(await accessToken(page), null, await diagnose(page));
    });
  });

  test('logging out in one tab logs out the other', async () => {
    await inContext(async (context) => {
      const first = await openApp(context);
      await registerAndLogIn(first);
      const second = await openApp(context);
      assert.ok(await accessToken(second), await diagnose(second));

      await first.evaluate(() => window.bouncer.logout());

      await second.waitForFunction(() => !window.bouncer.isAuthenticated, { timeout: 5_000 });
      assert.equal((await callSecret(second)).status, 401);
    });
  });
});

describe('sessions', () => {
  test('the list shows each device, and ending one logs that device out', async () => {
    const laptopContext = await browser.createBrowserContext();
    const phoneContext = await browser.createBrowserContext();
    try {
      const username = newUsername();
      const laptop = await openApp(laptopContext);
      await registerAndLogIn(laptop, username);
      const phone = await openApp(phoneContext);
      await logIn(phone, username);

      await laptop.click('#list-sessions');
      await laptop.waitForFunction(
        () => document.querySelectorAll('#sessions tr').length >= 2, { timeout: 10_000 });
      const listed = await laptop.evaluate(() => window.bouncer.sessions());
      const refresh = listed.filter((s) => s.kind === 'refresh');
      assert.equal(refresh.length, 2, JSON.stringify(listed));
      assert.equal(refresh.filter((s) => s.current).length, 1, JSON.stringify(listed));
      assert.ok(refresh.every((s) => /^[0-9a-f]{32}$/.test(s.id)), JSON.stringify(listed));
      assert.match(refresh[0].user_agent ?? '', /Chrome/, JSON.stringify(listed));

      // "End" on the phone's row (the one that is not this laptop's).
      const phoneId = refresh.find((s) => !s.current).id;
      // A phone token with its whole (short) life ahead, so only the ending can stop it.
      const phoneToken = (await refreshIn(phone)).access;
      assert.equal((await callSecretWith(laptop, phoneToken)).status, 200);
      await laptop.click(`#sessions tr[data-id="${phoneId}"] button`);
      await laptop.waitForFunction(
        (id) => !document.querySelector(`#sessions tr[data-id="${id}"]`), { timeout: 10_000 }, phoneId);

      // The phone's access token stops working at once, and its next refresh (its own timer's
      // or this one) fails, so its client lets go of the session.
      assert.equal((await callSecretWith(laptop, phoneToken)).status, 401);
      const refreshed = await refreshIn(phone);
      assert.equal(refreshed.ok, false, JSON.stringify(refreshed));
      assert.ok(refreshed.status === 401 || refreshed.code === 'not_authenticated',
        JSON.stringify(refreshed));
      assert.equal(await accessToken(phone), null);
      assert.equal((await callSecret(laptop)).status, 200, await diagnose(laptop));
      // Another user's session id is not found, whatever it is.
      const deleteOther = await laptop.evaluate(async (url) => {
        const r = await window.bouncer.fetch(`${url}/auth/sessions/${'0'.repeat(32)}/`, { method: 'DELETE' });
        return r.status;
      }, BOUNCER_URL);
      assert.equal(deleteOther, 404);
    } finally {
      await phoneContext.close();
      await laptopContext.close();
    }
  });
});

describe('grace window', () => {
  test('a refresh whose reply was lost is retried and the session survives (cookie mode)', async () => {
    await inContext(async (context) => {
      const page = await openApp(context);
      await registerAndLogIn(page);
      await page.evaluate(() => window.bouncer.close());
      // Let bouncer rotate the token, then lose its reply (and its Set-Cookie) on the way back.
      const cdp = await page.createCDPSession();
      await cdp.send('Fetch.enable', {
        patterns: [{ urlPattern: '*/api/token/refresh/*', requestStage: 'Response' }],
      });
      let lost = 0;
      cdp.on('Fetch.requestPaused', async (event) => {
        if (event.request.method === 'POST' && lost === 0) {
          lost += 1;
          await cdp.send('Fetch.failRequest', { requestId: event.requestId, errorReason: 'ConnectionReset' });
        } else {
          await cdp.send('Fetch.continueRequest', { requestId: event.requestId });
        }
      });

      const refreshed = await refreshIn(page);

      assert.equal(lost, 1, 'no reply was lost: the test did not test anything');
      assert.ok(refreshed.ok, JSON.stringify(refreshed));
      await cdp.send('Fetch.disable');
      assert.equal((await callSecret(page)).status, 200, await diagnose(page));
      assert.ok((await refreshIn(page)).ok, 'the session was revoked after the retry');
    });
  });

  test('two uncoordinated tabs presenting one refresh token get the same successors', async () => {
    await inContext(async (context) => {
      const [a, b] = await uncoordinatedRefreshes(context, PAGE_URL, BOUNCER_URL);

      const shown = JSON.stringify([a, b], hideTokens);
      assert.ok(a.ok && b.ok, shown);
      assert.ok(a.access === b.access && a.refresh === b.refresh, shown);
      assert.equal((await callSecretWith(a.page, a.access)).status, 200);
    });
  });
});

describe('without the Web Lock (the two-tab tests above can fail)', () => {
  test('two tabs presenting one refresh token with no grace window revoke the session', async () => {
    await inContext(async (context) => {
      const [a, b] = await uncoordinatedRefreshes(context, NO_GRACE_PAGE_URL, NO_GRACE_BOUNCER_URL);

      const shown = JSON.stringify([a, b], hideTokens);
      assert.equal([a, b].filter((r) => r.ok).length, 1, shown);
      const winner = a.ok ? a : b;
      // The reuse revoked the whole session, the winner's new tokens included.
      assert.equal((await callSecretWith(winner.page, winner.access)).status, 401, shown);
    });
  });
});

/** Shortens tokens in failure messages (and leaves pages out). */
function hideTokens(key, value) {
  if (key === 'page') return undefined;
  return (key === 'access' || key === 'refresh') && typeof value === 'string'
    ? `…${value.slice(-8)}` : value;
}

/**
 * Logs in (body mode, IndexedDB) in one tab, opens a second, and has both refresh at once
 * with clients that neither lock nor talk to each other, as two copies of a naive client
 * would. Returns each tab's outcome: `{ page, ok, access, refresh }` or `{ page, ok: false, status }`.
 */
async function uncoordinatedRefreshes(context, pageUrl, bouncerUrl) {
  const first = await openApp(context, { mode: 'body', origin: pageUrl });
  await registerAndLogIn(first);
  const second = await openApp(context, { mode: 'body', origin: pageUrl });
  for (const tab of [first, second]) await tab.evaluate(() => window.bouncer.close());
  const refresh = (page) => page.evaluate(async (baseUrl) => {
    const { BouncerClient, indexedDbStorage } = await import('/bouncer.js');
    const storage = indexedDbStorage();
    const client = new BouncerClient({ baseUrl, mode: 'body', storage, crossTab: false });
    try {
      await client.refresh();
      // The other tab may have cleared the shared storage by now (its reuse revoked the
      // session, in the control test): the refresh succeeded all the same.
      const saved = JSON.parse(await storage.getItem('bouncer'));
      return { ok: true, access: client.accessToken, refresh: saved?.refresh };
    } catch (error) {
      return { ok: false, status: error.status, message: error.message };
    } finally {
      client.close();
    }
  }, bouncerUrl);
  const results = await Promise.all([refresh(first), refresh(second)]);
  return results.map((result, i) => ({ ...result, page: [first, second][i] }));
}
