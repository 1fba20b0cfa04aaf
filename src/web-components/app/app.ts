/**
 * The app chunk, imported by the `bedrock-chat-app.js` entry in a browser: the full chat chunk (Lit, `<bedrock-chat>`'s
 * panel) plus `<bedrock-chat-history>` and `<bedrock-chat-app>`.
 */
import '../launcher/full.js';
import '../history/define.js';
export { BedrockChatApp } from './define.js';
export { BedrockChatHistory } from '../history/define.js';
