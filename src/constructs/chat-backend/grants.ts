import { Bots } from './bots';
import { BotsApi } from './bots-api';
import { grant } from './context';
import { ConversationStore } from './conversation-store';
import { AnswerSettings, BackendModels, acknowledgeModelWildcards, guardrailArn } from './models';
import { RealtimeApi } from './realtime-api';
import { RestApi } from './rest-api';
import { BOT_INDEXES } from '../../lambdas/core/bot-keys';
import { acknowledge } from '../private/nag';

/** The parts whose functions are granted access to each other's resources. */
export interface GrantedParts {
  readonly store: ConversationStore;
  readonly realtime: RealtimeApi;
  readonly rest: RestApi;
  readonly models: BackendModels;
  readonly answers: AnswerSettings;
  readonly bots: Bots;
  readonly botsApi: BotsApi;
}

/**
 * The least-privilege grants between the parts of `ChatBackend`, in one place so that the matrix (which function
 * may do what on which resource) reads at a glance. A later part grants its own functions the same way, with the
 * grant helpers of the parts (`ConversationStore.grantTable`, `RealtimeApi.grantManagementApi`, ...).
 */
export function grantBetweenParts(parts: GrantedParts): void {
  const { store, realtime, rest, models } = parts;
  const ws = realtime.webSocketFunction;
  const worker = realtime.workerFunction;
  const api = rest.apiFunction;

  // Each list is what the function's bundle sends (test/iam-coverage.test.ts checks it against the bundles).
  // ws: a request claim is deleted when storing the question fails, so the client's retry is processed.
  store.grantTable(ws, ['dynamodb:DeleteItem']);
  // ws: request claim (Put), question accepted and stop flag (Update), conversation and message checks (Get, Query).
  // worker: history (Query), messages (Put), conversation totals, title and continued answers (Update), its request
  // item: question stored, stop flag, connection (Get, strongly consistent while it waits for the question).
  for (const f of [ws, worker]) {
    store.grantTable(f, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query']);
    realtime.grantManagementApi(f);
  }
  // api: list and search (Query, index for recency), rename and feedback (Update, Get), delete (Query + BatchWrite).
  // It never writes new items (PutItem): see test/iam-coverage.test.ts.
  // api: admins' usage overrides are set (Update) and removed (DeleteItem, core/usage.ts).
  store.grantTable(api, ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem', 'dynamodb:DeleteItem']);
  store.grantRecencyIndex(api, ['dynamodb:Query']);
  realtime.grantInvokeWorker(ws);
  // worker's on-failure destination: marks the request item failed (Update) and posts the client an `error` frame.
  // It also releases the turn's usage reservation (Update on the user's counter item).
  store.grantTable(realtime.workerFailureFunction, ['dynamodb:UpdateItem']);
  realtime.grantManagementApi(realtime.workerFailureFunction);

  // Attachments: the api presigns PUTs (the URL carries its role's permission), the worker reads them. ListBucket
  // lets S3 answer a missing (expired) attachment with 404 NoSuchKey instead of 403, so the user is told what happened.
  // Deleting conversations deletes their attachments (DeleteObjects needs s3:DeleteObject); deleting them all lists
  // the caller's uploads/<userId>/ prefix (ListObjectsV2 needs s3:ListBucket on the bucket).
  // https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
  // Uploads never referenced expire (conversation-store.ts, ExpireUnreferencedUploads): the presigned PUT carries the
  // `pending` tag in its signed x-amz-tagging header, which needs s3:PutObjectTagging besides s3:PutObject
  // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/tagging-managing.html); the ws handler removes the tag when it
  // stores a message referencing the upload (DeleteObjectTagging needs s3:DeleteObjectTagging:
  // https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjectTagging.html).
  store.grantUploads(api, ['s3:PutObject', 's3:PutObjectTagging', 's3:DeleteObject']);
  store.grantBucket(api, ['s3:ListBucket']);
  store.grantUploads(worker, ['s3:GetObject']);
  store.grantBucket(worker, ['s3:ListBucket']);
  store.grantUploads(ws, ['s3:DeleteObjectTagging']);
  for (const f of [api, worker, ws]) store.acknowledgeUploadsWildcard(f.role!);

  // Bedrock: the worker streams answers from every offered model and proposes titles (Converse); the api proposes
  // titles only (POST /conversations/{id}/title).
  grant(worker, ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'], models.chatModelArns);
  const titleOnly = models.titleModelArns.filter((arn) => !models.chatModelArns.includes(arn));
  if (titleOnly.length > 0) grant(worker, ['bedrock:InvokeModel'], titleOnly);
  grant(api, ['bedrock:InvokeModel'], models.titleModelArns);
  if (parts.answers.guardrail) {
    grant(worker, ['bedrock:ApplyGuardrail'], [guardrailArn(worker, parts.answers.guardrail)]);
  }
  acknowledgeModelWildcards(worker.role!, [...models.chatModelArns, ...titleOnly]);
  acknowledgeModelWildcards(api.role!, models.titleModelArns);

  grantBots(parts);
}

/**
 * Bots (issue 11). bots-api: every bot route (the bot item: Get/Put/Update/Delete; stars, recents, shares: Put/Delete,
 * BatchGet/BatchWrite; lists: Query on the table, `byUserTime` and `public`), the caller's groups at use time
 * (AdminListGroupsForUser) and the share dialog's searches (ListUsers, ListGroups). api: the caller's groups at use
 * time for the usage limits (AdminListGroupsForUser, wiring/groups.ts), nothing of bots. ws: reads the bot of each turn
 * (GetItem), checks group membership at use time, records the use (recent Put, usage count Update).
 * The worker reads nothing of bots: the ws handler hands it the bot's settings in the job; it applies a bot's
 * guardrail, whose id exists only at run time, so ApplyGuardrail is allowed on the guardrails of this account and
 * Region (ConverseStream with guardrailConfig needs it:
 * https://docs.aws.amazon.com/bedrock/latest/userguide/inference-prereq.html).
 */
function grantBots(parts: GrantedParts): void {
  const { bots, realtime, rest } = parts;
  const api = rest.apiFunction;
  const botsApi = parts.botsApi.function;
  const ws = realtime.webSocketFunction;
  bots.addUserPoolEnvironment(api);
  bots.addEnvironment(ws);
  bots.grantTable(botsApi, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem']);
  bots.grantIndexes(botsApi, ['dynamodb:Query'], [BOT_INDEXES.byUserTime, BOT_INDEXES.public]);
  bots.grantUserPool(botsApi, ['cognito-idp:AdminListGroupsForUser', 'cognito-idp:ListUsers', 'cognito-idp:ListGroups']);
  bots.grantUserPool(api, ['cognito-idp:AdminListGroupsForUser']);
  bots.grantTable(ws, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
  bots.grantUserPool(ws, ['cognito-idp:AdminListGroupsForUser']);
  // With a deployment guardrail, bots cannot choose one (core/bots.ts validateBotSettings): nothing more to allow.
  if (parts.answers.guardrail) return;
  const worker = realtime.workerFunction;
  grant(worker, ['bedrock:ApplyGuardrail'], [bots.guardrailsArn()]);
  acknowledge(worker.role!, {
    id: 'AwsSolutions-IAM5',
    appliesTo: [bots.guardrailsFinding()],
    reason: 'A bot names its guardrail (an existing one, or one created when the bot is saved) at run time; the grant is limited to ApplyGuardrail on the guardrails of this account and Region.',
  });
}
