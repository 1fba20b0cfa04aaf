import { BedrockChat } from './bedrock-chat.component.js';

// Define once: a page may load the script twice (or two bundles may both include it).
if (typeof customElements !== 'undefined' && !customElements.get('bedrock-chat')) {
  customElements.define('bedrock-chat', BedrockChat);
}

declare global {
  interface HTMLElementTagNameMap {
    'bedrock-chat': BedrockChat;
  }
}

export { BedrockChat };
