import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ChatBackend, ChatBackendProps } from '../../src';

/** Context every test app uses: cdk-nag failures are read from the report, not turned into a failed process. */
export const TEST_CONTEXT = { '@aws-cdk/core:failSynthOnValidationErrors': false };

export function testApp(): App {
  return new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'bedrock-chat-test-')), context: TEST_CONTEXT });
}

/** A `ChatBackend` with `props` alone in a stack `Test` of a test app, and its template. */
export function synthBackend(props?: ChatBackendProps): { stack: Stack; backend: ChatBackend; template: Template } {
  const stack = new Stack(testApp(), 'Test');
  const backend = new ChatBackend(stack, 'Chat', props);
  return { stack, backend, template: Template.fromStack(stack) };
}

const ASSET_HASH = /[0-9a-f]{64}/g;

/**
 * A template with asset hashes (Lambda code keys, BucketDeployment source keys, asset parameters) replaced by
 * a placeholder, so a snapshot does not change whenever a handler bundle or the web bundle changes.
 */
export function withoutAssetHashes<T>(value: T): T {
  return JSON.parse(JSON.stringify(value), (_key, v) => (typeof v === 'string' ? v.replace(ASSET_HASH, '<asset-hash>') : v)) as T;
}

/** The repository's asset directories the constructs point at, checked before a synth with a clear message. */
export function requireBundles(): void {
  const root = path.join(__dirname, '..', '..');
  const missing = ['ws-authorizer', 'ws', 'chat-worker', 'api', 'cognito-pre-sign-up', 'cognito-post-confirmation']
    .map((n) => path.join(root, 'assets', 'lambdas', `${n}.lambda`, 'index.mjs'))
    .filter((f) => !fs.existsSync(f));
  if (!fs.existsSync(path.join(root, 'assets', 'web'))) missing.push(path.join(root, 'assets', 'web'));
  if (missing.length > 0) {
    throw new Error(`Bundles missing (run \`npx projen bundle\` first): ${missing.join(', ')}`);
  }
}
