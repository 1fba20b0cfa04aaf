/**
 * The bot screens' chunk (`bedrock-chat-bots-[hash].js`), imported by `<bedrock-chat-app>` the first time it renders
 * (the sidebar's bot list) so that neither the widget nor the app's first chunk carry the store, the editor or the
 * share dialog. Defines each element once (a page may load the script twice).
 */
// The full chunk (already loaded by the app): Lit, lit-localize and the shared modules stay in it (see chat/bot.ts).
import '../launcher/full.js';
import { BedrockChatBotEditor } from './bot-editor.js';
import { BedrockChatBotKnowledge } from './bot-knowledge.js';
import { BedrockChatBotList } from './bot-list.js';
import { BedrockChatBotStore } from './bot-store.js';
import { BedrockChatKnowledgeSettings } from './knowledge-settings.js';
import { BedrockChatShareDialog } from './share-dialog.js';

const elements: [string, CustomElementConstructor][] = [
  ['bedrock-chat-share-dialog', BedrockChatShareDialog],
  ['bedrock-chat-bot-list', BedrockChatBotList],
  ['bedrock-chat-bot-store', BedrockChatBotStore],
  ['bedrock-chat-bot-knowledge', BedrockChatBotKnowledge],
  ['bedrock-chat-knowledge-settings', BedrockChatKnowledgeSettings],
  ['bedrock-chat-bot-editor', BedrockChatBotEditor],
];
for (const [name, element] of elements) {
  if (typeof customElements !== 'undefined' && !customElements.get(name)) customElements.define(name, element);
}

declare global {
  interface HTMLElementTagNameMap {
    'bedrock-chat-share-dialog': BedrockChatShareDialog;
    'bedrock-chat-bot-list': BedrockChatBotList;
    'bedrock-chat-bot-store': BedrockChatBotStore;
    'bedrock-chat-bot-knowledge': BedrockChatBotKnowledge;
    'bedrock-chat-knowledge-settings': BedrockChatKnowledgeSettings;
    'bedrock-chat-bot-editor': BedrockChatBotEditor;
  }
}

export {
  BedrockChatBotEditor, BedrockChatBotKnowledge, BedrockChatBotList, BedrockChatBotStore, BedrockChatKnowledgeSettings, BedrockChatShareDialog,
};
