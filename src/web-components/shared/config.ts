/**
 * The runtime config (`config.json`), the token provider and authenticated REST calls: shared by `<bedrock-chat>`,
 * `<bedrock-chat-history>` and `<bedrock-chat-app>`. Nothing here touches the DOM at import time.
 */

/** Returns a current id token (called before each connection and REST call, so it may refresh). */
export type TokenProvider = () => Promise<string>;

/** The runtime config (`config.json`) written by BedrockChatFrontend. */
export interface BedrockChatConfig {
  readonly version?: number;
  readonly region?: string;
  readonly webSocketUrl: string;
  readonly restApiUrl: string;
  readonly userPoolId?: string;
  readonly userPoolClientId?: string;
  readonly defaultModel?: string;
  /** Branding (BedrockChatFrontend `branding`): the app's name, shown in the top bar and the page title. */
  readonly appName?: string;
  /** Branding: the logo's URL (a path on the site, or an https URL), shown at the top of the sidebar. */
  readonly logoUrl?: string;
  /** Branding: the accent colour, `#rrggbb` (buttons, links, focus). */
  readonly accentColor?: string;
}

/** No token provider, or it returned no token (the user is not signed in). */
export class AuthError extends Error {}

/** A REST call answered with an error status. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Loads and checks `config.json` (`webSocketUrl` and `restApiUrl` are required). */
export async function fetchConfig(url: string): Promise<BedrockChatConfig> {
  const response = await fetch(url, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const value = (await response.json()) as BedrockChatConfig;
  if (typeof value?.webSocketUrl !== 'string' || typeof value.restApiUrl !== 'string') {
    throw new Error(`${url}: webSocketUrl and restApiUrl are required`);
  }
  return value;
}

/** A token from the provider; `AuthError` without a provider or token. */
export async function tokenFrom(provider: TokenProvider | undefined): Promise<string> {
  if (!provider) throw new AuthError('No token provider');
  const token = await provider();
  if (!token) throw new AuthError('The token provider returned no token');
  return token;
}

/**
 * `fetch` of `{restApiUrl}{path}` with `Authorization: Bearer <token>` (and a JSON body when given). Returns the
 * status and the parsed body of a successful answer (`undefined` for 204 or a failure).
 */
export async function api<T>(config: BedrockChatConfig, path: string, token: string,
  init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body?: T }> {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${config.restApiUrl.replace(/\/+$/, '')}${path}`, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = response.ok && response.status !== 204 ? await response.text() : '';
  return { status: response.status, body: text ? (JSON.parse(text) as T) : undefined };
}

/** Like `api`, but throws `AuthError` on 401 and `HttpError` on any other failure. */
export async function apiOk<T>(config: BedrockChatConfig, path: string, token: string,
  init: { method?: string; body?: unknown } = {}): Promise<T | undefined> {
  const { status, body } = await api<T>(config, path, token, init);
  if (status === 401) throw new AuthError('HTTP 401 from the REST API');
  if (status < 200 || status >= 300) throw new HttpError(status, `${init.method ?? 'GET'} ${path}: HTTP ${status}`);
  return body;
}
