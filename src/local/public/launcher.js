// The launcher-mode demo page of the local playground (plain ES module, no build): signs in the user chosen on the
// playground page in this tab (else `?user=`, else alice) and gives <bedrock-chat mode="launcher"> a token provider.

const STORAGE_KEY = 'bedrock-chat-playground:user';
/** Local id tokens are short-lived; sign in again a little before this age. */
const TOKEN_MAX_AGE_MS = 30 * 60 * 1000;

let session; // { username, idToken, issuedAt }

function chosenUser() {
  try {
    const remembered = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null');
    if (remembered?.username) return remembered.username;
  } catch {
    // Not JSON: ignored.
  }
  return new URLSearchParams(location.search).get('user') || 'alice';
}

async function signIn(username) {
  const response = await fetch('/local/sign-in', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username }),
  });
  if (!response.ok) throw new Error(`sign-in as ${username}: HTTP ${response.status}`);
  const { idToken } = await response.json();
  session = { username, idToken, issuedAt: Date.now() };
  document.getElementById('account').textContent = `Signed in as ${username}`;
}

async function tokenProvider() {
  if (!session || Date.now() - session.issuedAt > TOKEN_MAX_AGE_MS) await signIn(session?.username ?? chosenUser());
  return session.idToken;
}

signIn(chosenUser())
  .then(() => {
    document.querySelector('bedrock-chat').tokenProvider = tokenProvider;
  })
  .catch((err) => {
    document.getElementById('status').textContent = `Sign-in failed: ${err.message}. Is the playground server running?`;
  });
