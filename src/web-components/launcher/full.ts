/**
 * The lazily loaded chunk (assets/web/bedrock-chat-full.js): Lit, the chat, markdown, sign-in. `<bedrock-chat>`
 * (the entry) imports it at once in inline mode and on the first open in launcher mode; it defines
 * `<bedrock-chat-panel>`. Only ever evaluated in a browser.
 */
export { BedrockChatPanel } from './bedrock-chat-panel.js';
