// Host-page glue for the embed example (plain ES module, no build step).
//
// 1. Loads the widget module with <script type="module" src="<widget URL>">.
// 2. Points <bedrock-chat> at the config.json next to the widget.
// 3. Hands the element a tokenProvider backed by the host app's own sign-in.

/**
 * Where the widget comes from: the local playground (`npm start`) by default. For a deployed frontend, set this to
 * your stack's WidgetUrl output, or open the page with `?widget=https://<distribution>/bedrock-chat.js`.
 */
export const WIDGET_URL = 'http://127.0.0.1:8080/bedrock-chat.js';

/** Loopback hosts: only a page served from one of these accepts ?widget= and ?config= (see README, Security). */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const status = (text) => { $('host-status').textContent = text; };

function urlsFromPage() {
  const params = new URLSearchParams(location.search);
  const overridable = LOOPBACK.has(location.hostname);
  if (!overridable && (params.has('widget') || params.has('config'))) {
    status('?widget= and ?config= are ignored on a page that is not served from a loopback address.');
  }
  const widgetUrl = new URL((overridable && params.get('widget')) || WIDGET_URL, location.href);
  const configUrl = new URL((overridable && params.get('config')) || 'config.json', widgetUrl);
  for (const url of [widgetUrl, configUrl]) {
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
      throw new Error(`Refusing ${url.href}: use https:// (or http:// on a loopback address).`);
    }
  }
  return { widgetUrl, configUrl };
}

function loadWidget(widgetUrl) {
  // The same element a static page would write: <script type="module" src="...">. Loading it twice is harmless.
  const script = document.createElement('script');
  script.type = 'module';
  script.src = widgetUrl.href;
  script.addEventListener('error', () => status(`Could not load the widget from ${widgetUrl.href}.`));
  document.head.append(script);
}

// ---------------------------------------------------------------------------------------------------------------
// The host app's session. A real app already has one: replace signIn/refresh with it, for example with Amplify
//   import { fetchAuthSession } from 'aws-amplify/auth';
//   const idToken = async () => (await fetchAuthSession()).tokens?.idToken?.toString();
// The token must be an id token of the backend's user pool and app client (the widget's WebSocket and REST API
// verify issuer and audience). Here, against the local playground, its built-in identity provider signs users in.
// ---------------------------------------------------------------------------------------------------------------

/** @type {{ username: string, idToken: string, expiresAt: number } | undefined} */
let session;

/** Seconds-since-epoch `exp` of a JWT, in milliseconds (0 when unreadable). */
function expiryOf(jwt) {
  try {
    const payload = JSON.parse(atob(jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return typeof payload.exp === 'number' ? payload.exp * 1000 : 0;
  } catch {
    return 0;
  }
}

async function localSignIn(origin, username) {
  const response = await fetch(new URL('/local/sign-in', origin), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username }),
  });
  if (!response.ok) throw new Error(`Sign-in failed: HTTP ${response.status}`);
  const { idToken } = await response.json();
  session = { username, idToken, expiresAt: expiryOf(idToken) };
  return session;
}

/**
 * What the widget calls before each connection and REST call: a valid id token, refreshed a minute before it
 * expires. Errors surface in the widget as a `bedrock-chat-error` with code `AUTH`.
 */
function tokenProviderFor(origin) {
  return async () => {
    if (!session) throw new Error('Not signed in');
    if (session.expiresAt && Date.now() > session.expiresAt - 60_000) await localSignIn(origin, session.username);
    return session.idToken;
  };
}

async function main() {
  const { widgetUrl, configUrl } = urlsFromPage();
  const chat = /** @type {HTMLElement & { tokenProvider?: () => Promise<string> }} */ (document.querySelector('bedrock-chat'));
  chat.setAttribute('config-url', configUrl.href);
  chat.addEventListener('bedrock-chat-error', (event) => status(`Chat: ${event.detail.message}`));
  loadWidget(widgetUrl);

  let config;
  try {
    config = await (await fetch(configUrl)).json();
  } catch {
    status(`Could not read ${configUrl.href} (is the frontend or the playground running, and does it allow CORS?).`);
    return;
  }
  if (!config.local) {
    status('Deployed backend: replace the session code in embed.js with your app\'s sign-in to chat.');
    return;
  }
  const signInBox = $('host-sign-in');
  signInBox.hidden = false;
  signInBox.addEventListener('click', async (event) => {
    const username = /** @type {HTMLElement} */ (event.target).dataset?.user;
    if (!username) return;
    try {
      await localSignIn(widgetUrl.origin, username);
      $('host-account').textContent = `Signed in as ${username}`;
      signInBox.hidden = true;
      chat.tokenProvider = tokenProviderFor(widgetUrl.origin);
    } catch (err) {
      status(String(err?.message ?? err));
    }
  });
}

main().catch((err) => status(String(err?.message ?? err)));
