/**
 * Entry of the browser bundle (assets/web/bedrock-chat.js).
 *
 * Lit's browser build declares `class extends HTMLElement` and reads `document` when it is evaluated, so the
 * element module is only evaluated where custom elements exist. Importing this file in Node (server-side
 * rendering, tests) therefore does nothing and defines nothing.
 */
export type { BedrockChat, BedrockChatConfig, TokenProvider } from './bedrock-chat/bedrock-chat.component.js';
export type {
  BedrockChatSendDetail,
  BedrockChatMessageDetail,
  BedrockChatErrorDetail,
} from './bedrock-chat/events.js';

/**
 * Resolves to `true` once `<bedrock-chat>` is defined, or to `false` where there are no custom elements (Node).
 */
export const ready: Promise<boolean> = typeof customElements !== 'undefined' && typeof HTMLElement !== 'undefined'
  ? import('./bedrock-chat/define.js').then(() => true)
  : Promise.resolve(false);
