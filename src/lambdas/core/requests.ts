import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** How long a request id is remembered (idempotency window and stop flag). */
export const REQUEST_TTL_SECONDS = 24 * 60 * 60;

export interface RequestRecord {
  readonly requestId: string;
  readonly conversationId: string;
  /** The message the request created (a user message, or the assistant message being continued). */
  readonly messageId: string;
  readonly createdAt: string;
}

/** What the worker reads at each poll of its request item. */
export interface RequestState {
  /** The message the request item names: another one than the worker's means the item is not its request's any more. */
  readonly messageId?: string;
  readonly stopRequested: boolean;
  /** The connection the client is on now (it changes when the client resumes the answer on a new connection). */
  readonly connectionId?: string;
  /** `sendMessage`: the question is being stored and acknowledged; the worker sends nothing until this is cleared. */
  readonly pending: boolean;
}

/**
 * One small item per client request (`pk=USER#<userId>`, `sk=REQ#<requestId>`, expiring after a day): it makes
 * `sendMessage`, `regenerate` and `continue` idempotent (a retried frame finds the first attempt and gets the same ack,
 * never a second answer), carries the `stop` flag the worker polls, the connection the answer goes to (`connectionId`,
 * moved by `resume`), `pending` while a `sendMessage`'s question is being stored (the worker, already running, waits
 * for it to go) and `finishedAt` once the worker is done.
 */
export class RequestStore {
  constructor(private readonly db: DynamoDBDocumentClient, private readonly tableName: string) {}

  /**
   * Records a new request, sent on `connectionId` (where its answer goes until the client resumes it elsewhere);
   * returns the earlier record instead if this request id was seen before. `pending`: the request's question is still
   * to be stored; `accept` clears it.
   */
  async claim(
    userId: string, record: RequestRecord, connectionId?: string, options: { pending?: boolean } = {},
  ): Promise<{ fresh: true } | { fresh: false; existing: RequestRecord }> {
    try {
      await this.db.send(new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `USER#${userId}`,
          sk: `REQ#${record.requestId}`,
          type: 'request',
          ...record,
          ...(connectionId ? { connectionId } : {}),
          ...(options.pending ? { pending: true } : {}),
          expiresAt: Math.floor(Date.now() / 1000) + REQUEST_TTL_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }));
      return { fresh: true };
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const existing = await this.get(userId, record.requestId);
      if (!existing) throw err;
      return { fresh: false, existing };
    }
  }

  /**
   * The question of a claimed `sendMessage` is stored and its `ack` was sent: clears `pending`, which lets the worker
   * send its first frame. Only on the item this request claimed (same message id); false if that item is gone.
   */
  async accept(userId: string, requestId: string, messageId: string): Promise<boolean> {
    try {
      await this.db.send(new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `USER#${userId}`, sk: `REQ#${requestId}` },
        UpdateExpression: 'REMOVE pending',
        ConditionExpression: 'attribute_exists(pk) AND messageId = :m',
        ExpressionAttributeValues: { ':m': messageId },
      }));
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  /** Forgets a request whose writes failed, so that the client's retry is processed instead of acknowledged. */
  async release(userId: string, requestId: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: `USER#${userId}`, sk: `REQ#${requestId}` } }));
  }

  async get(userId: string, requestId: string): Promise<RequestRecord | undefined> {
    const res = await this.db.send(new GetCommand({
      TableName: this.tableName,
      Key: { pk: `USER#${userId}`, sk: `REQ#${requestId}` },
      ProjectionExpression: 'requestId, conversationId, messageId, createdAt',
    }));
    return res.Item as RequestRecord | undefined;
  }

  /**
   * The worker's claim of its turn, before it asks the model: an asynchronous invocation may be delivered more than
   * once even without an error ("Occasionally, your function may receive the same event multiple times, even if no
   * error occurs", https://docs.aws.amazon.com/zh_tw/cli/latest/reference/lambda/invoke.html, the Invoke reference),
   * so only the first delivery that sets `workerAt` on the request item naming this message answers. False (the
   * delivery must end without a frame, a write or a model call) when the item is gone, names another message, or was
   * claimed or finished already. A claim that fails with another error throws: nothing was claimed, so a retry of the
   * event may claim it.
   */
  async claimTurn(userId: string, requestId: string, messageId: string): Promise<boolean> {
    try {
      await this.db.send(new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `USER#${userId}`, sk: `REQ#${requestId}` },
        UpdateExpression: 'SET workerAt = :now',
        ConditionExpression: 'attribute_exists(pk) AND messageId = :m AND attribute_not_exists(workerAt) AND attribute_not_exists(finishedAt)',
        ExpressionAttributeValues: { ':m': messageId, ':now': new Date().toISOString() },
      }));
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  /**
   * The worker's invocation failed for good (its on-failure destination): marks the request finished and failed,
   * unless it finished already, and returns the connection the client is on (undefined when there is nothing to
   * mark: no item, another message's item, or finished before; a repeated failure record changes nothing).
   */
  async fail(userId: string, requestId: string, messageId: string): Promise<string | undefined> {
    try {
      const now = new Date().toISOString();
      const res = await this.db.send(new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `USER#${userId}`, sk: `REQ#${requestId}` },
        UpdateExpression: 'SET finishedAt = :now, failedAt = :now',
        ConditionExpression: 'attribute_exists(pk) AND messageId = :m AND attribute_not_exists(finishedAt)',
        ExpressionAttributeValues: { ':m': messageId, ':now': now },
        ReturnValues: 'ALL_NEW',
      }));
      const connectionId = res.Attributes?.connectionId;
      return typeof connectionId === 'string' ? connectionId : '';
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return undefined;
      throw err;
    }
  }

  /** Flags the request as stopped; false when no such request exists. */
  async requestStop(userId: string, requestId: string): Promise<boolean> {
    try {
      await this.db.send(new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `USER#${userId}`, sk: `REQ#${requestId}` },
        UpdateExpression: 'SET stopRequested = :t',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':t': true },
      }));
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  /**
   * The worker's read of its request item: the stop flag, the current connection, whether the question is still
   * pending, and whose item it is (message id). Undefined when there is no item. `consistent` for the wait on the
   * question (a strongly consistent read sees every write that completed before it, including a release).
   */
  async poll(userId: string, requestId: string, options: { consistent?: boolean } = {}): Promise<RequestState | undefined> {
    const res = await this.db.send(new GetCommand({
      TableName: this.tableName,
      Key: { pk: `USER#${userId}`, sk: `REQ#${requestId}` },
      ProjectionExpression: 'messageId, stopRequested, connectionId, pending',
      ...(options.consistent ? { ConsistentRead: true } : {}),
    }));
    const item = res.Item;
    if (!item) return undefined;
    return {
      messageId: typeof item.messageId === 'string' ? item.messageId : undefined,
      stopRequested: item.stopRequested === true,
      connectionId: typeof item.connectionId === 'string' ? item.connectionId : undefined,
      pending: item.pending === true,
    };
  }

  /**
   * `resume`: points the request at `connectionId`, in one conditional write that also reads the item back. Undefined
   * when the caller has no such request; `finished` when the worker had already marked it done (see `finish`).
   */
  async resume(userId: string, requestId: string, connectionId: string): Promise<{ conversationId: string; finished: boolean } | undefined> {
    try {
      const res = await this.db.send(new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `USER#${userId}`, sk: `REQ#${requestId}` },
        UpdateExpression: 'SET connectionId = :c',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':c': connectionId },
        ReturnValues: 'ALL_NEW',
      }));
      return { conversationId: String(res.Attributes?.conversationId ?? ''), finished: res.Attributes?.finishedAt !== undefined };
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return undefined;
      throw err;
    }
  }

  /**
   * Marks the request finished (after its answer is stored) and returns the connection it points at at that moment.
   * This write and `resume`'s are serialized by DynamoDB on the one item: a resume either comes first (this returns
   * its connection, and the worker delivers the end there) or second (it sees `finishedAt` and the client reloads the
   * stored answer). ALL_NEW and ALL_OLD carry the same `connectionId` here, as this write does not touch it; what
   * matters is that the read and the write are one atomic operation. Undefined if the item no longer exists.
   */
  async finish(userId: string, requestId: string): Promise<string | undefined> {
    try {
      const res = await this.db.send(new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `USER#${userId}`, sk: `REQ#${requestId}` },
        UpdateExpression: 'SET finishedAt = :now',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':now': new Date().toISOString() },
        ReturnValues: 'ALL_NEW',
      }));
      const connectionId = res.Attributes?.connectionId;
      return typeof connectionId === 'string' ? connectionId : undefined;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return undefined;
      throw err;
    }
  }
}
