import { BedrockChatHistory } from './bedrock-chat-history.component.js';

// Define once: a page may load the script twice.
if (typeof customElements !== 'undefined' && !customElements.get('bedrock-chat-history')) {
  customElements.define('bedrock-chat-history', BedrockChatHistory);
}

declare global {
  interface HTMLElementTagNameMap {
    'bedrock-chat-history': BedrockChatHistory;
  }
}

export { BedrockChatHistory };
