import { msg, str } from '@lit/localize';
import { currentLocale, formatNumber, formatUsd } from '../shared/i18n.js';
import type { QuotaDetails, Usage } from '../shared/protocol.js';

/** `bedrock-chat-send`: cancelable; the host may veto the message or rewrite `detail.text`. */
export interface BedrockChatSendDetail {
  text: string;
}

/** `bedrock-chat-message`: an assistant answer finished streaming. */
export interface BedrockChatMessageDetail {
  readonly conversationId?: string;
  readonly messageId: string;
  readonly parentMessageId?: string;
  readonly text: string;
  readonly stopReason?: string;
  readonly usage?: Usage;
  /** The price of the answer in USD, as the backend computed it. */
  readonly price?: number;
  /** The model that answered. */
  readonly model?: string;
}

/** `bedrock-chat-error`: an error frame, or a failure to load the config, the conversation or to connect. */
export interface BedrockChatErrorDetail {
  /**
   * Protocol codes (`BAD_REQUEST`, `UNAUTHORIZED`, `FORBIDDEN`, `NOT_FOUND`, `TOO_LARGE`, `THROTTLED`, `MODEL_ERROR`,
   * `INTERNAL`, `QUOTA`: a usage limit, see `quota`) or `CONFIG`, `CONNECTION`, `LOST`, `HISTORY`, `AUTH`, `ATTACHMENT` (a file refused or not uploaded).
   */
  readonly code: string;
  /** The text shown to the user. */
  readonly message: string;
  /** The server's message, if any (may be technical). */
  readonly serverMessage?: string;
  readonly requestId?: string;
}

/**
 * `bedrock-chat-conversation`: a conversation started (`started`: the first message was accepted), got its title
 * (`titled`), or was opened (`opened`: set by the host or restored); `new`: a new chat began (no id yet).
 */
export interface BedrockChatConversationDetail {
  readonly conversationId?: string;
  /** The title ('' until the title model proposed one). */
  readonly title: string;
  readonly reason: 'started' | 'titled' | 'opened' | 'new';
}

declare global {
  interface HTMLElementEventMap {
    'bedrock-chat-conversation': CustomEvent<BedrockChatConversationDetail>;
    'bedrock-chat-send': CustomEvent<BedrockChatSendDetail>;
    'bedrock-chat-message': CustomEvent<BedrockChatMessageDetail>;
    'bedrock-chat-error': CustomEvent<BedrockChatErrorDetail>;
  }
}

/** Words a user understands, by error code (in the page's language: each text is looked up when read). */
export const ERROR_TEXT: Readonly<Record<string, string>> = {
  get BAD_REQUEST() { return msg('The message could not be sent. Please shorten or rephrase it and try again.'); },
  get UNAUTHORIZED() { return msg('You are not signed in, or your sign-in has expired. Please sign in again.'); },
  get FORBIDDEN() { return msg('You are not allowed to do this. An attachment may not be yours, or this model is not available.'); },
  get TOO_LARGE() { return msg('The message or an attachment is too large. Please shorten it or attach a smaller file.'); },
  get NOT_FOUND() { return msg('This conversation no longer exists. Start a new chat to continue.'); },
  get THROTTLED() { return msg('The assistant is busy right now. Please wait a moment and try again.'); },
  get QUOTA() { return msg('You have reached your usage limit. Please try again later.'); },
  get MODEL_ERROR() { return msg('The model could not answer this time. Please try again.'); },
  get INTERNAL() { return msg('Something went wrong on our side. Please try again.'); },
  get CONNECTION() { return msg('Cannot reach the chat service. Check your connection and try again.'); },
  get LOST() { return msg('The connection was lost before the answer finished. Please try again.'); },
  get CONFIG() { return msg('The chat is not configured correctly (config.json could not be loaded).'); },
  get HISTORY() { return msg('The previous conversation could not be loaded. You can start a new chat.'); },
  get AUTH() { return msg('You are not signed in, or your sign-in has expired. Please sign in again.'); },
  get FEEDBACK() { return msg('Your feedback could not be sent. Please try again.'); },
};

/** When a usage window starts again, in the page's language (date and time, the user's time zone). */
export function formatResetTime(iso: string, locale?: string): string {
  return new Intl.DateTimeFormat(locale ?? currentLocale(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

/** The words for a `QUOTA` error: which limit was reached and when it resets (or, for answers at a time, what to do). */
export function quotaText(quota: QuotaDetails | undefined, locale?: string): string {
  if (!quota) return ERROR_TEXT.QUOTA;
  if (quota.kind === 'concurrent') {
    const n = formatNumber(quota.limit);
    return msg(str`You already have ${n} answers in progress, the most allowed at a time. Wait until one finishes.`);
  }
  const tokens = quota.limit;
  const what = quota.kind === 'tokens' ? msg(str`${formatNumber(tokens)} tokens`) : formatUsd(quota.limit);
  const time = quota.resetsAt ? formatResetTime(quota.resetsAt, locale) : '';
  if (quota.window === 'hour') return msg(str`You have reached your usage limit of ${what} per hour. It resets at ${time}.`);
  if (quota.window === 'day') return msg(str`You have reached your usage limit of ${what} per day. It resets at ${time}.`);
  return msg(str`You have reached your usage limit of ${what} per month. It resets at ${time}.`);
}
