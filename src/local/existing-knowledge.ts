// src/local runs only in development (playground, tests): its imports are devDependencies.
/**
 * Knowledge bases that exist outside the template (the bots' `existing` mode: docs/knowledge-contract.md, "The state
 * machines", `KNOWLEDGE_EXISTING`). In AWS they are the account's; locally the local stack registers each one the
 * template's functions name in the local knowledge base (ACTIVE, as an existing knowledge base is), and fills it with
 * the documents it is given. The playground gives the one named "Project documentation" this project's own docs
 * (README.md and docs/*.md), so a bot in existing mode can be tried with real content.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BedrockAgentClient, IngestKnowledgeBaseDocumentsCommand } from '@aws-sdk/client-bedrock-agent';
import type { KnowledgeBaseEmulator } from './emulators/knowledge-base';

/** One entry of `KNOWLEDGE_EXISTING` (the contract). */
export interface ExistingKnowledgeBase {
  readonly knowledgeBaseId: string;
  readonly name: string;
  readonly description?: string;
}

/** A document given to an existing knowledge base: markdown or plain text. */
export interface LocalKnowledgeDocument {
  /** Its identifier in the knowledge base (the CUSTOM document id; Retrieve's `customDocumentLocation.id`). */
  readonly id: string;
  /** Its name, as the `documentName` metadata attribute (what citations show). */
  readonly name: string;
  readonly text: string;
}

export interface ExistingKnowledgeOptions {
  /** The documents of an existing knowledge base (none: it is registered empty). */
  readonly documents?: (kb: ExistingKnowledgeBase) => readonly LocalKnowledgeDocument[] | undefined;
}

/** The name of the existing knowledge base the playground fills with this project's documentation. */
export const PROJECT_DOCUMENTATION = 'Project documentation';

/** The existing knowledge bases named in functions' environments (`KNOWLEDGE_EXISTING`, JSON), each once. */
export function existingKnowledgeBasesIn(environments: Iterable<Record<string, unknown>>): ExistingKnowledgeBase[] {
  const out = new Map<string, ExistingKnowledgeBase>();
  for (const env of environments) {
    const raw = env.KNOWLEDGE_EXISTING;
    if (typeof raw !== 'string' || !raw) continue;
    let list: unknown;
    try {
      list = JSON.parse(raw);
    } catch {
      throw new Error(`KNOWLEDGE_EXISTING is not JSON: ${raw.slice(0, 200)}`);
    }
    if (!Array.isArray(list)) throw new Error('KNOWLEDGE_EXISTING must be a JSON array of {knowledgeBaseId, name, description?}.');
    for (const e of list) {
      if (typeof e?.knowledgeBaseId !== 'string' || !e.knowledgeBaseId || typeof e.name !== 'string') {
        throw new Error(`KNOWLEDGE_EXISTING has an entry without knowledgeBaseId and name: ${JSON.stringify(e)}`);
      }
      out.set(e.knowledgeBaseId, { knowledgeBaseId: e.knowledgeBaseId, name: e.name, ...(typeof e.description === 'string' ? { description: e.description } : {}) });
    }
  }
  return [...out.values()];
}

/** Where the package is (src/local or lib/local → two levels up). */
const PACKAGE_ROOT = join(__dirname, '..', '..');

/** This project's documentation: README.md and docs/*.md, one document each (id and name: the file's path). */
export function projectDocumentation(root: string = PACKAGE_ROOT): LocalKnowledgeDocument[] {
  // an installed package may ship without docs/: then the README alone
  const docs = existsSync(join(root, 'docs')) ? readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`) : [];
  const files = [...(existsSync(join(root, 'README.md')) ? ['README.md'] : []), ...docs];
  return files.map((f) => ({ id: f, name: f, text: readFileSync(join(root, f), 'utf8') }));
}

/** The CUSTOM data source that holds an existing knowledge base's local documents. */
export const EXISTING_DATA_SOURCE_ID = 'LOCALDOCS1';

/**
 * Registers existing knowledge bases in the local knowledge base and ingests their documents (direct ingestion over
 * the wire, 25 documents a call: https://docs.aws.amazon.com/bedrock/latest/userguide/kb-direct-ingestion-add.html).
 * A knowledge base the template itself declares is left as it is. Resolves when the documents are indexed; returns
 * one summary line per knowledge base.
 */
export async function registerExistingKnowledgeBases(
  emulator: KnowledgeBaseEmulator, bases: readonly ExistingKnowledgeBase[], options: ExistingKnowledgeOptions = {}, region = 'us-east-1',
): Promise<string[]> {
  const summary: string[] = [];
  const client = new BedrockAgentClient({ endpoint: emulator.endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    for (const kb of bases) {
      if (emulator.hasKnowledgeBase(kb.knowledgeBaseId)) continue;
      emulator.addKnowledgeBase({
        knowledgeBaseId: kb.knowledgeBaseId,
        // a knowledge base's name is ([0-9a-zA-Z][_-]?){1,100}: the contract's name is a display name
        name: `existing-${kb.knowledgeBaseId}`.replace(/[^0-9a-zA-Z_-]/g, '-').replace(/[-_]{2,}/g, '-').slice(0, 100),
        description: kb.description ?? kb.name,
        roleArn: `arn:aws:iam::000000000000:role/existing-${kb.knowledgeBaseId}`,
        knowledgeBaseConfiguration: { type: 'VECTOR', vectorKnowledgeBaseConfiguration: { embeddingModelArn: `arn:aws:bedrock:${region}::foundation-model/amazon.titan-embed-text-v2:0` } },
        // another vector store than S3 Vectors: an existing knowledge base may use HYBRID search
        storageConfiguration: { type: 'OPENSEARCH_SERVERLESS', opensearchServerlessConfiguration: { collectionArn: `arn:aws:aoss:${region}:000000000000:collection/existing`, vectorIndexName: 'existing', fieldMapping: { vectorField: 'v', textField: 't', metadataField: 'm' } } },
        // the account's, not the template's: its collection is not emulated (retrieval is lexical)
        standIn: true,
      });
      const documents = options.documents?.(kb) ?? [];
      if (documents.length) {
        emulator.addDataSource({ knowledgeBaseId: kb.knowledgeBaseId, dataSourceId: EXISTING_DATA_SOURCE_ID, name: 'local-documents', dataSourceConfiguration: { type: 'CUSTOM' } });
        for (let i = 0; i < documents.length; i += 25) {
          await client.send(new IngestKnowledgeBaseDocumentsCommand({
            knowledgeBaseId: kb.knowledgeBaseId,
            dataSourceId: EXISTING_DATA_SOURCE_ID,
            documents: documents.slice(i, i + 25).map((d) => ({
              content: { dataSourceType: 'CUSTOM', custom: { customDocumentIdentifier: { id: d.id }, sourceType: 'IN_LINE', inlineContent: { type: 'TEXT', textContent: { data: d.text } } } },
              metadata: { type: 'IN_LINE_ATTRIBUTE', inlineAttributes: [{ key: 'documentName', value: { type: 'STRING', stringValue: d.name } }] },
            })),
          }));
        }
      }
      summary.push(`existing knowledge base ${kb.knowledgeBaseId} (${kb.name}${documents.length ? `, ${documents.length} local documents` : ', empty'})`);
    }
    await emulator.idle();
  } finally {
    client.destroy();
  }
  return summary;
}
