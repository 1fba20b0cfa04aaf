import { BedrockChatApp } from './bedrock-chat-app.component.js';

// Define once: a page may load the script twice.
if (typeof customElements !== 'undefined' && !customElements.get('bedrock-chat-app')) {
  customElements.define('bedrock-chat-app', BedrockChatApp);
}

declare global {
  interface HTMLElementTagNameMap {
    'bedrock-chat-app': BedrockChatApp;
  }
}

export { BedrockChatApp };
