// The demo page: everything auth-related goes through the client; this file only wires
// buttons to it and shows what it holds. `?mode=body` keeps the refresh token in IndexedDB
// instead of bouncer's HttpOnly cookie (see clients/js/README.md for the trade-off).
import { BouncerClient, decodeJwtPayload, indexedDbStorage } from './bouncer.js';

const baseUrl = document.querySelector('meta[name="bouncer-url"]').content;
const mode = new URLSearchParams(location.search).get('mode') === 'body' ? 'body' : 'cookie';
// Kept across reloads and shared by tabs: the CSRF token (cookie mode) or the refresh token.
const client = new BouncerClient({ baseUrl, mode, storage: indexedDbStorage() });
// For the browser tests and the developer console.
window.bouncer = client;

const $ = (id) => document.getElementById(id);

function log(line) {
  $('log').textContent = `${new Date().toLocaleTimeString()}  ${line}\n${$('log').textContent}`;
}

/** Runs a button's action, logging how it went; errors carry bouncer's message. */
async function run(what, action) {
  try {
    const result = await action();
    log(`${what}: ok`);
    return result;
  } catch (error) {
    log(`${what}: ${error.message}${error.code ? ` (${error.code})` : ''}`);
    return undefined;
  }
}

function render() {
  const signedIn = client.isAuthenticated;
  $('signed-in').hidden = !signedIn;
  $('signed-out').hidden = signedIn;
  $('status').textContent = signedIn ? 'Logged in.' : 'Not logged in.';
  if (signedIn) {
    const claims = decodeJwtPayload(client.accessToken);
    $('token-tail').textContent = `…${client.accessToken.slice(-12)}`;
    $('sid').textContent = claims.sid ?? '?';
  } else {
    $('sessions').replaceChildren();
    $('secret-result').textContent = '';
  }
  renderRemaining();
}

function renderRemaining() {
  const ms = client.accessExpiresAt - Date.now();
  $('remaining').textContent = client.isAuthenticated ? `${Math.max(0, ms / 1000).toFixed(1)} s` : '';
}

async function callSecret() {
  const response = await client.fetch('/api/secret/');
  const body = await response.json();
  $('secret-result').dataset.status = String(response.status);
  $('secret-result').textContent = `${response.status}: ${body.message ?? body.detail}`;
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
}

async function listSessions() {
  const rows = (await client.sessions()).map((session) => {
    const row = document.createElement('tr');
    row.dataset.id = session.id;
    for (const text of [session.kind, session.user_agent, session.address, session.created_at,
      session.last_used_at]) {
      row.insertCell().textContent = text ?? '';
    }
    const end = document.createElement('button');
    end.textContent = session.current ? 'End (this one)' : 'End';
    end.addEventListener('click', () => run('end session', async () => {
      await client.endSession(session.id);
      await listSessions();
    }));
    row.insertCell().append(end);
    return row;
  });
  $('sessions').replaceChildren(...rows);
}

$('credentials').addEventListener('submit', (event) => {
  event.preventDefault();
  run('log in', () => client.login($('username').value, $('password').value));
});
$('register').addEventListener('click', () => run('register and log in', async () => {
  const [username, password] = [$('username').value, $('password').value];
  await client.register({ username, password });
  await client.login(username, password);
}));
$('call').addEventListener('click', () => run('GET /api/secret/', callSecret));
$('refresh').addEventListener('click', () => run('refresh', () => client.refresh()));
$('list-sessions').addEventListener('click', () => run('list sessions', listSessions));
$('logout').addEventListener('click', () => run(`log out (${$('scope').value})`,
  () => client.logout($('scope').value)));

client.addEventListener('change', (event) => {
  if (event.detail.reason !== 'login') log(`tokens: ${event.detail.reason}`);
  render();
});
client.addEventListener('logout', (event) => log(`session over (${event.detail.reason})`));
client.addEventListener('error', (event) => log(`silent refresh failed: ${event.detail.message}`));
setInterval(renderRemaining, 250);

$('mode').textContent = mode === 'cookie' ? 'in an HttpOnly cookie' : 'in IndexedDB';
// After a reload: the session is still there if the cookie (or stored token) is.
client.restore()
  .then((restored) => log(restored ? 'session restored' : 'no session to restore'))
  .catch((error) => log(`restore session: ${error.message}`))
  .finally(() => {
    render();
    document.body.dataset.ready = 'true';
  });
