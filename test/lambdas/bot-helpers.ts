/** Helpers for the bot tests over the wire. */
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';

/** Every item of the bot table, sorted by key, as one string: equal snapshots mean nothing was written. */
export async function botTableSnapshot(): Promise<string> {
  const client = new DynamoDBClient({});
  const items: Record<string, any>[] = [];
  let startKey: Record<string, any> | undefined;
  do {
    const res = await client.send(new ScanCommand({ TableName: process.env.BOT_TABLE_NAME, ExclusiveStartKey: startKey }));
    items.push(...(res.Items ?? []));
    startKey = res.LastEvaluatedKey;
  } while (startKey);
  const key = (i: Record<string, any>) => `${i.pk.S}\u0000${i.sk.S}`;
  return JSON.stringify(items.sort((a, b) => (key(a) < key(b) ? -1 : 1)));
}
