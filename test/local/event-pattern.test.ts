/**
 * The local pipe's event pattern matcher against the examples of EventBridge's documentation
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html,
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html,
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-event-filtering.html).
 */
import { EventPatternError, matchesPattern, parsePattern } from '../../src/local/emulators/event-pattern';

const ec2Event = {
  'version': '0',
  'id': '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  'source': 'aws.ec2',
  'account': '111122223333',
  'time': '2017-12-22T18:43:48Z',
  'region': 'us-west-1',
  'resources': ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  'detail': { 'instance-id': 'i-1234567890abcdef0', 'state': 'terminated', 'c-count': 5, 'd-count': 12, 'x-limit': 3.018e2 },
};

test.each([
  ['exact value', { source: ['aws.ec2'] }, true],
  ['exact value, case sensitive', { source: ['AWS.EC2'] }, false],
  ['any of the listed values', { detail: { state: ['stopped', 'terminated'] } }, true],
  ['every key must match', { 'source': ['aws.ec2'], 'detail-type': ['Other'] }, false],
  ['an array field matches when any element does', { resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'] }, true],
  ['prefix', { time: [{ prefix: '2017-12-22' }] }, true],
  ['prefix that does not match', { time: [{ prefix: '2018' }] }, false],
  ['suffix', { detail: { 'instance-id': [{ suffix: 'def0' }] } }, true],
  ['equals-ignore-case', { 'detail-type': [{ 'equals-ignore-case': 'ec2 instance state-change notification' }] }, true],
  ['anything-but a value', { detail: { state: [{ 'anything-but': 'initializing' }] } }, true],
  ['anything-but a list', { detail: { state: [{ 'anything-but': ['stopped', 'terminated'] }] } }, false],
  ['anything-but a prefix', { detail: { state: [{ 'anything-but': { prefix: 'term' } }] } }, false],
  ['numeric range', { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } }, true],
  ['numeric outside the range', { detail: { 'd-count': [{ numeric: ['<', 10] }] } }, false],
  ['numeric equality of 3.018e2 and 301.8', { detail: { 'x-limit': [{ numeric: ['=', 301.8] }] } }, true],
  ['exists true', { detail: { 'c-count': [{ exists: true }] } }, true],
  ['exists false on a field the event has', { detail: { 'c-count': [{ exists: false }] } }, false],
  ['exists false on a missing field', { detail: { 'e-count': [{ exists: false }] } }, true],
  ['anything-but does not match a missing field', { detail: { 'e-count': [{ 'anything-but': 'x' }] } }, false],
  ['$or: one branch matches', { detail: { $or: [{ 'c-count': [{ numeric: ['>', 0, '<=', 5] }] }, { 'd-count': [{ numeric: ['<', 10] }] }] } }, true],
  ['$or: no branch matches', { detail: { $or: [{ 'c-count': [{ numeric: ['>', 5] }] }, { 'd-count': [{ numeric: ['<', 10] }] }] } }, false],
  ['wildcard', { resources: [{ wildcard: 'arn:aws:ec2:*:instance/*' }] }, true],
  ['wildcard that does not match', { resources: [{ wildcard: 'arn:aws:s3:*' }] }, false],
  ['a missing nested object', { nothing: { here: ['x'] } }, false],
])('%s', (_name, pattern, expected) => {
  expect(matchesPattern(pattern, ec2Event)).toBe(expected);
});

test('a DynamoDB stream record, filtered as the bot deletion pipe does (metadata fields and the record body)', () => {
  const pattern = parsePattern(JSON.stringify({ eventName: ['REMOVE'], dynamodb: { OldImage: { type: { S: ['bot'] } } } }));
  const record = (eventName: string, type: string) => ({
    eventID: '1',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    eventName,
    dynamodb: { Keys: { pk: { S: 'BOT#1' } }, OldImage: { pk: { S: 'BOT#1' }, type: { S: type } }, SequenceNumber: '111', SizeBytes: 26, StreamViewType: 'NEW_AND_OLD_IMAGES' },
  });
  expect(matchesPattern(pattern, record('REMOVE', 'bot'))).toBe(true);
  expect(matchesPattern(pattern, record('MODIFY', 'bot'))).toBe(false);
  expect(matchesPattern(pattern, record('REMOVE', 'star'))).toBe(false);
});

test('malformed patterns are refused with a clear message', () => {
  expect(() => parsePattern('[1]')).toThrow(EventPatternError);
  expect(() => parsePattern('x'.repeat(4097))).toThrow('at most 4096 characters');
  expect(() => matchesPattern({ a: 'b' }, {})).toThrow('must be an array of values or an object');
  expect(() => matchesPattern({ a: [{ cidr: '10.0.0.0/8' }] }, { a: '10.0.0.1' })).toThrow('cidr is not supported');
  expect(() => matchesPattern({ a: [] }, { a: 1 })).toThrow('an empty array matches nothing');
});
