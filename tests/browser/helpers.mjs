// Shared by the browser tests: the browser, the demo page's origins, pages on other origins,
// and one helper per thing a test does in a page. tests/browser/run sets the environment:
// BOUNCER_URL and PAGE_URL (the spa example with bouncer's defaults), NO_GRACE_BOUNCER_URL and
// NO_GRACE_PAGE_URL (the same with `refresh_reuse_grace = 0s`), ACCESS_LIFETIME_MS, CHROMIUM
// and BROWSER_TEST_MODULES (where puppeteer-core was installed).
import assert from 'node:assert/strict';
import http from 'node:http';
import { createRequire } from 'node:module';

const required = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the browser tests with tests/browser/run`);
  return value;
};

export const BOUNCER_URL = required('BOUNCER_URL');
export const PAGE_URL = required('PAGE_URL');
export const NO_GRACE_BOUNCER_URL = required('NO_GRACE_BOUNCER_URL');
export const NO_GRACE_PAGE_URL = required('NO_GRACE_PAGE_URL');
export const ACCESS_LIFETIME_MS = Number(required('ACCESS_LIFETIME_MS'));
export const PASSWORD = 'correct-horse-battery-staple-42';
/** bouncer's refresh cookie with its default `refresh_cookie.secure = true`. */
export const REFRESH_COOKIE = '__Host-bouncer_refresh';

// puppeteer-core lives in the run's temporary directory, not beside these files.
const puppeteer = createRequire(`${required('BROWSER_TEST_MODULES')}/`)('puppeteer-core');

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let counter = 0;
/** A username no other test (or earlier run on the same database) has used. */
export function newUsername() {
  counter += 1;
  return `u${Date.now().toString(36)}${process.pid.toString(36)}n${counter}`;
}

/** Headless Debian Chromium; each test takes its own context (cookies, storage, locks). */
export function launchBrowser() {
  return puppeteer.launch({
    executablePath: required('CHROMIUM'),
    headless: true,
    // Root (CI) cannot use Chromium's sandbox; /dev/shm is small in containers.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--no-first-run'],
  });
}

/**
 * Opens the demo page (`?mode=body` for body mode) and waits until it has tried to restore a
 * session. Console errors and uncaught exceptions are kept for failure messages.
 * @returns {Promise<import('puppeteer-core').Page>}
 */
export async function openApp(context, { mode = 'cookie', origin = PAGE_URL } = {}) {
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (error) => page.problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') page.problems.push(`console: ${message.text()}`);
  });
  await page.goto(`${origin}/${mode === 'body' ? '?mode=body' : ''}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
  return page;
}

/** The page's log and the errors it printed: what a failure message should show. */
export async function diagnose(page) {
  const log = await page.$eval('#log', (element) => element.textContent).catch(() => '?');
  return `page log:\n${log}\nproblems: ${JSON.stringify(page.problems ?? [])}`;
}

/** Fills the form and clicks a button, then waits for the page to log the outcome. */
async function submitCredentials(page, username, button, logPrefix) {
  await page.$eval('#username', (element, value) => { element.value = value; }, username);
  await page.$eval('#password', (element, value) => { element.value = value; }, PASSWORD);
  await page.click(button);
  await page.waitForFunction(
    (prefix) => document.getElementById('log').textContent.includes(`${prefix}:`),
    { timeout: 15_000 },
    logPrefix,
  );
  return page.$eval('#log', (element) => element.textContent);
}

/** Registers `username` and logs in through the page's form; fails the test if it did not. */
export async function registerAndLogIn(page, username = newUsername()) {
  const log = await submitCredentials(page, username, '#register', 'register and log in');
  assert.match(log, /register and log in: ok/, await diagnose(page));
  return username;
}

/** Logs in through the page's form; fails the test if it did not. */
export async function logIn(page, username) {
  const log = await submitCredentials(page, username, '#login', 'log in');
  assert.match(log, /log in: ok/, await diagnose(page));
}

/** Tries to register and log in; returns the page's log line (for pages expected to fail). */
export async function tryRegisterAndLogIn(page, username) {
  return submitCredentials(page, username, '#register', 'register and log in');
}

/** The client's access token in that page (memory only: read through `window.bouncer`). */
export function accessToken(page) {
  return page.evaluate(() => window.bouncer.accessToken);
}

/** What the client keeps across reloads in that page (its IndexedDB record), as a string. */
export function storedState(page) {
  return page.evaluate(async () => {
    const { indexedDbStorage } = await import('/bouncer.js');
    return indexedDbStorage().getItem('bouncer');
  });
}

/** GET /api/secret/ through the client's fetch wrapper: `{ status, body }`. */
export function callSecret(page) {
  return page.evaluate(async () => {
    const response = await window.bouncer.fetch('/api/secret/');
    return { status: response.status, body: await response.json() };
  });
}

/** GET /api/secret/ with a given token and plain fetch (no refresh, no retry). */
export function callSecretWith(page, token) {
  return page.evaluate(async (bearer) => {
    const bouncer = document.querySelector('meta[name="bouncer-url"]').content;
    const response = await fetch(`${bouncer}/api/secret/`, {
      headers: { Authorization: `Bearer ${bearer}` },
    });
    return { status: response.status, body: await response.json() };
  }, token);
}

/** Runs `client.refresh()` in the page: `{ ok, access }` or `{ ok: false, status, code }`. */
export function refreshIn(page) {
  return page.evaluate(async () => {
    try {
      return { ok: true, access: await window.bouncer.refresh() };
    } catch (error) {
      return { ok: false, status: error.status, code: error.code, message: error.message };
    }
  });
}

/**
 * Every reply from another origin than the page's (bouncer's) to this page, preflights left
 * out, in order: `{ method, path, status }`.
 */
export function recordBouncerReplies(page) {
  const replies = [];
  page.on('response', (response) => {
    const url = new URL(response.url());
    const own = url.origin === new URL(page.url()).origin;
    if (!own && response.request().method() !== 'OPTIONS') {
      replies.push({ method: response.request().method(), path: url.pathname, status: response.status() });
    }
  });
  return replies;
}

/** The browser's cookie for bouncer named `name` (HttpOnly ones too), or undefined. */
export async function bouncerCookie(context, { name = REFRESH_COOKIE, bouncer = BOUNCER_URL } = {}) {
  const page = (await context.pages())[0] ?? (await context.newPage());
  const cookies = await page.cookies(bouncer);
  return cookies.find((cookie) => cookie.name === name);
}

/**
 * A plain HTTP server on a free 127.0.0.1 port: a page on an origin bouncer does not list.
 * `handler(request, response)` answers; resolves to `{ url, close }`.
 */
export async function serveOn127(handler) {
  const server = http.createServer(handler);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    }),
  };
}

/**
 * The demo page served again from another port: the same files, fetched from the page server,
 * so only the origin differs.
 */
export async function serveCopyOfApp() {
  return serveOn127(async (request, response) => {
    const path = new URL(request.url, 'http://x').pathname;
    const upstream = await fetch(`${PAGE_URL}${path}`);
    response.writeHead(upstream.status, {
      'Content-Type': upstream.headers.get('content-type') ?? 'text/plain',
    });
    response.end(Buffer.from(await upstream.arrayBuffer()));
  });
}
