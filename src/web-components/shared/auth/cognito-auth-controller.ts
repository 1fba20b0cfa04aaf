import type { ReactiveController, ReactiveControllerHost } from 'lit';
import {
  AUTH_TEXT, AuthError, authorizeUrl, challengeOf, exchangeCode, jwtClaims, logoutUrl, pageUrl, randomString, refreshTokens, revoke,
} from './pkce.js';
import type { AuthConfig, PendingSignIn, Tokens } from './pkce.js';

export type AuthStatus = 'off' | 'signed-out' | 'redirecting' | 'completing' | 'signed-in';

export interface CognitoAuthOptions {
  /** The current config; built-in sign-in is on when it has `authDomain` and `userPoolClientId`. */
  readonly config: () => AuthConfig | undefined;
  /** A failure the user should see (already in words a user understands). */
  readonly onError?: (error: AuthError) => void;
}

/** Refresh this long before the id token expires. */
export const REFRESH_MARGIN_MS = 60_000;
const PREFIX = 'bedrock-chat:auth:';
/** Several elements on one page share one code exchange (a code can be used only once). */
const exchanges = new Map<string, Promise<Tokens>>();

function read<T>(key: string): T | undefined {
  try {
    const raw = sessionStorage.getItem(key);
    return raw ? JSON.parse(raw) as T : undefined;
  } catch {
    return undefined;
  }
}

function write(key: string, value: unknown): void {
  try {
    if (value === undefined) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage unavailable (sandboxed frame, quota): tokens then live in memory only.
  }
}

/**
 * Cognito managed login with the authorization code grant and PKCE, as a reactive controller.
 *
 * The refresh token lives in memory only; `sessionStorage` (per tab, gone when the tab closes) holds the id and
 * access tokens and their expiry, so a reload stays signed in until the id token expires. The refresh token is the
 * long-lived credential (it mints new tokens for its whole validity): a script that reads storage once (an XSS, a
 * browser extension, a later page on the origin) must not be able to take it away. Cost: after a reload the id token
 * cannot be refreshed; when it expires the user signs in again (usually without typing: the managed login session
 * cookie). The id token is refreshed `REFRESH_MARGIN_MS` before it expires (a timer, and again on use if the timer
 * was throttled), as long as the page has the refresh token.
 */
export class CognitoAuthController implements ReactiveController {
  status: AuthStatus = 'off';
  /** The last failure, as shown to the user; cleared by a successful sign-in. */
  error = '';
  private tokens?: Tokens;
  private config?: AuthConfig;
  private clientKey?: string;
  private timer?: ReturnType<typeof setTimeout>;
  private refreshing?: Promise<Tokens>;

  constructor(private readonly host: ReactiveControllerHost, private readonly options: CognitoAuthOptions) {
    host.addController(this);
  }

  get enabled(): boolean {
    return this.status !== 'off';
  }

  hostConnected(): void {
    if (this.tokens) this.schedule();
  }

  hostDisconnected(): void {
    clearTimeout(this.timer);
  }

  /** Call before each update: picks up a new or changed config (and completes a pending redirect). */
  sync(): void {
    const config = this.options.config();
    const key = config?.authDomain && config.userPoolClientId ? `${config.authDomain}|${config.userPoolClientId}` : undefined;
    if (key === this.clientKey) return;
    this.clientKey = key;
    this.config = config;
    clearTimeout(this.timer);
    this.tokens = undefined;
    if (!key || !config) {
      this.status = 'off';
      return;
    }
    this.status = 'signed-out';
    void this.start(config, key);
  }

  /** A current id token, refreshed first when it expires within the margin. */
  async idToken(): Promise<string> {
    if (!this.tokens) throw new AuthError(AUTH_TEXT.expired, 'signed_out');
    if (this.tokens.expiresAt - Date.now() < REFRESH_MARGIN_MS) return (await this.refresh()).idToken;
    return this.tokens.idToken;
  }

  /** Who is signed in, from the id token's claims (for display only: the backend verifies the token). */
  get user(): { readonly name: string } | undefined {
    const claims = this.tokens ? jwtClaims(this.tokens.idToken) : undefined;
    if (!claims) return undefined;
    const name = [claims.name, claims.email, claims.preferred_username, claims['cognito:username']]
      .find((v): v is string => typeof v === 'string' && v.length > 0);
    return { name: name ?? '' };
  }

  /** Redirects to the managed login page. */
  async signIn(): Promise<void> {
    const config = this.config;
    if (!config) return;
    try {
      const verifier = randomString(48);
      const state = randomString(24);
      const redirectUri = config.redirectUri ?? pageUrl(location);
      const challenge = await challengeOf(verifier);
      write(this.pendingKey, { state, verifier, redirectUri, createdAt: Date.now() } satisfies PendingSignIn);
      this.set('redirecting', '');
      location.assign(authorizeUrl(config, redirectUri, challenge, state));
    } catch (err) {
      this.failed(err);
    }
  }

  /** Forgets the tokens (memory and storage), revokes the refresh token, then goes to the managed logout. */
  async signOut(): Promise<void> {
    const config = this.config;
    if (!config) return;
    const refreshToken = this.tokens?.refreshToken;
    this.forget();
    this.set('redirecting', '');
    if (refreshToken) await revoke(config, refreshToken);
    location.assign(logoutUrl(config, config.logoutUri ?? config.redirectUri ?? pageUrl(location)));
  }

  private get pendingKey(): string {
    return `${PREFIX}${this.config?.userPoolClientId}:pending`;
  }

  private get tokenKey(): string {
    return `${PREFIX}${this.config?.userPoolClientId}`;
  }

  private async start(config: AuthConfig, key: string): Promise<void> {
    const params = new URLSearchParams(location.search);
    const pending = read<PendingSignIn>(this.pendingKey);
    const returned = params.has('state') && (params.has('code') || params.has('error'));
    if (returned && pending) {
      this.set('completing', '');
      write(this.pendingKey, undefined);
      cleanUrl();
      try {
        if (params.get('state') !== pending.state) throw new AuthError(AUTH_TEXT.state, 'state_mismatch');
        const error = params.get('error');
        if (error) throw new AuthError(error === 'access_denied' ? AUTH_TEXT.denied : `${AUTH_TEXT.denied} (${params.get('error_description') || error})`, error);
        const code = params.get('code')!;
        let exchange = exchanges.get(code);
        if (!exchange) exchanges.set(code, exchange = exchangeCode(config, code, pending));
        this.accept(await exchange, key);
      } catch (err) {
        if (this.clientKey === key) this.failed(err);
      }
      return;
    }
    const stored = read<Tokens>(this.tokenKey);
    if (!stored?.idToken) return;
    this.tokens = stored;
    if (stored.expiresAt - Date.now() < REFRESH_MARGIN_MS) {
      await this.refresh().catch(() => undefined);
    } else {
      this.set('signed-in', '');
      this.schedule();
    }
  }

  private accept(tokens: Tokens, key: string): void {
    if (this.clientKey !== key) return;
    this.tokens = tokens;
    // Never the refresh token (see the class comment).
    write(this.tokenKey, { ...tokens, refreshToken: undefined });
    this.set('signed-in', '');
    this.schedule();
  }

  private refresh(): Promise<Tokens> {
    const config = this.config;
    const key = this.clientKey!;
    const refreshToken = this.tokens?.refreshToken;
    if (!config || !refreshToken) {
      const err = new AuthError(AUTH_TEXT.expired, 'no_refresh_token');
      this.forget();
      this.failed(err);
      return Promise.reject(err);
    }
    this.refreshing ??= refreshTokens(config, refreshToken).then((tokens) => {
      this.accept(tokens, key);
      return tokens;
    }, (err: unknown) => {
      if (this.clientKey === key) {
        this.forget();
        this.failed(err);
      }
      throw err;
    }).finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (!this.tokens?.refreshToken) return;
    const delay = Math.max(0, this.tokens.expiresAt - Date.now() - REFRESH_MARGIN_MS);
    this.timer = setTimeout(() => void this.refresh().catch(() => undefined), Math.min(delay, 2 ** 31 - 1));
  }

  private forget(): void {
    clearTimeout(this.timer);
    this.tokens = undefined;
    write(this.tokenKey, undefined);
  }

  private failed(err: unknown): void {
    const error = err instanceof AuthError ? err : new AuthError(AUTH_TEXT.network, 'unknown');
    this.set('signed-out', error.message);
    this.options.onError?.(error);
  }

  private set(status: AuthStatus, error: string): void {
    this.status = status;
    this.error = error;
    this.host.requestUpdate();
  }
}

/** Removes the OAuth reply (`code`, `state`, `error`, …) from the address bar, keeping other parameters. */
function cleanUrl(): void {
  const url = new URL(location.href);
  for (const name of ['code', 'state', 'error', 'error_description', 'error_uri']) url.searchParams.delete(name);
  history.replaceState(history.state, '', url.href);
}
