import { msg } from '@lit/localize';
import { css, html, nothing } from 'lit';
import type { PropertyValues, TemplateResult } from 'lit';
import { BedrockChat } from '../bedrock-chat/bedrock-chat.component.js';
import type { BedrockChatConfig, TokenProvider } from '../bedrock-chat/bedrock-chat.component.js';
import type { BedrockChatErrorDetail } from '../bedrock-chat/events.js';
import { LazyAuthController } from '../shared/auth/lazy-auth-controller.js';
import type { AuthConfig } from '../shared/auth/pkce.js';

/** config.json with the optional built-in sign-in fields (`authDomain`, `userPoolClientId`, `redirectUri`, `logoutUri`). */
export type BedrockChatPanelConfig = BedrockChatConfig & AuthConfig;

const authStyles = css`
  .auth {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.5rem;
    margin: 0 0.75rem 0.5rem;
  }

  .auth.signed-in {
    justify-content: flex-end;
    margin-bottom: 0.25rem;
  }

  .auth-text {
    margin: 0;
    flex: 1 1 auto;
  }

  .auth .error {
    flex-basis: 100%;
    margin: 0;
  }

  .sign-out {
    font: inherit;
    font-size: 0.85em;
    color: var(--_fg);
    background: transparent;
    border: 1px solid var(--_border);
    padding: 0.25rem 0.75rem;
    min-height: 2rem;
  }
`;

/**
 * The full chat element (`<bedrock-chat-panel>`, loaded lazily by `<bedrock-chat>`): `BedrockChat` plus built-in
 * Cognito sign-in (authorization code + PKCE) when no `tokenProvider` is set and the config has `authDomain`.
 *
 * `<bedrock-chat>` sets `renderTarget` to an element of its own shadow root, so the chat renders there (its shadow
 * root holds the whole UI and `::part()` works without `exportparts`); without it, the panel has its own shadow root.
 */
export class BedrockChatPanel extends BedrockChat {
  static override styles = [...BedrockChat.styles, authStyles];

  /** Render into this element (inside the `<bedrock-chat>` shadow root) instead of an own shadow root. */
  renderTarget?: HTMLElement;

  private readonly auth = new LazyAuthController(this, {
    // Off while the host provides its own tokens.
    config: () => (this.tokenProvider && this.tokenProvider !== this.builtInProvider
      ? undefined : this.currentConfig as BedrockChatPanelConfig | undefined),
    onError: (error) => this.dispatchEvent(new CustomEvent<BedrockChatErrorDetail>('bedrock-chat-error', {
      detail: { code: 'AUTH', message: error.message, serverMessage: error.code },
      bubbles: true,
      composed: true,
    })),
  });

  private readonly builtInProvider: TokenProvider = () => this.auth.idToken();

  /** The adopted style sheets of the element, for a host that renders it into its own shadow root. */
  static get sheets(): CSSStyleSheet[] {
    this.finalize();
    return this.elementStyles.map((s) => (s instanceof CSSStyleSheet ? s : s.styleSheet!));
  }

  /** Built-in sign-in: redirects to the Cognito managed login page. */
  signIn(): Promise<void> {
    return this.auth.signIn();
  }

  /** Built-in sign-in: forgets the tokens and signs out of the Cognito managed login. */
  signOut(): Promise<void> {
    return this.auth.signOut();
  }

  protected override createRenderRoot(): HTMLElement | DocumentFragment {
    return this.renderTarget ?? super.createRenderRoot();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    this.auth.sync();
    const builtIn = this.tokenProvider === this.builtInProvider;
    if (this.auth.status === 'signed-in' && !this.tokenProvider) this.tokenProvider = this.builtInProvider;
    else if (builtIn && this.auth.status !== 'signed-in') this.tokenProvider = undefined;
    super.willUpdate(changed);
  }

  protected override renderAuth(): TemplateResult | typeof nothing {
    if (!this.auth.enabled) return super.renderAuth();
    const status = this.auth.status;
    if (status === 'signed-in') {
      return html`<div class="auth signed-in"><button part="sign-out" class="sign-out" type="button"
        @click=${() => void this.signOut()}>${msg('Sign out')}</button></div>`;
    }
    const busy = status === 'redirecting' || status === 'completing';
    return html`<div part="sign-in-area" class="auth">
      <p class="auth-text">${busy ? msg('Signing in…') : msg('Sign in to start chatting.')}</p>
      <button part="sign-in" class="send" type="button" ?disabled=${busy} @click=${() => void this.signIn()}>${msg('Sign in')}</button>
      ${this.auth.error ? html`<p part="auth-error" class="error" role="alert">${this.auth.error}</p>` : nothing}
    </div>`;
  }
}

// Define once: a page may load the chunk twice.
if (!customElements.get('bedrock-chat-panel')) customElements.define('bedrock-chat-panel', BedrockChatPanel);

declare global {
  interface HTMLElementTagNameMap {
    'bedrock-chat-panel': BedrockChatPanel;
  }
}
