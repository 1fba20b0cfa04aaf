import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { AuthStatus, CognitoAuthController, CognitoAuthOptions } from './cognito-auth-controller.js';

/**
 * Built-in sign-in, loaded only when it is used: the Cognito controller and the PKCE code (their own chunk,
 * `bedrock-chat-auth-[hash].js`) are imported the first time the config names a managed login (`authDomain` and
 * `userPoolClientId`) while the host gives no token provider. A page that signs in by itself (a `tokenProvider`) or
 * has no managed login never downloads them. Until the chunk has arrived the element shows the sign-in area
 * (`signed-out`); a redirect back from the managed login is completed as soon as it arrives, and a click on Sign in
 * waits for it. A failed load (network) leaves sign-in off for now and is tried again on the next update.
 */
export class LazyAuthController implements ReactiveController {
  private real?: CognitoAuthController;
  private loading?: Promise<CognitoAuthController | undefined>;

  constructor(private readonly host: ReactiveControllerHost, private readonly options: CognitoAuthOptions) {
    host.addController(this);
  }

  hostConnected(): void {}

  get status(): AuthStatus {
    return this.real ? this.real.status : this.loading ? 'signed-out' : 'off';
  }

  get enabled(): boolean {
    return this.status !== 'off';
  }

  get error(): string {
    return this.real?.error ?? '';
  }

  get user(): { readonly name: string } | undefined {
    return this.real?.user;
  }

  /** Call before each update: loads the controller once sign-in is configured, then lets it pick up the config. */
  sync(): void {
    if (this.real) return this.real.sync();
    const config = this.options.config();
    if (config?.authDomain && config.userPoolClientId) void this.load();
  }

  private load(): Promise<CognitoAuthController | undefined> {
    this.loading ??= import('./cognito-auth-controller.js').then((m) => {
      // Lit calls hostConnected of a controller added to a connected host.
      this.real = new m.CognitoAuthController(this.host, this.options);
      this.host.requestUpdate();
      return this.real;
    }, () => {
      this.loading = undefined;
      return undefined;
    });
    return this.loading;
  }

  async idToken(): Promise<string> {
    const real = this.real ?? await this.load();
    if (!real) throw new Error('Sign-in could not be loaded');
    return real.idToken();
  }

  async signIn(): Promise<void> {
    await (this.real ?? await this.load())?.signIn();
  }

  async signOut(): Promise<void> {
    await (this.real ?? await this.load())?.signOut();
  }
}
