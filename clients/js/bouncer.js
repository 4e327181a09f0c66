// bouncer.js: a browser client for bouncer's token endpoints. One ES module, no dependencies,
// no build step. Usage and trade-offs: README.md beside this file.
//
// What it does for a page:
// - keeps the access token in memory only (never in storage, so no script-readable copy
//   outlives the page) and refreshes it silently shortly before it expires;
// - keeps the refresh token out of JavaScript's reach in cookie mode (an HttpOnly cookie that
//   bouncer sets; the page keeps only the CSRF token, useless without the cookie), or in a
//   storage the app chooses in body mode;
// - refreshes single-flight (parallel callers await one request) and, across tabs, under a
//   Web Lock, so two tabs never present the same refresh token: bouncer treats a rotated
//   token presented again as theft and ends the session (RFC 9700 §4.14.2). What tabs share
//   is kept in IndexedDB, not localStorage: Chromium's localStorage may show a tab a value
//   another tab replaced before the lock changed hands, IndexedDB's transactions never do;
// - shares each new access token with the other tabs over a BroadcastChannel, so one refresh
//   serves them all;
// - retries a refresh whose reply was lost (network error) while bouncer's reuse grace window
//   still returns the same successor tokens;
// - wraps fetch: adds the Bearer header for bouncer's origin only and retries once after a
//   refresh when the reply is 401 `token_not_valid`.

/** @typedef {'cookie' | 'body'} Mode */
/** @typedef {'local' | 'others' | 'global'} LogoutScope */

/**
 * A storage with the Web Storage API's methods, synchronous (localStorage, sessionStorage,
 * memoryStorage()) or returning promises (indexedDbStorage()). `sharedAcrossTabs` marks one
 * whose writes every tab sees once they are done.
 * @typedef {{ getItem(key: string): string | null | Promise<string | null>,
 *             setItem(key: string, value: string): void | Promise<void>,
 *             removeItem(key: string): void | Promise<void>,
 *             sharedAcrossTabs?: boolean }} TokenStorage
 */

/**
 * @typedef {Object} ClientOptions
 * @property {string} baseUrl bouncer's origin, e.g. "https://auth.example.com".
 * @property {Mode} [mode="cookie"] where the refresh token lives: an HttpOnly cookie ("cookie")
 *   or `storage` ("body").
 * @property {TokenStorage} [storage] what survives a reload: the CSRF token (cookie mode) or
 *   the refresh token (body mode). Default: indexedDbStorage() in cookie mode (localStorage
 *   where there is no IndexedDB), memoryStorage() in body mode (nothing persisted: a reload
 *   logs out).
 * @property {string} [storageKey="bouncer"] the storage key, and the name of the lock and
 *   channel that coordinate tabs.
 * @property {boolean} [crossTab] coordinate with other tabs (Web Lock + BroadcastChannel).
 *   Default: always in cookie mode (the cookie is shared by every tab); in body mode when
 *   `storage` is shared by tabs (indexedDbStorage(), localStorage).
 * @property {number} [refreshLeadMs=60000] refresh this long before the access token expires,
 *   but never earlier than three quarters into its life.
 * @property {number} [reuseGraceMs=10000] bouncer's `refresh_reuse_grace`: how long a refresh
 *   whose reply was lost may be retried with the same refresh token.
 * @property {number} [refreshTimeoutMs=4000] give up on one refresh attempt after this long.
 * @property {typeof fetch} [fetch] the fetch to use (tests).
 */

/**
 * A session as `GET /auth/sessions/` lists it.
 * @typedef {{ id: string, kind: 'refresh' | 'key', user_agent: string | null,
 *   address: string | null, created_at: string, last_used_at: string | null,
 *   expires_at: string | null, current: boolean }} Session
 */

const LOGIN = '/api/token/';
const REFRESH = '/api/token/refresh/';
const REGISTER = '/auth/users/';
const LOGOUT = '/auth/logout/';
const SESSIONS = '/auth/sessions/';

/**
 * An HTTP error from bouncer (status and its JSON), or this client's own (status 0): code
 * `network_error` (bouncer could not be reached), `not_authenticated` (no session to refresh),
 * `cookie_mode_unsupported`.
 */
export class BouncerError extends Error {
  /**
   * @param {string} message
   * @param {{ status?: number, code?: string | null, body?: any, cause?: unknown }} [details]
   */
  constructor(message, { status = 0, code = null, body = null, cause } = {}) {
    super(message, { cause });
    this.name = 'BouncerError';
    /** HTTP status; 0 when no reply arrived. */
    this.status = status;
    /** bouncer's `code` (`token_not_valid`, `csrf_mismatch`, ...), or this client's own. */
    this.code = code;
    /** The reply's JSON (field errors of a registration, for instance). */
    this.body = body;
  }
}

/**
 * A storage in IndexedDB (database `name`, one object store): kept across reloads and shared
 * by the origin's tabs, and consistent between them: a write is visible to every tab once
 * its transaction completes, which the client awaits before releasing its lock.
 * @param {string} [name="bouncer"]
 * @returns {TokenStorage}
 */
export function indexedDbStorage(name = 'bouncer') {
  /** @type {Promise<IDBDatabase> | null} */
  let opening = null;
  const open = () => (opening ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(name, 1);
    request.onupgradeneeded = () => request.result.createObjectStore('items');
    request.onsuccess = () => {
      const db = request.result;
      db.onversionchange = () => { db.close(); opening = null; };
      resolve(db);
    };
    request.onerror = () => { opening = null; reject(request.error); };
  }));
  /** @param {IDBTransactionMode} mode @param {(store: IDBObjectStore) => IDBRequest} action */
  const run = async (mode, action) => {
    const transaction = (await open()).transaction('items', mode);
    const request = action(transaction.objectStore('items'));
    return new Promise((resolve, reject) => {
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = transaction.onabort = () => reject(transaction.error);
    });
  };
  return {
    sharedAcrossTabs: true,
    getItem: async (key) => (await run('readonly', (store) => store.get(key))) ?? null,
    setItem: async (key, value) => { await run('readwrite', (store) => store.put(String(value), key)); },
    removeItem: async (key) => { await run('readwrite', (store) => store.delete(key)); },
  };
}

/** A storage that keeps nothing across reloads and shares nothing between tabs. */
export function memoryStorage() {
  const items = new Map();
  return {
    getItem: (key) => (items.has(key) ? items.get(key) : null),
    setItem: (key, value) => void items.set(key, String(value)),
    removeItem: (key) => void items.delete(key),
  };
}

/**
 * The claims of a JWT, unverified: for display only (bouncer verifies tokens, pages do not).
 * @param {string} token
 * @returns {Record<string, any>}
 */
export function decodeJwtPayload(token) {
  const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), '=')));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class BouncerClient extends EventTarget {
  /** @type {string | null} */ #access = null;
  /** Local clock, ms: when the access token expires. */ #accessExpiresAt = 0;
  /** Its whole lifetime, ms. */ #accessLifetimeMs = 0;
  /** @type {Promise<string> | null} */ #inflight = null;
  /** @type {ReturnType<typeof setTimeout> | null} */ #timer = null;
  /** @type {BroadcastChannel | null} */ #channel = null;
  #origin; #mode; #storage; #key; #crossTab; #leadMs; #graceMs; #timeoutMs; #fetch;

  /** @param {ClientOptions} options */
  constructor(options) {
    super();
    this.#origin = new URL(options.baseUrl).origin;
    this.#mode = options.mode ?? 'cookie';
    if (this.#mode !== 'cookie' && this.#mode !== 'body') {
      throw new TypeError(`mode must be "cookie" or "body", not ${this.#mode}`);
    }
    const local = globalThis.localStorage ?? null;
    this.#storage = options.storage ?? (this.#mode === 'body' ? memoryStorage()
      : globalThis.indexedDB ? indexedDbStorage() : local ?? memoryStorage());
    this.#key = options.storageKey ?? 'bouncer';
    this.#crossTab = options.crossTab ??
      (this.#mode === 'cookie' || this.#storage === local || this.#storage.sharedAcrossTabs === true);
    this.#leadMs = options.refreshLeadMs ?? 60_000;
    this.#graceMs = options.reuseGraceMs ?? 10_000;
    this.#timeoutMs = options.refreshTimeoutMs ?? 4_000;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    if (this.#crossTab && typeof BroadcastChannel === 'function') {
      this.#channel = new BroadcastChannel(`${this.#key}:${this.#origin}`);
      this.#channel.onmessage = (event) => {
        this.#fromOtherTab(event.data).catch((error) => {
          this.dispatchEvent(new CustomEvent('error', { detail: error }));
        });
      };
    }
  }

  /** @returns {Mode} */
  get mode() { return this.#mode; }
  /** The access token, or null. Kept in memory only. */
  get accessToken() { return this.#access; }
  /** When the access token expires (ms since the epoch, this machine's clock), or 0. */
  get accessExpiresAt() { return this.#access ? this.#accessExpiresAt : 0; }
  /** Whether this tab holds an access token. */
  get isAuthenticated() { return this.#access !== null; }

  /**
   * `POST /auth/users/`: a new account. Field errors arrive as a BouncerError whose `body` is
   * `{"password": ["..."], ...}`.
   * @param {{ username: string, password: string, email?: string }} account
   */
  async register(account) {
    return this.#call(REGISTER, account, {});
  }

  /**
   * `POST /api/token/`: logs in; in cookie mode bouncer sets the refresh cookie and answers a
   * CSRF token instead of the refresh token.
   * @param {string} username
   * @param {string} password
   */
  async login(username, password) {
    const cookie = this.#mode === 'cookie';
    // Under the lock: a refresh in another tab must not overwrite the new session's cookie
    // with its old session's successor.
    await this.#locked(async () => {
      const data = await this.#call(LOGIN, { username, password }, {
        headers: cookie ? { 'X-Refresh-Cookie': '1' } : {},
      });
      if (cookie && typeof data.csrf_token !== 'string') {
        throw new BouncerError('bouncer did not answer in cookie mode (no csrf_token)', {
          status: 200, code: 'cookie_mode_unsupported',
        });
      }
      await this.#accept(data, 'login');
    });
  }

  /**
   * After a reload: gets an access token from what storage kept (the CSRF token and the
   * cookie, or the refresh token). Resolves to whether the session is still there; rejects
   * only when bouncer could not be reached (try again later).
   * @returns {Promise<boolean>}
   */
  async restore() {
    const saved = await this.#load();
    if (!saved) return false;
    if (saved.refreshExpiresAt && Date.parse(saved.refreshExpiresAt) <= Date.now()) {
      await this.#end('expired', false);
      return false;
    }
    try {
      await this.refresh();
      return true;
    } catch (error) {
      if (error instanceof BouncerError && error.code === 'network_error') throw error;
      return false;
    }
  }

  /**
   * A new access token (rotating the refresh token). Parallel calls share one request; other
   * tabs wait for it too, and a tab that receives a fresh token meanwhile uses it.
   * @returns {Promise<string>} the access token
   */
  refresh() {
    return this.#refreshFrom(this.#access);
  }

  /**
   * fetch() with the access token: adds `Authorization: Bearer` to requests for bouncer's
   * origin (relative URLs resolve against it), refreshes first when the token is about to
   * expire, and once more after a 401 `token_not_valid`, then repeats the request. A body
   * given as a ReadableStream cannot be sent twice: use a string, FormData or Blob.
   * @param {RequestInfo | URL} input
   * @param {RequestInit} [init]
   * @returns {Promise<Response>}
   */
  async fetch(input, init = {}) {
    const request = input instanceof Request
      ? new Request(input, init)
      : new Request(new URL(String(input), this.#origin), init);
    // Tokens go to bouncer only, never to another origin the page happens to call.
    if (new URL(request.url).origin !== this.#origin) return this.#fetch(request);
    await this.#freshEnough();
    const used = this.#access;
    const first = await this.#fetch(this.#withBearer(request, used));
    if (first.status !== 401 || used === null || !(await isTokenNotValid(first))) return first;
    try {
      await this.#refreshFrom(used);
    } catch {
      return first;
    }
    return this.#fetch(this.#withBearer(request, this.#access));
  }

  /**
   * `POST /auth/logout/`. "local" ends this session, "global" every session of the user,
   * "others" every other one (this one goes on). Local state is cleared (and other tabs told)
   * even when bouncer cannot be reached, except for "others".
   * @param {LogoutScope} [scope="local"]
   */
  async logout(scope = 'local') {
    await this.#freshEnough();
    await this.#locked(async () => {
      /** @type {unknown} */ let failure = null;
      try {
        const saved = await this.#load();
        const headers = { 'Content-Type': 'application/json' };
        if (this.#mode === 'cookie' && saved?.csrf) headers['X-CSRF-Token'] = saved.csrf;
        if (this.#access) headers.Authorization = `Bearer ${this.#access}`;
        const response = await this.#send(LOGOUT, {
          method: 'POST', headers, body: JSON.stringify({ scope }),
        });
        // 401: the session had already ended, which is what was asked.
        if (!response.ok && response.status !== 401) failure = await errorOf(response);
      } catch (error) {
        failure = error;
      }
      if (scope !== 'others') await this.#end('logout', true);
      if (failure) throw failure;
    });
  }

  /**
   * `GET /auth/sessions/`: the user's sessions and keys, newest first.
   * @returns {Promise<Session[]>}
   */
  async sessions() {
    const response = await this.fetch('/auth/sessions/');
    if (!response.ok) throw await errorOf(response);
    return response.json();
  }

  /**
   * `DELETE /auth/sessions/{id}/`: ends one session (a device logged in elsewhere).
   * @param {string} id
   */
  async endSession(id) {
    const response = await this.fetch(`${SESSIONS}${encodeURIComponent(id)}/`, {
      method: 'DELETE',
    });
    if (!response.ok) throw await errorOf(response);
  }

  /** Stops the refresh timer and leaves the other tabs' channel. */
  close() {
    this.#unschedule();
    this.#channel?.close();
    this.#channel = null;
  }

  // ------------------------------------------------------------------ refreshing

  /** @param {string | null} seen the access token the caller found wanting */
  #refreshFrom(seen) {
    this.#inflight ??= this.#locked(() => this.#refreshLocked(seen)).finally(() => {
      this.#inflight = null;
    });
    return this.#inflight;
  }

  /** @param {string | null} seen */
  async #refreshLocked(seen) {
    // Read under the lock: another tab may have rotated the refresh token (body mode) or
    // logged out while this one waited.
    const saved = await this.#load();
    if (!saved) {
      await this.#end('logout', false);
      throw new BouncerError('not logged in', { code: 'not_authenticated' });
    }
    // Another tab refreshed while this one waited, and shared its access token.
    if (this.#access !== null && this.#access !== seen && this.#remainingMs() > this.#margin()) {
      return this.#access;
    }
    const cookie = this.#mode === 'cookie';
    const data = await this.#withinGrace(() => this.#call(REFRESH, cookie ? {} : { refresh: saved.refresh }, {
      headers: cookie ? { 'X-CSRF-Token': saved.csrf ?? '' } : {},
      timeoutMs: this.#timeoutMs,
    })).catch(async (error) => {
      // The session is over (expired, revoked, logged out elsewhere) or this tab's proof is.
      const over = error.status === 401 ||
        (error.status === 403 && String(error.code).startsWith('csrf_'));
      if (over) await this.#end('expired', true);
      throw error;
    });
    await this.#accept(data, 'refresh');
    return /** @type {string} */ (this.#access);
  }

  /**
   * Runs `attempt` again after a network error while bouncer would still answer the same
   * refresh token with the same successors (its reuse grace window, counted from our first
   * send, which is no later than bouncer's rotation). An HTTP error is final.
   * @template T @param {() => Promise<T>} attempt @returns {Promise<T>}
   */
  async #withinGrace(attempt) {
    const started = Date.now();
    for (let tries = 0; ; tries += 1) {
      try {
        return await attempt();
      } catch (error) {
        const delay = Math.min(250 * 2 ** tries, 2_000);
        const late = Date.now() - started + delay + this.#timeoutMs > this.#graceMs;
        if (!(error instanceof BouncerError) || error.code !== 'network_error' || late) throw error;
        await sleep(delay);
      }
    }
  }

  /** Refreshes first when the access token is gone or about to expire, ignoring failures. */
  async #freshEnough() {
    if (this.#access !== null && this.#remainingMs() > 1_000) return;
    if (!this.#access && !(await this.#load())) return;
    await this.#refreshFrom(this.#access).catch(() => {});
  }

  /**
   * Takes in a login or refresh reply: the access token into memory, what survives a reload
   * into storage, the next refresh on the timer, the new access token to the other tabs. The
   * storage write completes before the caller releases the lock, so the next tab to take it
   * reads the new state.
   * @param {any} data @param {'login' | 'refresh'} reason
   */
  async #accept(data, reason) {
    const lifetimeMs = lifetimeOf(data);
    this.#access = data.access;
    this.#accessLifetimeMs = lifetimeMs;
    this.#accessExpiresAt = Date.now() + lifetimeMs;
    await this.#save(this.#mode === 'cookie'
      ? { csrf: data.csrf_token, refreshExpiresAt: data.refresh_expires_at ?? null }
      : { refresh: data.refresh, refreshExpiresAt: data.refresh_expires_at ?? null });
    this.#schedule();
    this.#channel?.postMessage({
      type: 'tokens', access: this.#access, expiresAt: this.#accessExpiresAt, lifetimeMs,
    });
    this.#changed(reason);
  }

  /** How long before expiry to refresh: a quarter of the lifetime, at most refreshLeadMs. */
  #margin() {
    return Math.min(this.#leadMs, this.#accessLifetimeMs / 4);
  }

  #remainingMs() {
    return this.#accessExpiresAt - Date.now();
  }

  #schedule() {
    this.#unschedule();
    // A little jitter keeps tabs from all waking at once (the lock makes that safe anyway).
    const delay = Math.max(0, this.#remainingMs() - this.#margin() * (1 + Math.random() / 10));
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#refreshFrom(this.#access).catch((error) => {
        this.dispatchEvent(new CustomEvent('error', { detail: error }));
        // Offline or bouncer down: try again, as long as there is a session to refresh.
        if (error.code === 'network_error' && this.#access) {
          this.#timer = setTimeout(() => this.#schedule(), 5_000);
        }
      });
    }, delay);
  }

  #unschedule() {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  // ------------------------------------------------------------------ tabs, storage, events

  /** @param {any} message */
  async #fromOtherTab(message) {
    if (message?.type === 'tokens' && typeof message.access === 'string') {
      this.#access = message.access;
      this.#accessExpiresAt = message.expiresAt;
      this.#accessLifetimeMs = message.lifetimeMs;
      this.#schedule();
      this.#changed('other-tab');
    } else if (message?.type === 'logout') {
      await this.#end('other-tab', false);
    }
  }

  /**
   * Forgets the session here (and, when `tellOthers`, in the other tabs).
   * @param {string} reason @param {boolean} tellOthers
   */
  async #end(reason, tellOthers) {
    const had = this.#access !== null || (await this.#load()) !== null;
    this.#unschedule();
    this.#access = null;
    this.#accessExpiresAt = 0;
    await this.#storage.removeItem(this.#key);
    if (tellOthers) this.#channel?.postMessage({ type: 'logout' });
    if (had) {
      this.dispatchEvent(new CustomEvent('logout', { detail: { reason } }));
      this.#changed(reason);
    }
  }

  /** @param {string} reason */
  #changed(reason) {
    this.dispatchEvent(new CustomEvent('change', {
      detail: { reason, authenticated: this.isAuthenticated, accessExpiresAt: this.accessExpiresAt },
    }));
  }

  /** @returns {Promise<{ csrf?: string, refresh?: string, refreshExpiresAt?: string | null } | null>} */
  async #load() {
    try {
      const saved = JSON.parse((await this.#storage.getItem(this.#key)) ?? 'null');
      return saved && saved.mode === this.#mode ? saved : null;
    } catch {
      return null;
    }
  }

  /** @param {object} state */
  async #save(state) {
    await this.#storage.setItem(this.#key, JSON.stringify({ mode: this.#mode, ...state }));
  }

  /**
   * Runs `task` holding this client's Web Lock (shared by every tab of this origin), or
   * alone where there are no Web Locks (insecure contexts, old browsers): then tabs are not
   * coordinated and should not share a refresh token.
   * @template T @param {() => Promise<T>} task @returns {Promise<T>}
   */
  #locked(task) {
    const locks = globalThis.navigator?.locks;
    if (!this.#crossTab || !locks) return task();
    return locks.request(`${this.#key}:${this.#origin}:refresh`, task);
  }

  // ------------------------------------------------------------------ HTTP

  /**
   * A request to bouncer. Cookie mode sends credentials (the refresh cookie); body mode never
   * does, so a stale cookie cannot make a refresh ambiguous.
   * @param {string} path @param {RequestInit & { timeoutMs?: number }} init
   */
  async #send(path, { timeoutMs, ...init }) {
    try {
      return await this.#fetch(new URL(path, this.#origin), {
        ...init,
        credentials: this.#mode === 'cookie' ? 'include' : 'omit',
        signal: timeoutMs ? AbortSignal.timeout(timeoutMs) : init.signal,
      });
    } catch (cause) {
      throw new BouncerError(`cannot reach bouncer at ${this.#origin}`, {
        code: 'network_error', cause,
      });
    }
  }

  /**
   * POSTs JSON and returns the JSON reply, or throws a BouncerError.
   * @param {string} path @param {object} body
   * @param {{ headers?: Record<string, string>, timeoutMs?: number }} options
   */
  async #call(path, body, { headers = {}, timeoutMs }) {
    const response = await this.#send(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify(body),
      timeoutMs,
    });
    if (!response.ok) throw await errorOf(response);
    return response.status === 204 ? null : response.json();
  }

  /** @param {Request} request @param {string | null} token */
  #withBearer(request, token) {
    const copy = request.clone();
    if (token) copy.headers.set('Authorization', `Bearer ${token}`);
    return copy;
  }
}

/**
 * The access token's lifetime in ms: `expires_in` when bouncer sends it, else exp - iat from
 * the token. Counted from when the reply arrived, on this machine's clock, so a skewed clock
 * does not matter.
 * @param {any} data
 */
function lifetimeOf(data) {
  if (typeof data.expires_in === 'number') return data.expires_in * 1000;
  const claims = decodeJwtPayload(data.access);
  return (claims.exp - claims.iat) * 1000;
}

/** @param {Response} response */
async function isTokenNotValid(response) {
  try {
    return (await response.clone().json()).code === 'token_not_valid';
  } catch {
    return false;
  }
}

/** @param {Response} response */
async function errorOf(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy's error page): status alone.
  }
  const fieldError = body && typeof body === 'object'
    ? Object.values(body).find(Array.isArray)?.[0]
    : null;
  const message = body?.detail ?? fieldError ?? `HTTP ${response.status}`;
  return new BouncerError(String(message), {
    status: response.status, code: body?.code ?? null, body,
  });
}
