// Existing knowledge bases locally (KNOWLEDGE_EXISTING): registered in the local knowledge base and, in the
// playground, the one named "Project documentation" filled with this project's docs; retrieved with the real SDK.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BedrockAgentClient, GetKnowledgeBaseCommand, ListKnowledgeBaseDocumentsCommand } from '@aws-sdk/client-bedrock-agent';
import { BedrockAgentRuntimeClient, RetrieveCommand } from '@aws-sdk/client-bedrock-agent-runtime';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { credentials, region, useDummyAwsEnv } from './env';
import { buildApp } from '../../examples/full-system/app';
import { synthesize } from '../../src/local/apps';
import { startKnowledgeBaseEmulator, type KnowledgeBaseEmulator } from '../../src/local/emulators/knowledge-base';
import {
  EXISTING_DATA_SOURCE_ID, existingKnowledgeBasesIn, PROJECT_DOCUMENTATION, projectDocumentation, registerExistingKnowledgeBases,
} from '../../src/local/existing-knowledge';
import { PLAYGROUND_EXISTING_KNOWLEDGE } from '../../src/local/playground';
import { startLocalStack, type LocalStack } from '../../src/local/stack/local-stack';
import { requireBundles } from '../constructs/helpers';

useDummyAwsEnv();

const ROOT = join(__dirname, '..', '..');
const DOCS = { knowledgeBaseId: 'DOCSKB0001', name: PROJECT_DOCUMENTATION, description: 'This project\'s README and docs' };
const OTHER = { knowledgeBaseId: 'OTHERKB001', name: 'Handbook' };

test('KNOWLEDGE_EXISTING is read from the functions\' environments, each knowledge base once', () => {
  const json = JSON.stringify([DOCS, OTHER]);
  expect(existingKnowledgeBasesIn([{ KNOWLEDGE_EXISTING: json }, { KNOWLEDGE_EXISTING: JSON.stringify([OTHER]) }, { OTHER: 'x' }, {}])).toEqual([DOCS, OTHER]);
  expect(existingKnowledgeBasesIn([{ KNOWLEDGE_EXISTING: '[]' }])).toEqual([]);
  expect(() => existingKnowledgeBasesIn([{ KNOWLEDGE_EXISTING: '{not json' }])).toThrow(/not JSON/);
  expect(() => existingKnowledgeBasesIn([{ KNOWLEDGE_EXISTING: '{}' }])).toThrow(/JSON array/);
  expect(() => existingKnowledgeBasesIn([{ KNOWLEDGE_EXISTING: '[{"name":"x"}]' }])).toThrow(/without knowledgeBaseId/);
});

test('the project documentation is README.md and every docs/*.md', () => {
  const docs = projectDocumentation();
  expect(docs.map((d) => d.id)).toEqual(['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)]);
  expect(docs.every((d) => d.text.length > 0 && d.name === d.id)).toBe(true);
  // a package without docs/ (or without a README) gives what it has
  expect(projectDocumentation(join(ROOT, 'docs')).map((d) => d.id)).toEqual([]);
  expect(projectDocumentation(join(ROOT, 'examples', 'full-system')).map((d) => d.id)).toEqual(['README.md']);
});

describe('registered in the local knowledge base', () => {
  let kbEmu: KnowledgeBaseEmulator;
  let agent: BedrockAgentClient;
  let runtime: BedrockAgentRuntimeClient;
  let summary: string[];

  beforeAll(async () => {
    kbEmu = await startKnowledgeBaseEmulator();
    agent = new BedrockAgentClient({ endpoint: kbEmu.endpoint, credentials, region });
    runtime = new BedrockAgentRuntimeClient({ endpoint: kbEmu.runtimeEndpoint, credentials, region });
    summary = await registerExistingKnowledgeBases(kbEmu, [DOCS, OTHER], PLAYGROUND_EXISTING_KNOWLEDGE);
  });

  afterAll(async () => {
    agent.destroy();
    runtime.destroy();
    await kbEmu.stop();
  });

  test('each is ACTIVE; the project documentation one holds every doc, indexed', async () => {
    expect(summary).toEqual([
      `existing knowledge base DOCSKB0001 (Project documentation, ${projectDocumentation().length} local documents)`,
      'existing knowledge base OTHERKB001 (Handbook, empty)',
    ]);
    for (const id of [DOCS.knowledgeBaseId, OTHER.knowledgeBaseId]) {
      expect((await agent.send(new GetKnowledgeBaseCommand({ knowledgeBaseId: id }))).knowledgeBase!.status).toBe('ACTIVE');
    }
    const list = new ListKnowledgeBaseDocumentsCommand({ knowledgeBaseId: DOCS.knowledgeBaseId, dataSourceId: EXISTING_DATA_SOURCE_ID });
    const docs = (await agent.send(list)).documentDetails!;
    expect(docs.map((d) => d.identifier?.custom?.id).sort()).toEqual(projectDocumentation().map((d) => d.id).sort());
    expect(docs.every((d) => d.status === 'INDEXED')).toBe(true);
  });

  test('Retrieve answers passages of the docs, with their names, semantic or hybrid; the other one is empty', async () => {
    for (const overrideSearchType of [undefined, 'HYBRID' as const]) {
      const r = await runtime.send(new RetrieveCommand({
        knowledgeBaseId: DOCS.knowledgeBaseId,
        retrievalQuery: { text: 'KnowledgeBaseFactory S3 Vectors' },
        retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 5, overrideSearchType } },
      }));
      expect(r.retrievalResults!.length).toBe(5);
      for (const hit of r.retrievalResults!) {
        expect(hit.location!.type).toBe('CUSTOM');
        expect(hit.location!.customDocumentLocation!.id).toMatch(/^(README\.md|docs\/[\w-]+\.md)$/);
        expect(hit.metadata!.documentName).toBe(hit.location!.customDocumentLocation!.id);
        expect(hit.content!.text).toBeTruthy();
      }
    }
    const empty = await runtime.send(new RetrieveCommand({ knowledgeBaseId: OTHER.knowledgeBaseId, retrievalQuery: { text: 'KnowledgeBaseFactory' } }));
    expect(empty.retrievalResults).toEqual([]);
  });

  test('registering again leaves them as they are', async () => {
    expect(await registerExistingKnowledgeBases(kbEmu, [DOCS], PLAYGROUND_EXISTING_KNOWLEDGE)).toEqual([]);
  });
});

describe('the local stack', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    requireBundles();
    // the contract's environment, as the factory's existingKnowledgeBases prop sets it on bots-api, knowledge-api and the worker
    const assembly = synthesize((app) => {
      buildApp(app);
      for (const c of app.node.findAll()) {
        if (c instanceof CfnFunction) c.addPropertyOverride('Environment.Variables.KNOWLEDGE_EXISTING', JSON.stringify([DOCS]));
      }
    }, 'existing-knowledge');
    stack = await startLocalStack({ assembly, quiet: true, existingKnowledge: PLAYGROUND_EXISTING_KNOWLEDGE });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  test('registers the template\'s existing knowledge bases, filled as the option says, beside the template\'s own', async () => {
    expect(stack.summary.join('\n')).toContain('existing knowledge base DOCSKB0001 (Project documentation');
    const runtime = new BedrockAgentRuntimeClient({ endpoint: stack.knowledge!.runtimeEndpoint, credentials, region });
    try {
      const r = await runtime.send(new RetrieveCommand({ knowledgeBaseId: DOCS.knowledgeBaseId, retrievalQuery: { text: 'playground npm start' } }));
      expect(r.retrievalResults!.length).toBeGreaterThan(0);
      expect(r.retrievalResults![0].location!.customDocumentLocation!.id).toMatch(/\.md$/);
      const own = await runtime.send(new RetrieveCommand({ knowledgeBaseId: stack.outputs.KnowledgeBaseId, retrievalQuery: { text: 'playground npm start' } }));
      expect(own.retrievalResults).toEqual([]);
    } finally {
      runtime.destroy();
    }
  });
});
