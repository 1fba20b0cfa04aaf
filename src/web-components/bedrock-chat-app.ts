/**
 * Entry of the web app (assets/web/bedrock-chat-app.js): defines `<bedrock-chat>` (through `bedrock-chat.js`), then,
 * in a browser, loads the app chunk that defines `<bedrock-chat-history>` and `<bedrock-chat-app>` (it shares Lit and
 * the chat with `bedrock-chat-full.js`, which it imports).
 *
 * Nothing touches the DOM at top level: importing this file in Node does nothing and defines nothing.
 */
export type { BedrockChatApp, Theme } from './app/bedrock-chat-app.component.js';
export type {
  BedrockChatHistory, BedrockChatDeleteDetail, BedrockChatRenameDetail, BedrockChatSelectDetail, ConversationSummary,
} from './history/bedrock-chat-history.component.js';
export type { BedrockChatConversationDetail } from './bedrock-chat/events.js';
import { ready as chatReady } from './bedrock-chat.js';

/** Resolves to `true` once `<bedrock-chat-app>` and `<bedrock-chat-history>` are defined, `false` without custom elements. */
export const ready: Promise<boolean> = chatReady.then((browser) => (browser ? import('./app/app.js').then(() => true) : false));
