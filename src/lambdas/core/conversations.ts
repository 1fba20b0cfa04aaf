import { BatchWriteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ChatError, conflict, invalid } from './errors';
import { chunksOf, cutUtf8, HEAD_TEXT_BYTES, itemBytes, MAX_ITEM_BYTES, PART_SEQ_DIGITS, partSuffix, SEARCH_OVERLAP, utf8Bytes } from './message-parts';
import type { PartField } from './message-parts';
import { textOf } from './protocol';
import type { Citation, ContentBlock, Usage } from './protocol';

export type Role = 'user' | 'assistant';
export type { ContentBlock };

export interface Message {
  readonly id: string;
  readonly parentId: string | null;
  readonly role: Role;
  readonly content: ContentBlock[];
  readonly createdAt: string;
  readonly model?: string;
  readonly usage?: Usage;
  /** Price of this answer in USD (from the model's price data). */
  readonly price?: number;
  readonly stopReason?: string;
  /** The model's reasoning, when it was asked to reason (shown collapsed; not sent back to the model). */
  readonly reasoning?: string;
  readonly feedback?: Feedback;
  /**
   * The sources the answer was given (retrieval, core/retrieval.ts): at most 5, snippets of at most 500 characters,
   * so at most about 16 KB in the item (a 500-character snippet and a 255-character title are at most 2,000 and
   * 1,020 UTF-8 bytes), beside at most 2 x HEAD_TEXT_BYTES of text and reasoning: far under MAX_ITEM_BYTES. Returned
   * with the message, never sent to the model (core/model.ts sends `content` only).
   */
  readonly citations?: Citation[];
}

export type FeedbackCategory = 'notFactuallyCorrect' | 'notFollowingInstructions' | 'other';

export interface Feedback {
  readonly thumbsUp: boolean;
  readonly category?: FeedbackCategory;
  readonly comment?: string;
  readonly createdAt: string;
}

export interface SearchHit {
  readonly conversationId: string;
  readonly title: string;
  /** Set when the text matched in a message; absent when the title matched. */
  readonly messageId?: string;
  readonly snippet: string;
}

export interface SearchOptions {
  /** Most hits returned. @default 20 */
  readonly maxHits?: number;
  /** Most Query pages read (each at most `pageSize` items). @default 5 */
  readonly maxPages?: number;
  /** @default 200 */
  readonly pageSize?: number;
  readonly nextToken?: string;
}

export type FeedbackResult = 'stored' | 'no-message' | 'not-an-answer';

export interface Conversation {
  readonly id: string;
  readonly title: string;
  readonly model: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly lastMessageId: string;
  readonly usage: { readonly inputTokens: number; readonly outputTokens: number };
  /** Total price of the conversation's answers in USD. */
  readonly price: number;
  /** The bot the conversation is with, and its title when the conversation started. */
  readonly botId?: string;
  readonly botTitle?: string;
}

export interface ConversationPage {
  readonly items: Omit<Conversation, 'lastMessageId' | 'usage' | 'price'>[];
  readonly nextToken?: string;
}

type Key = Record<string, unknown>;

const userKey = (userId: string) => `USER#${userId}`;
const convKey = (conversationId: string) => `CONV#${conversationId}`;
const msgKey = (conversationId: string, messageId: string) => `CONV#${conversationId}#MSG#${messageId}`;

/**
 * Conversations and their messages in one table. Every key starts with the caller's user id, so no method can reach
 * another user's data. A turn writes a constant number of small items, however long the conversation is.
 */
export class ConversationStore {
  /**
   * @param referenced called with the attachment keys of a message before the message is stored (the ws handler
   *   removes their `pending` tag there: an upload never referenced expires, one referenced never by this rule). A
   *   failure stores nothing; a message stored after a success is safe, and a success followed by a failed write
   *   leaves an upload kept (until `attachmentRetention` or the deletion of all conversations), never one lost.
   */
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly referenced?: (keys: string[]) => Promise<void>,
  ) {}

  async get(userId: string, conversationId: string): Promise<Conversation | undefined> {
    const res = await this.db.send(new GetCommand({
      TableName: this.tableName,
      Key: { pk: userKey(userId), sk: convKey(conversationId) },
    }));
    return res.Item ? toConversation(res.Item) : undefined;
  }

  async hasMessage(userId: string, conversationId: string, messageId: string): Promise<boolean> {
    const res = await this.db.send(new GetCommand({
      TableName: this.tableName,
      Key: { pk: userKey(userId), sk: msgKey(conversationId, messageId) },
      ProjectionExpression: 'sk',
    }));
    return res.Item !== undefined;
  }

  /** Creates a conversation whose first message is `first`. Fails with a conflict if the id is taken. */
  async create(userId: string, conv: { id: string; title: string; model: string; botId?: string; botTitle?: string }, first: Message): Promise<void> {
    await this.putMessage(userId, conv.id, first);
    const now = first.createdAt;
    await this.db.send(new PutCommand({
      TableName: this.tableName,
      Item: {
        pk: userKey(userId),
        sk: convKey(conv.id),
        type: 'conversation',
        id: conv.id,
        title: conv.title,
        searchText: searchTextOf(conv.title),
        model: conv.model,
        // A conversation with a bot remembers it (issue 11), and its title at the time for the history list.
        ...(conv.botId ? { botId: conv.botId, botTitle: conv.botTitle } : {}),
        createdAt: now,
        updatedAt: now,
        lastMessageId: first.id,
        inputTokens: 0,
        outputTokens: 0,
        gsi1pk: userKey(userId),
        gsi1sk: `${now}#${conv.id}`,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    }));
  }

  /**
   * Stores a message. A long answer is split (see message-parts.ts): its parts are written first, then the message
   * item naming how many there are, so a reader never sees a message whose parts are missing.
   */
  async putMessage(userId: string, conversationId: string, message: Message): Promise<void> {
    const attachments = attachmentKeysOf(message.content);
    if (attachments.length && this.referenced) await this.referenced([...new Set(attachments)]);
    const { head, parts, searchTail } = splitMessage(message);
    const base = msgKey(conversationId, message.id);
    // Part keys derive from the message id: a retried putMessage writes the same parts again (same content).
    await Promise.all(parts.map((p) => this.db.send(new PutCommand({
      TableName: this.tableName,
      Item: partItem(userId, conversationId, message.id, p),
    }))));
    const item = {
      pk: userKey(userId),
      sk: base,
      type: 'message',
      conversationId,
      ...head,
      searchText: searchTextOf(textOf(head.content)),
      ...(parts.length ? { partCount: parts.length, searchTail } : {}),
    };
    if (itemBytes(item) > MAX_ITEM_BYTES) throw invalid('This message is too large to store.');
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
  }

  /** Moves the conversation's head to `lastMessageId`, bumps its recency and adds usage to its totals. */
  /** Moves the head, bumps recency, and adds the answer's tokens and price (USD) to the conversation's totals. */
  async advance(userId: string, conversationId: string, lastMessageId: string, usage?: Usage, price = 0): Promise<void> {
    const now = new Date().toISOString();
    await this.db.send(new UpdateCommand({
      TableName: this.tableName,
      Key: { pk: userKey(userId), sk: convKey(conversationId) },
      UpdateExpression: 'SET lastMessageId = :m, updatedAt = :t, gsi1sk = :g ADD inputTokens :i, outputTokens :o, price :p',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: {
        ':m': lastMessageId,
        ':t': now,
        ':g': `${now}#${conversationId}`,
        ':i': usage?.inputTokens ?? 0,
        ':o': usage?.outputTokens ?? 0,
        ':p': price,
      },
    }));
  }

  /** A message with its text and reasoning whole (its parts, if any, read and joined). */
  async getMessage(userId: string, conversationId: string, messageId: string): Promise<Message | undefined> {
    const res = await this.db.send(new GetCommand({
      TableName: this.tableName,
      Key: { pk: userKey(userId), sk: msgKey(conversationId, messageId) },
    }));
    if (!res.Item) return undefined;
    const parts = Number(res.Item.partCount ?? 0) > 0 ? await this.partsOf(userId, conversationId, messageId) : [];
    return assemble(res.Item, parts);
  }

  /** The part items of a message, in order. */
  private async partsOf(userId: string, conversationId: string, messageId: string): Promise<Record<string, any>[]> {
    const parts: Record<string, any>[] = [];
    let startKey: Key | undefined;
    do {
      const res = await this.db.send(new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': userKey(userId), ':prefix': `${msgKey(conversationId, messageId)}#PART#` },
        ProjectionExpression: 'sk, #field, #chunk',
        ExpressionAttributeNames: { '#field': 'field', '#chunk': 'chunk' },
        ExclusiveStartKey: startKey,
      }));
      parts.push(...(res.Items ?? []));
      startKey = res.LastEvaluatedKey;
    } while (startKey);
    return parts;
  }

  /**
   * Appends text to an answer (continue after max tokens), adding usage and setting the new stop reason. The message
   * item's last text block grows up to HEAD_TEXT_BYTES; text past that is appended as new parts, so a continuation
   * writes what it adds and updates only the (small) message item, however long the answer already is.
   *
   * Two continuations of one answer at once: one claims the answer first, with a conditional write of a short lease
   * on the message item (the part count it read must still hold and no other lease may be live); the other gets a
   * conflict before it writes anything. Only the holder of the lease writes parts, and its last write (conditional on
   * its own lease) makes them count: readers join only parts up to `partCount`, so the parts of a writer that died
   * between the two writes are never shown and the next continuation overwrites them. Parts written in parallel with
   * a condition each, as before, let both writers lose (each won one part) under a different interleaving: moto
   * showed it.
   */
  async extendMessage(
    userId: string, conversationId: string, messageId: string, ext: { text: string; stopReason: string; usage?: Usage; price?: number },
  ): Promise<void> {
    const res = await this.db.send(new GetCommand({
      TableName: this.tableName,
      Key: { pk: userKey(userId), sk: msgKey(conversationId, messageId) },
    }));
    if (!res.Item) throw invalid('The answer to continue no longer exists.');
    const current = toMessage(res.Item);
    const partCount = Number(res.Item.partCount ?? 0);
    const blocks = [...current.content];
    let rest = ext.text;
    let contentChanged = false;
    if (partCount === 0) {
      const last = blocks[blocks.length - 1];
      const lastText = last && 'text' in last ? last.text : undefined;
      const [inHead, tail] = cutUtf8(rest, Math.max(0, HEAD_TEXT_BYTES - utf8Bytes(lastText ?? '')));
      if (inHead || lastText === undefined) {
        if (lastText !== undefined) blocks[blocks.length - 1] = { text: lastText + inHead };
        else blocks.push({ text: inHead });
        contentChanged = true;
      }
      rest = tail;
    }
    const lastBlock = blocks[blocks.length - 1];
    let searchTail = partCount > 0 ? String(res.Item.searchTail ?? '') : searchTextOf(lastBlock && 'text' in lastBlock ? lastBlock.text : '').slice(-SEARCH_OVERLAP);
    const parts: PartWrite[] = [];
    for (const chunk of chunksOf(rest)) {
      parts.push({ seq: partCount + parts.length + 1, field: 'text', chunk, searchText: searchTextOf(searchTail + chunk) });
      searchTail = searchTextOf(searchTail + chunk).slice(-SEARCH_OVERLAP);
    }
    const expected = partCount === 0 ? 'attribute_not_exists(partCount)' : 'partCount = :old';
    const key = { pk: userKey(userId), sk: msgKey(conversationId, messageId) };
    const now = Date.now();
    const lease = now + CONTINUE_LEASE_MS;
    try {
      await this.db.send(new UpdateCommand({
        TableName: this.tableName,
        Key: key,
        UpdateExpression: 'SET continuingUntil = :lease',
        ConditionExpression: `attribute_exists(pk) AND ${expected} AND (attribute_not_exists(continuingUntil) OR continuingUntil < :now)`,
        ExpressionAttributeValues: { ':lease': lease, ':now': now, ...(partCount > 0 ? { ':old': partCount } : {}) },
      }));
    } catch (err) {
      if (isConditionFailure(err)) throw conflict('This answer is being continued already.');
      throw err;
    }
    await Promise.all(parts.map((p) => this.db.send(new PutCommand({
      TableName: this.tableName,
      Item: partItem(userId, conversationId, messageId, p),
    }))));
    const before = current.usage ?? { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
    const add = ext.usage ?? { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
    const sets = ['stopReason = :s', '#usage = :u', 'price = :p'];
    const values: Record<string, unknown> = {
      ':s': ext.stopReason,
      ':p': Math.round(((current.price ?? 0) + (ext.price ?? 0)) * 1e6) / 1e6,
      ':u': {
        inputTokens: before.inputTokens + add.inputTokens,
        outputTokens: before.outputTokens + add.outputTokens,
        cacheReadTokens: before.cacheReadTokens + add.cacheReadTokens,
        cacheWriteTokens: before.cacheWriteTokens + add.cacheWriteTokens,
      },
    };
    // The search text follows the text, so what a continuation added is found by search too (in the head or a part).
    if (contentChanged) Object.assign(values, { ':c': blocks, ':st': searchTextOf(textOf(blocks)) }) && sets.push('content = :c', 'searchText = :st');
    if (parts.length) Object.assign(values, { ':n': partCount + parts.length, ':tail': searchTail }) && sets.push('partCount = :n', 'searchTail = :tail');
    values[':lease'] = lease;
    try {
      await this.db.send(new UpdateCommand({
        TableName: this.tableName,
        Key: key,
        UpdateExpression: `SET ${sets.join(', ')} REMOVE continuingUntil`,
        ConditionExpression: 'continuingUntil = :lease',
        ExpressionAttributeNames: { '#usage': 'usage' },
        ExpressionAttributeValues: values,
      }));
    } catch (err) {
      if (isConditionFailure(err)) throw conflict('This answer is being continued already.');
      throw err;
    }
  }

  /** The conversation and all its messages (the tree, long answers joined from their parts), in one paginated query. */
  async getWithMessages(userId: string, conversationId: string): Promise<{ conversation: Conversation; messages: Message[] } | undefined> {
    let conversation: Conversation | undefined;
    const heads: Record<string, any>[] = [];
    const parts = new Map<string, Record<string, any>[]>();
    let startKey: Record<string, unknown> | undefined;
    do {
      const res = await this.db.send(new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': userKey(userId), ':prefix': convKey(conversationId) },
        ExclusiveStartKey: startKey,
      }));
      for (const item of res.Items ?? []) {
        if (item.conversationId !== conversationId && item.id !== conversationId) continue;
        if (item.type === 'conversation') conversation = toConversation(item);
        else if (item.type === 'message') heads.push(item);
        else if (item.type === 'part') parts.set(item.messageId, [...(parts.get(item.messageId) ?? []), item]);
      }
      startKey = res.LastEvaluatedKey;
    } while (startKey);
    return conversation ? { conversation, messages: heads.map((h) => assemble(h, parts.get(h.id) ?? [])) } : undefined;
  }

  /**
   * One page of `GET /conversations/{id}`: the conversation and the messages of the next stored items, at most
   * `maxBytes` of them as the Lambda response will carry them (`serializedBytes`), so no response passes Lambda's
   * 6 MB. A page ends after an item, not after a message: a long answer may have its message item in one page and
   * some of its parts in the next; such parts come in `parts` (append each, in order, to that message's last text
   * block or its reasoning). Messages whose item is in this page come whole as far as this page goes.
   */
  async getPage(
    userId: string, conversationId: string, options: { nextToken?: string; maxBytes?: number } = {},
  ): Promise<ConversationPageOfMessages | undefined> {
    const maxBytes = options.maxBytes ?? PAGE_BYTES;
    const prefix = convKey(conversationId);
    let startKey: Key | undefined = options.nextToken
      ? decodeToken(options.nextToken, (k) => k.pk === userKey(userId) && typeof k.sk === 'string' && k.sk.startsWith(`${prefix}#MSG#`))
      : undefined;
    let conversation = startKey ? await this.get(userId, conversationId) : undefined;
    const heads: Record<string, any>[] = [];
    const headIds = new Set<string>();
    const ownParts = new Map<string, Record<string, any>[]>();
    const earlier: { messageId: string; field: PartField; chunk: string }[] = [];
    let bytes = 0;
    let last: Key | undefined;
    let full = false;
    do {
      const res = await this.db.send(new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': userKey(userId), ':prefix': prefix },
        ExclusiveStartKey: startKey,
      }));
      for (const item of res.Items ?? []) {
        if (item.type === 'conversation' && item.id === conversationId) {
          conversation = toConversation(item);
          continue;
        }
        if (item.conversationId !== conversationId || (item.type !== 'message' && item.type !== 'part')) continue;
        const size = item.type === 'message' ? serializedBytes(toMessage(item)) + 1 : serializedBytes(item.chunk) + PART_ENTRY_BYTES;
        if (bytes > 0 && bytes + size > maxBytes) {
          full = true;
          break;
        }
        bytes += size;
        last = { pk: item.pk, sk: item.sk };
        if (item.type === 'message') {
          heads.push(item);
          headIds.add(item.id);
        } else if (headIds.has(item.messageId)) {
          ownParts.set(item.messageId, [...(ownParts.get(item.messageId) ?? []), item]);
        } else {
          earlier.push({ messageId: item.messageId, field: item.field, chunk: item.chunk });
        }
      }
      startKey = full ? undefined : res.LastEvaluatedKey;
    } while (startKey);
    if (!conversation) return undefined;
    return {
      conversation,
      messages: heads.map((h) => assemble(h, ownParts.get(h.id) ?? [])),
      ...(earlier.length ? { parts: earlier.map((p) => ({ messageId: p.messageId, [p.field]: p.chunk })) } : {}),
      ...(full && last ? { nextToken: encodeToken(last) } : {}),
    };
  }

  /** The caller's conversations, most recently updated first. Reads only conversation items (sparse index). */
  async list(userId: string, options: { limit?: number; nextToken?: string } = {}): Promise<ConversationPage> {
    const res = await this.db.send(new QueryCommand({
      TableName: this.tableName,
      IndexName: 'byUpdatedAt',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': userKey(userId) },
      ScanIndexForward: false,
      Limit: options.limit ?? 50,
      ExclusiveStartKey: options.nextToken
        ? decodeToken(options.nextToken, (k) => k.gsi1pk === userKey(userId) && k.pk === userKey(userId))
        : undefined,
      ProjectionExpression: 'id, title, model, createdAt, updatedAt, botId, botTitle',
    }));
    return {
      items: (res.Items ?? []).map((i) => ({
        id: i.id,
        title: i.title,
        model: i.model,
        createdAt: i.createdAt,
        updatedAt: i.updatedAt,
        ...(i.botId ? { botId: i.botId, botTitle: i.botTitle } : {}),
      })),
      nextToken: encodeToken(res.LastEvaluatedKey),
    };
  }

  /** Sets the title (and its search text). Does not change the recency. Undefined when there is no such conversation. */
  async rename(userId: string, conversationId: string, title: string): Promise<ConversationPage['items'][number] | undefined> {
    try {
      const res = await this.db.send(new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: userKey(userId), sk: convKey(conversationId) },
        UpdateExpression: 'SET title = :t, searchText = :s',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':t': title, ':s': searchTextOf(title) },
        ReturnValues: 'ALL_NEW',
      }));
      const c = toConversation(res.Attributes!);
      return { id: c.id, title: c.title, model: c.model, createdAt: c.createdAt, updatedAt: c.updatedAt };
    } catch (err) {
      if (isConditionFailure(err)) return undefined;
      throw err;
    }
  }

  /** Stores feedback on an answer (an assistant message), replacing earlier feedback. */
  async setFeedback(userId: string, conversationId: string, messageId: string, feedback: Feedback): Promise<FeedbackResult> {
    const Key = { pk: userKey(userId), sk: msgKey(conversationId, messageId) };
    try {
      await this.db.send(new UpdateCommand({
        TableName: this.tableName,
        Key,
        UpdateExpression: 'SET feedback = :f',
        ConditionExpression: 'attribute_exists(pk) AND #role = :assistant',
        ExpressionAttributeNames: { '#role': 'role' },
        ExpressionAttributeValues: { ':f': feedback, ':assistant': 'assistant' },
      }));
      return 'stored';
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
    const res = await this.db.send(new GetCommand({ TableName: this.tableName, Key, ProjectionExpression: 'sk' }));
    return res.Item ? 'not-an-answer' : 'no-message';
  }

  /**
   * Deletes a conversation and all its messages: a keys-only Query, then BatchWriteItem in chunks of 25. Messages go
   * first and the conversation item last, so an interrupted delete leaves a conversation that can be deleted again.
   * False when there is no such conversation (nothing is deleted then).
   */
  async delete(userId: string, conversationId: string, deleteAttachments?: (keys: string[]) => Promise<void>): Promise<boolean> {
    const keys: Key[] = [];
    const attachments: string[] = [];
    let conversation: Key | undefined;
    for await (const page of this.keyPages(userId, convKey(conversationId), !!deleteAttachments)) {
      for (const key of page) {
        if (key.sk === convKey(conversationId)) conversation = key;
        else keys.push(key);
        attachments.push(...attachmentKeysOf(key.content));
      }
    }
    if (!conversation) return false;
    // Attachments first: an interrupted delete still leaves the conversation, whose deletion can be run again.
    if (deleteAttachments && attachments.length) await deleteAttachments([...new Set(attachments)]);
    await this.deleteKeys(keys);
    await this.deleteKeys([conversation]);
    return true;
  }

  /**
   * Deletes every conversation and message of the user, page by page over the user's partition (keys only). Reading
   * the table rather than the (eventually consistent) recency index also catches a conversation created a moment ago
   * and orphan messages, so running it again always finishes the job. Returns the number of conversations deleted.
   */
  async deleteAll(userId: string): Promise<number> {
    let conversations = 0;
    for await (const page of this.keyPages(userId, 'CONV#')) {
      conversations += page.filter((k) => !String(k.sk).includes('#MSG#')).length;
      await this.deleteKeys(page);
    }
    return conversations;
  }

  /**
   * Case-insensitive keyword search over the user's conversation titles and message texts, newest conversations first.
   * Reads at most `maxPages` pages of the user's partition; `nextToken` continues where the budget ran out.
   */
  async search(userId: string, text: string, options: SearchOptions = {}): Promise<{ items: SearchHit[]; nextToken?: string }> {
    const needle = searchTextOf(text);
    const maxHits = options.maxHits ?? 20;
    const titles = new Map<string, string>();
    const hits: { conversationId: string; messageId?: string; snippet: string }[] = [];
    const hitMessages = new Set<string>();
    let startKey = options.nextToken
      ? decodeToken(options.nextToken, (k) => k.pk === userKey(userId) && typeof k.sk === 'string' && k.sk.startsWith('CONV#'))
      : undefined;
    for (let page = 0; page < (options.maxPages ?? 5) && hits.length < maxHits; page++) {
      const res = await this.db.send(new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        // Conversation items always come back (their titles name the hits); messages only when they match.
        FilterExpression: '#type = :conversation OR contains(searchText, :q)',
        ProjectionExpression: 'pk, sk, #type, id, conversationId, messageId, title, content, #chunk',
        ExpressionAttributeNames: { '#type': 'type', '#chunk': 'chunk' },
        ExpressionAttributeValues: { ':pk': userKey(userId), ':prefix': 'CONV#', ':conversation': 'conversation', ':q': needle },
        ScanIndexForward: false,
        Limit: options.pageSize ?? 200,
        ExclusiveStartKey: startKey,
      }));
      const items = res.Items ?? [];
      let i = 0;
      for (; i < items.length && hits.length < maxHits; i++) {
        const item = items[i];
        if (item.type === 'conversation') {
          titles.set(item.id, item.title);
          if (searchTextOf(item.title).includes(needle)) hits.push({ conversationId: item.id, snippet: snippetOf(item.title, needle) });
        } else if (item.type === 'message' || item.type === 'part') {
          // A long answer's text is in its item and its parts (message-parts.ts): one hit per message.
          const messageId = item.type === 'part' ? item.messageId : item.id;
          if (hitMessages.has(messageId)) continue;
          hitMessages.add(messageId);
          const body = item.type === 'part' ? String(item.chunk ?? '') : textOf(item.content as ContentBlock[] | undefined ?? []);
          hits.push({ conversationId: item.conversationId, messageId, snippet: snippetOf(body, needle) });
        }
      }
      // Full in the middle of a page: the next search resumes just after the last item looked at.
      startKey = i < items.length ? { pk: items[i - 1].pk, sk: items[i - 1].sk } : res.LastEvaluatedKey;
      if (!startKey) break;
    }
    // Newest first puts a conversation's messages before its item: a hit in the last conversation read may need its title.
    for (const id of new Set(hits.filter((h) => !titles.has(h.conversationId)).map((h) => h.conversationId))) {
      const conv = await this.get(userId, id);
      if (conv) titles.set(id, conv.title);
    }
    return {
      // Messages left behind by an interrupted delete have no conversation: they are not results.
      items: hits.filter((h) => titles.has(h.conversationId)).map((h) => ({ ...h, title: titles.get(h.conversationId)! })),
      nextToken: encodeToken(startKey),
    };
  }

  /** Keys (pk, sk) of the user's items whose sort key starts with `prefix`, one Query page at a time. */
  /** Keys of the items under `prefix`; with `withContent`, each also carries the message's `content` (not a key). */
  private async *keyPages(userId: string, prefix: string, withContent = false): AsyncGenerator<KeyWithContent[]> {
    let startKey: Key | undefined;
    do {
      const res = await this.db.send(new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': userKey(userId), ':prefix': prefix },
        ProjectionExpression: withContent ? 'pk, sk, #content' : 'pk, sk',
        ...(withContent ? { ExpressionAttributeNames: { '#content': 'content' } } : {}),
        ExclusiveStartKey: startKey,
      }));
      const keys = (res.Items ?? []).map((i) => ({ pk: i.pk, sk: i.sk, ...(withContent ? { content: i.content } : {}) }));
      if (keys.length) yield keys;
      startKey = res.LastEvaluatedKey;
    } while (startKey);
  }

  /** BatchWriteItem deletes in chunks of 25, retrying unprocessed items with backoff. */
  private async deleteKeys(keys: readonly KeyWithContent[]): Promise<void> {
    for (let i = 0; i < keys.length; i += BATCH_SIZE) {
      let requests = keys.slice(i, i + BATCH_SIZE).map(({ pk, sk }) => ({ DeleteRequest: { Key: { pk, sk } } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt >= MAX_BATCH_ATTEMPTS) throw new ChatError('THROTTLED', 'Too many requests right now. Please try again in a moment.');
        if (attempt > 0) await sleep(Math.min(1000, 25 * 2 ** attempt) * (0.5 + Math.random() / 2));
        const res = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }));
        requests = (res.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
      }
    }
  }
}

/**
 * Most bytes of messages in one `GET /conversations/{id}` page, measured as the Lambda response carries them. A
 * synchronous invocation's response is at most 6 MB (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html:
 * "Invocation payload (request and response): 6 MB each for request and response (synchronous)"); the HTTP API would
 * take 10 MB (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html, "Payload size"), so
 * Lambda's limit binds. 5 MiB leaves room for the conversation, the headers, the token and one item past the estimate.
 */
export const PAGE_BYTES = 5 * 1024 * 1024;

/** The JSON around one entry of a page's `parts` (`{"messageId":"<ulid>","reasoning":""},`), escaped, rounded up. */
const PART_ENTRY_BYTES = 80;

/**
 * Bytes `value` takes in a Lambda proxy response: the handler returns the body as a JSON string inside the JSON
 * response object, so the body's JSON is escaped a second time (quotes and backslashes double).
 */
export function serializedBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(JSON.stringify(value)), 'utf8') - 2;
}

/** One page of a conversation (see `ConversationStore.getPage`). */
export interface ConversationPageOfMessages {
  readonly conversation: Conversation;
  readonly messages: Message[];
  /** Text or reasoning of messages whose item came in an earlier page, in order: append each to that message. */
  readonly parts?: ({ readonly messageId: string; readonly text?: string; readonly reasoning?: string })[];
  /** Present when there is more: pass it as `nextToken` for the next page. */
  readonly nextToken?: string;
}

interface PartWrite {
  readonly seq: number;
  readonly field: PartField;
  readonly chunk: string;
  /** Text parts only: the chunk's search form, after the search form of the text before it (SEARCH_OVERLAP). */
  readonly searchText?: string;
}

function partItem(userId: string, conversationId: string, messageId: string, p: PartWrite): Record<string, unknown> {
  return {
    pk: userKey(userId),
    sk: msgKey(conversationId, messageId) + partSuffix(p.seq),
    type: 'part',
    conversationId,
    messageId,
    field: p.field,
    chunk: p.chunk,
    ...(p.searchText !== undefined ? { searchText: p.searchText } : {}),
  };
}

/**
 * A message as its item and parts: the last text block and the reasoning keep at most HEAD_TEXT_BYTES each, the rest
 * in parts of at most PART_TEXT_BYTES. `searchTail`: the end of the text's search form (where a continuation's
 * search text starts).
 */
function splitMessage(message: Message): { head: Message; parts: PartWrite[]; searchTail: string } {
  const content = [...message.content];
  const parts: PartWrite[] = [];
  const last = content[content.length - 1];
  let searchTail = last && 'text' in last ? searchTextOf(last.text).slice(-SEARCH_OVERLAP) : '';
  if (last && 'text' in last && utf8Bytes(last.text) > HEAD_TEXT_BYTES) {
    const [kept, rest] = cutUtf8(last.text, HEAD_TEXT_BYTES);
    content[content.length - 1] = { text: kept };
    searchTail = searchTextOf(kept).slice(-SEARCH_OVERLAP);
    for (const chunk of chunksOf(rest)) {
      const searchText = searchTextOf(searchTail + chunk);
      parts.push({ seq: parts.length + 1, field: 'text', chunk, searchText });
      searchTail = searchText.slice(-SEARCH_OVERLAP);
    }
  }
  let reasoning = message.reasoning;
  if (reasoning !== undefined && utf8Bytes(reasoning) > HEAD_TEXT_BYTES) {
    const [kept, rest] = cutUtf8(reasoning, HEAD_TEXT_BYTES);
    reasoning = kept;
    for (const chunk of chunksOf(rest)) parts.push({ seq: parts.length + 1, field: 'reasoning', chunk });
  }
  return { head: { ...message, content, ...(reasoning !== undefined ? { reasoning } : {}) }, parts, searchTail };
}

/** A message from its item and its part items (any order): parts are appended in key order. */
function assemble(item: Record<string, any>, parts: readonly Record<string, any>[]): Message {
  const message = toMessage(item);
  // Only the parts the message item counts: a continuation that died before its last write left uncounted ones.
  const count = Number(item.partCount ?? 0);
  const counted = parts.filter((p) => Number(String(p.sk).slice(-PART_SEQ_DIGITS)) <= count);
  if (!counted.length) return message;
  const sorted = counted.sort((a, b) => (a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0));
  const join = (field: PartField) => sorted.filter((p) => p.field === field).map((p) => String(p.chunk)).join('');
  const text = join('text');
  const reasoning = join('reasoning');
  const content = [...message.content];
  if (text) {
    const last = content[content.length - 1];
    if (last && 'text' in last) content[content.length - 1] = { text: last.text + text };
    else content.push({ text });
  }
  return { ...message, content, ...(reasoning ? { reasoning: (message.reasoning ?? '') + reasoning } : {}) };
}

const BATCH_SIZE = 25;
/** How long a continuation holds its answer while it writes (its writes take well under a second). */
const CONTINUE_LEASE_MS = 60_000;
const MAX_BATCH_ATTEMPTS = 8;
const SNIPPET_CHARS = 160;

/** What search matches against: the text lower-cased, whitespace collapsed. */
export function searchTextOf(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ');
}

/** Up to SNIPPET_CHARS characters of `text` around the first match of `needle` (already in search form). */
export function snippetOf(text: string, needle: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= SNIPPET_CHARS) return flat;
  const at = Math.max(0, searchTextOf(flat).indexOf(needle));
  const start = Math.max(0, Math.min(at - Math.floor((SNIPPET_CHARS - needle.length) / 2), flat.length - SNIPPET_CHARS));
  return (start > 0 ? '…' : '') + flat.slice(start, start + SNIPPET_CHARS).trim() + (start + SNIPPET_CHARS < flat.length ? '…' : '');
}

/** The path from the root to `leafId`, oldest first: the history the model sees. */
export function pathTo(messages: readonly Message[], leafId: string): Message[] {
  const byId = new Map(messages.map((m) => [m.id, m]));
  const path: Message[] = [];
  let cur = byId.get(leafId);
  while (cur && path.length <= messages.length) {
    path.push(cur);
    cur = cur.parentId ? byId.get(cur.parentId) : undefined;
  }
  return path.reverse();
}

function encodeToken(key: Key | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined;
}

/** A pagination token back to a key, accepted only if `belongs` (it is the caller's own partition). */
function decodeToken(token: string, belongs: (key: Key) => boolean): Key {
  try {
    const key = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (key && typeof key === 'object' && !Array.isArray(key) && Object.values(key).every((v) => typeof v === 'string') && belongs(key)) return key;
  } catch {
    // fall through
  }
  throw invalid('nextToken is not valid.');
}

function isConditionFailure(err: unknown): boolean {
  return (err as { name?: string } | undefined)?.name === 'ConditionalCheckFailedException';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function toConversation(item: Record<string, any>): Conversation {
  return {
    id: item.id,
    title: item.title,
    model: item.model,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    lastMessageId: item.lastMessageId,
    usage: { inputTokens: Number(item.inputTokens ?? 0), outputTokens: Number(item.outputTokens ?? 0) },
    price: Math.round(Number(item.price ?? 0) * 1e6) / 1e6,
    ...(item.botId ? { botId: item.botId, botTitle: item.botTitle } : {}),
  };
}

function toMessage(item: Record<string, any>): Message {
  return {
    id: item.id,
    parentId: item.parentId ?? null,
    role: item.role,
    content: item.content,
    createdAt: item.createdAt,
    ...(item.model ? { model: item.model } : {}),
    ...(item.usage ? { usage: item.usage } : {}),
    ...(item.price !== undefined ? { price: Number(item.price) } : {}),
    ...(item.stopReason ? { stopReason: item.stopReason } : {}),
    ...(item.reasoning ? { reasoning: item.reasoning } : {}),
    ...(item.feedback ? { feedback: item.feedback } : {}),
    ...(Array.isArray(item.citations) && item.citations.length ? { citations: item.citations } : {}),
  };
}

type KeyWithContent = Key & { readonly content?: unknown };

/** The `key`s of the image and document blocks of a stored message's content (uploads in the large-message bucket). */
export function attachmentKeysOf(content: unknown): string[] {
  if (!Array.isArray(content)) return [];
  const keys: string[] = [];
  for (const block of content) {
    const file = (block as { image?: { key?: unknown }; document?: { key?: unknown } } | null);
    const key = file?.image?.key ?? file?.document?.key;
    if (typeof key === 'string') keys.push(key);
  }
  return keys;
}
