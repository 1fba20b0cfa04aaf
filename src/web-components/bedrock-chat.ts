/**
 * Entry of the browser bundle (assets/web/bedrock-chat.js): a few KB that define `<bedrock-chat>`. The full chat
 * (Lit, markdown, sign-in) is the chunk `bedrock-chat-full.js` next to this file, imported relative to this module's
 * URL (so embedding from another origin works): at once in inline mode, on the first open in launcher mode
 * (`<bedrock-chat mode="launcher">`).
 *
 * Nothing touches the DOM at top level: importing this file in Node (server-side rendering, tests) does nothing
 * and defines nothing.
 */
export type { BedrockChat, BedrockChatConfig, TokenProvider } from './bedrock-chat/bedrock-chat.component.js';
export type {
  BedrockChatSendDetail,
  BedrockChatMessageDetail,
  BedrockChatErrorDetail,
} from './bedrock-chat/events.js';
export type { BedrockChatElement, ChatPanel } from './launcher/bedrock-chat-element.js';
export type { BedrockChatPanel, BedrockChatPanelConfig } from './launcher/bedrock-chat-panel.js';
export type { AuthConfig } from './shared/auth/pkce.js';
import { defineBedrockChat } from './launcher/bedrock-chat-element.js';

const browser = typeof customElements !== 'undefined' && typeof HTMLElement !== 'undefined';
if (browser) defineBedrockChat(new URL(/* @vite-ignore */ './bedrock-chat-full.js', import.meta.url).href);

/**
 * Resolves to `true` once `<bedrock-chat>` is defined, or to `false` where there are no custom elements (Node).
 * The full element loads separately: `await element.updateComplete` waits for it (inline mode).
 */
export const ready: Promise<boolean> = Promise.resolve(browser);
