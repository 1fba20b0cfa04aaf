/**
 * The admins' usage overrides (core/usage.ts reads them for every reservation): `pk=LIMITS`, `sk=USER#<userId>` or
 * `GROUP#<name>`, `limits` (a LimitSet), `updatedAt`, `updatedBy`. Only the api function writes them.
 */
import { DeleteCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LimitSet, LIMITS_PK } from './usage';

const SUBJECT = /^(USER|GROUP)#/;

export class UsageOverrides {
  constructor(private readonly db: DynamoDBDocumentClient, private readonly tableName: string, private readonly now: () => Date = () => new Date()) {}

  async listOverrides(): Promise<{ users: { userId: string; limits: LimitSet }[]; groups: { group: string; limits: LimitSet }[] }> {
    const users: { userId: string; limits: LimitSet }[] = [];
    const groups: { group: string; limits: LimitSet }[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await this.db.send(new QueryCommand({
        TableName: this.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': LIMITS_PK }, ExclusiveStartKey: start,
      }));
      for (const item of res.Items ?? []) {
        const sk = String(item.sk);
        if (!SUBJECT.test(sk)) continue;
        if (sk.startsWith('USER#')) users.push({ userId: sk.slice(5), limits: item.limits as LimitSet });
        else groups.push({ group: sk.slice(6), limits: item.limits as LimitSet });
      }
      start = res.LastEvaluatedKey;
    } while (start);
    return { users, groups };
  }

  async putOverride(subject: 'USER' | 'GROUP', name: string, limits: LimitSet, by: string): Promise<void> {
    await this.db.send(new UpdateCommand({
      TableName: this.tableName,
      Key: { pk: LIMITS_PK, sk: `${subject}#${name}` },
      UpdateExpression: 'SET limits = :l, updatedAt = :now, updatedBy = :by',
      ExpressionAttributeValues: { ':l': limits, ':now': this.now().toISOString(), ':by': by },
    }));
  }

  /** False when there was no such override. */
  async deleteOverride(subject: 'USER' | 'GROUP', name: string): Promise<boolean> {
    const res = await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: LIMITS_PK, sk: `${subject}#${name}` }, ReturnValues: 'ALL_OLD' }));
    return res.Attributes !== undefined;
  }
}
