/**
 * The lazily loaded chunk (assets/web/bedrock-chat-full.js): Lit, the chat, markdown, sign-in, translations.
 * `<bedrock-chat>` (the entry) imports it at once in inline mode and on the first open in launcher mode; it defines
 * `<bedrock-chat-panel>`. Only ever evaluated in a browser.
 *
 * It imports the entry (already loaded: the entry is what loads this chunk, from the same folder), so that what both
 * need (the locale matching) stays in the entry and no third file is requested.
 */
import '../bedrock-chat.js';
export { BedrockChatPanel } from './bedrock-chat-panel.js';
