/**
 * The usage limits admin screen's chunk (`bedrock-chat-usage-admin-[hash].js`), imported by `<bedrock-chat-app>` the
 * first time an admin opens `#/admin/usage`: no other user downloads it. Defines the element once (a page may load the
 * script twice).
 */
// The full chunk (already loaded by the app): Lit, lit-localize and the shared modules stay in it.
import '../launcher/full.js';
import { BedrockChatUsageAdmin } from './usage-admin.js';

if (typeof customElements !== 'undefined' && !customElements.get('bedrock-chat-usage-admin')) {
  customElements.define('bedrock-chat-usage-admin', BedrockChatUsageAdmin);
}

declare global {
  interface HTMLElementTagNameMap {
    'bedrock-chat-usage-admin': BedrockChatUsageAdmin;
  }
}

export { BedrockChatUsageAdmin };
