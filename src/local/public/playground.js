// Local playground page (plain ES module, no build). Served by the playground server at `/`, next to
// /bedrock-chat-app.js (assets/web), /config.json and the local identity provider (/local/users, /local/sign-in).

const STORAGE_KEY = 'bedrock-chat-playground:user';
/** Local id tokens are short-lived; sign in again a little before this age. */
const TOKEN_MAX_AGE_MS = 30 * 60 * 1000;

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

let session; // { username, displayName, idToken, issuedAt }

async function getJson(url, init) {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: HTTP ${response.status}`);
  return response.json();
}

async function signIn(user) {
  const { idToken } = await getJson('/local/sign-in', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: user.username }),
  });
  if (!idToken) throw new Error('The local sign-in returned no idToken');
  session = { username: user.username, displayName: user.displayName ?? user.username, idToken, issuedAt: Date.now() };
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ username: session.username, displayName: session.displayName }));
  showSignedIn();
}

async function tokenProvider() {
  if (!session) throw new Error('Not signed in');
  if (Date.now() - session.issuedAt > TOKEN_MAX_AGE_MS) {
    await signIn({ username: session.username, displayName: session.displayName });
  }
  return session.idToken;
}

function showSignedIn() {
  $('sign-in').hidden = true;
  const account = $('account');
  account.replaceChildren();
  const who = document.createElement('span');
  who.id = 'signed-in-as';
  who.textContent = `Signed in as ${session.displayName}`;
  const out = document.createElement('button');
  out.type = 'button';
  out.textContent = 'Sign out';
  out.addEventListener('click', signOut);
  account.append(who, out);

  // A quick sign-in gives the app its tokens (the app's own sign-in is then off).
  showApp().tokenProvider = tokenProvider;
}

/**
 * The web app: conversations in a sidebar, <bedrock-chat> in the chat pane, settings. Without a quick sign-in it
 * signs in by itself, through the local stand-in for the Cognito managed login (config.json's authDomain).
 */
function showApp() {
  let app = document.querySelector('bedrock-chat-app');
  if (!app) {
    app = document.createElement('bedrock-chat-app');
    app.setAttribute('config-url', '/config.json');
    app.setAttribute('app-title', 'Conversations');
    $('chat').append(app);
  }
  return app;
}

function signOut() {
  session = undefined;
  sessionStorage.removeItem(STORAGE_KEY);
  const app = document.querySelector('bedrock-chat-app');
  if (app) app.tokenProvider = undefined;
  $('account').replaceChildren();
  $('sign-in').hidden = false;
  $('users').querySelector('button')?.focus();
}

function setStatus(text) {
  $('status').textContent = text;
}

async function main() {
  getJson('/config.json')
    .then((config) => {
      $('model-note').textContent = config.defaultModel
        ? `Model: ${config.defaultModel}.`
        : 'Model: the backend default.';
    })
    .catch((err) => {
      $('model-note').textContent = `The configuration could not be loaded (${err.message}).`;
    });

  let users = [];
  try {
    users = await getJson('/local/users');
  } catch (err) {
    setStatus(`The local users could not be loaded (${err.message}). Is the playground server running?`);
    return;
  }
  const list = $('users');
  for (const user of users) {
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset.username = user.username;
    button.textContent = `Sign in as ${user.displayName ?? user.username}`;
    button.addEventListener('click', () => {
      setStatus('');
      signIn(user).catch((err) => setStatus(`Sign-in failed: ${err.message}`));
    });
    list.append(button);
  }

  const remembered = sessionStorage.getItem(STORAGE_KEY);
  if (remembered) {
    try {
      await signIn(JSON.parse(remembered));
      return;
    } catch (err) {
      sessionStorage.removeItem(STORAGE_KEY);
      setStatus(`Signing in again failed: ${err.message}`);
    }
  }
  $('sign-in').hidden = false;
  showApp();
}

main().catch((err) => setStatus(String(err)));
