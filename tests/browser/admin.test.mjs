// The admin page (/admin/, admin.enabled) in headless Chromium: an admin logs in with the
// keyboard, adds a user to Manager, creates and revokes a Token key and ends the user's
// sessions, each checked through the JSON API; a non-staff login is refused; a cross-site
// form post and a post without the CSRF field are refused and change nothing. Every admin
// page is screenshot into ADMIN_SCREENSHOTS (target/admin-screenshots/, a CI artifact).
// tests/browser/run starts bouncer with the admin page on and makes the staff user
// ADMIN_USERNAME with ADMIN_PASSWORD.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { BOUNCER_URL, PASSWORD, launchBrowser, newUsername, serveOn127 } from './helpers.mjs';

const ADMIN_USERNAME = process.env.ADMIN_USERNAME;
const ADMIN_PASSWORD = process.env.ADMIN_PASSWORD;
const SCREENSHOTS = process.env.ADMIN_SCREENSHOTS;
const ADMIN_COOKIE = '__Host-bouncer_admin';
const REFUSED = 'Please enter the correct username and password for a staff account.';

let browser;
before(async () => {
  assert.ok(ADMIN_USERNAME && ADMIN_PASSWORD && SCREENSHOTS, 'run the browser tests with tests/browser/run');
  mkdirSync(SCREENSHOTS, { recursive: true });
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); });

async function api(method, path, { body, authorization } = {}) {
  const headers = {};
  if (body) headers['Content-Type'] = 'application/json';
  if (authorization) headers.Authorization = authorization;
  const response = await fetch(`${BOUNCER_URL}${path}`, {
    method, headers, body: body && JSON.stringify(body),
  });
  const text = await response.text();
  let json;
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: response.status, body: json };
}

async function userLogin(username) {
  const login = await api('POST', '/api/token/', { body: { username, password: PASSWORD } });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  return login.body;
}

/** Registers a user and logs them in through the API: `{ username, access, refresh }`. */
async function userWithTokens() {
  const username = newUsername();
  const registered = await api('POST', '/auth/users/', { body: { username, password: PASSWORD } });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  const { access, refresh } = await userLogin(username);
  return { username, access, refresh };
}

async function shoot(page, name) {
  await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });
}

/** Clicks and waits for the page the click leads to; its main response. */
async function clickAndWait(page, selector) {
  const [response] = await Promise.all([page.waitForNavigation(), page.click(selector)]);
  return response;
}

/** Logs in on the admin form with the keyboard only; the response of the form post. */
async function logInWithKeyboard(page, username, password) {
  await page.goto(`${BOUNCER_URL}/admin/`);
  assert.equal(new URL(page.url()).pathname, '/admin/login/');
  await page.focus('#username');
  await page.keyboard.type(username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  const [response] = await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  return response;
}

async function notice(page) {
  return page.$eval('[role="status"]', (element) => element.textContent);
}

test('an admin adds a user to Manager, creates and revokes a key, and ends their sessions', async () => {
  const bob = await userWithTokens();

  const context = await browser.createBrowserContext();
  try {
    const page = await context.newPage();
    await page.goto(`${BOUNCER_URL}/admin/login/`);
    await shoot(page, '01-login');
    await logInWithKeyboard(page, ADMIN_USERNAME, ADMIN_PASSWORD);
    assert.equal(new URL(page.url()).pathname, '/admin/');
    const cookie = (await page.cookies()).find((c) => c.name === ADMIN_COOKIE);
    assert.ok(cookie, 'no admin cookie');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    await shoot(page, '02-home');

    // Keyboard: the first Tab lands on the skip link, which is then visible.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');

    await page.goto(`${BOUNCER_URL}/admin/users/?q=${bob.username}`);
    await shoot(page, '03-users');
    await clickAndWait(page, `a::-p-text(${bob.username})`);
    const userPath = new URL(page.url()).pathname;
    assert.match(userPath, /^\/admin\/users\/\d+\/$/);
    await shoot(page, '04-user');

    // Add to Manager: the user's access token (minted just before: they live 3 s in this run)
    // reaches the Manager-only route at once.
    const bearer = `Bearer ${(await userLogin(bob.username)).access}`;
    assert.equal((await api('GET', '/api/manager-view/', { authorization: bearer })).status, 403);
    await page.type('#group', 'Manager');
    await clickAndWait(page, 'button::-p-text(Add to group)');
    assert.match(await notice(page), /Added to the group/);
    assert.equal((await api('GET', '/api/manager-view/', { authorization: bearer })).status, 200);

    // A Token key, shown once; it works, then is revoked and does not.
    const created = await clickAndWait(page, 'button::-p-text(Create a Token key)');
    assert.equal(created.headers()['cache-control'], 'no-store');
    const key = await page.$eval('#new-key', (element) => element.textContent);
    await shoot(page, '05-new-key');
    const tokenAuth = `Token ${key}`;
    assert.equal((await api('GET', '/auth/users/me/', { authorization: tokenAuth })).status, 200);
    await page.goto(`${BOUNCER_URL}${userPath}`);
    assert.equal(await page.$('#new-key'), null, 'the key is shown more than once');
    await clickAndWait(page, 'button::-p-text(Revoke key)');
    assert.match(await notice(page), /session has ended/);
    assert.equal((await api('GET', '/auth/users/me/', { authorization: tokenAuth })).status, 401);

    // End every session: the refresh token is refused.
    await clickAndWait(page, 'button::-p-text(End all sessions)');
    assert.match(await notice(page), /Every session/);
    const refreshed = await api('POST', '/api/token/refresh/', { body: { refresh: bob.refresh } });
    assert.equal(refreshed.status, 401, JSON.stringify(refreshed.body));
    await shoot(page, '06-user-after');

    await page.goto(`${BOUNCER_URL}/admin/groups/`);
    await shoot(page, '07-groups');
    await clickAndWait(page, 'a::-p-text(Manager)');
    assert.ok((await page.content()).includes(bob.username));
    await shoot(page, '08-group');
    await page.goto(`${BOUNCER_URL}/admin/revocations/`);
    await shoot(page, '09-revocations');
    await page.goto(`${BOUNCER_URL}/admin/settings/`);
    assert.match(await page.$eval('main', (element) => element.textContent), /signing_secret/);
    await shoot(page, '10-settings');
    await page.goto(`${BOUNCER_URL}/admin/users/add/`);
    await clickAndWait(page, 'button::-p-text(Add user)');
    assert.equal(await page.$eval('#username', (element) => element.getAttribute('aria-invalid')), 'true');
    await shoot(page, '11-add-user-errors');

    await clickAndWait(page, 'button::-p-text(Log out)');
    assert.equal(new URL(page.url()).pathname, '/admin/login/');
    assert.match(await notice(page), /logged out/);
    await page.goto(`${BOUNCER_URL}/admin/users/`);
    assert.equal(new URL(page.url()).pathname, '/admin/login/');
  } finally {
    await context.close();
  }
});

test('a non-staff login is refused', async () => {
  const carol = await userWithTokens();
  const context = await browser.createBrowserContext();
  try {
    const page = await context.newPage();
    const response = await logInWithKeyboard(page, carol.username, PASSWORD);
    assert.equal(response.status(), 401);
    assert.equal(new URL(page.url()).pathname, '/admin/login/');
    assert.ok((await page.$eval('[role="alert"]', (element) => element.textContent)).includes(REFUSED));
    assert.equal((await page.cookies()).find((c) => c.name === ADMIN_COOKIE), undefined);
    await shoot(page, '12-login-refused');
  } finally {
    await context.close();
  }
});

test('a cross-site post, and a post without the CSRF field, are refused and change nothing', async () => {
  const dave = await userWithTokens();
  const context = await browser.createBrowserContext();
  const attacker = await serveOn127((request, response) => {
    response.setHeader('Content-Type', 'text/html');
    response.end(`<form method="post" action="${BOUNCER_URL}${request.url}">
      <input name="group" value="Manager"><input name="action" value="add">
      <button type="submit">Win a prize</button></form>`);
  });
  try {
    const page = await context.newPage();
    await logInWithKeyboard(page, ADMIN_USERNAME, ADMIN_PASSWORD);
    await page.goto(`${BOUNCER_URL}/admin/users/?q=${dave.username}`);
    await clickAndWait(page, `a::-p-text(${dave.username})`);
    const userPath = new URL(page.url()).pathname;

    // Another site's page (same site by the cookie rules: only the checks stop it).
    const evil = await context.newPage();
    await evil.goto(`${attacker.url}${userPath}groups/`);
    const refused = await clickAndWait(evil, 'button');
    assert.equal(refused.status(), 403);
    await shoot(evil, '13-cross-site-refused');
    await evil.close();
    await page.bringToFront();

    // The admin page's own form with its CSRF field taken out.
    await page.type('#group', 'Manager');
    await page.$eval('#group', (input) => input.form.querySelector('[name="csrf_token"]').remove());
    const missing = await clickAndWait(page, 'button::-p-text(Add to group)');
    assert.equal(missing.status(), 403);

    const { access } = await userLogin(dave.username);
    const view = await api('GET', '/api/manager-view/', { authorization: `Bearer ${access}` });
    assert.equal(view.status, 403, 'the refused posts changed something');
  } finally {
    await context.close();
    await attacker.close();
  }
});
