/** The bot table part of ChatBackend (issue 11): secure defaults, the stream the deletion pipe reads, its indexes. */
import { RemovalPolicy } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { synthBackend } from './helpers';

test('the bot table: on-demand, PITR, encryption, deletion protection when retained, stream of both images, three indexes', () => {
  const { stack, backend, template } = synthBackend();
  expect(backend.botTable).toBeInstanceOf(dynamodb.Table);
  const id = stack.getLogicalId((backend.botTable as dynamodb.Table).node.defaultChild as dynamodb.CfnTable);
  const table = template.toJSON().Resources[id];
  expect(table.DeletionPolicy).toBe('Retain');
  expect(table.Properties).toMatchObject({
    BillingMode: 'PAY_PER_REQUEST',
    PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    SSESpecification: { SSEEnabled: true },
    DeletionProtectionEnabled: true,
    StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
  });
  const indexes = Object.fromEntries(table.Properties.GlobalSecondaryIndexes.map((i: any) => [i.IndexName, i]));
  expect(Object.keys(indexes).sort()).toEqual(['byBot', 'byUserTime', 'public']);
  // The store reads the public index whole: it projects only what a store list shows (never instructions).
  expect(indexes.public.Projection.ProjectionType).toBe('INCLUDE');
  expect(indexes.public.Projection.NonKeyAttributes).not.toContain('instructions');
  expect(indexes.byBot.Projection.ProjectionType).toBe('KEYS_ONLY');
});

test('removalPolicy DESTROY: no deletion protection on the bot table', () => {
  const { template } = synthBackend({ removalPolicy: RemovalPolicy.DESTROY });
  template.hasResource('AWS::DynamoDB::Table', {
    DeletionPolicy: 'Delete',
    Properties: Match.objectLike({ StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' }, DeletionProtectionEnabled: false }),
  });
});
