import {
  BedrockAgentClient, DeleteKnowledgeBaseDocumentsCommand, GetKnowledgeBaseDocumentsCommand, IngestKnowledgeBaseDocumentsCommand,
} from '@aws-sdk/client-bedrock-agent';
import { env, once } from './env';
import type { DocumentRef, IndexStatus, KnowledgeIndex } from '../core/knowledge-documents';

/** The Bedrock Agent control plane (knowledge base documents), endpoint from `AWS_ENDPOINT_URL_BEDROCK_AGENT` when set. */
export const bedrockAgent = once(() => new BedrockAgentClient({}));

/**
 * Documents per call: "you can ingest up to 25 documents" in one IngestKnowledgeBaseDocuments request
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/kb-direct-ingestion-add.html). Get and Delete take lists of the
 * same document identifiers (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_GetKnowledgeBaseDocuments.html ,
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_DeleteKnowledgeBaseDocuments.html); the pages the
 * documentation search found state no array limit for them, so they are sent in batches of the ingestion limit (the
 * local knowledge base refuses more than 25 for all three: src/local/emulators/knowledge-base.ts, KB_LIMITS).
 */
export const DOCUMENTS_PER_CALL = 25;

const identifier = (id: string) => ({ dataSourceType: 'CUSTOM' as const, custom: { id } });

const batches = (ids: readonly string[]) => Array.from(
  { length: Math.ceil(ids.length / DOCUMENTS_PER_CALL) },
  (_, i) => ids.slice(i * DOCUMENTS_PER_CALL, (i + 1) * DOCUMENTS_PER_CALL),
);

/** DeleteKnowledgeBaseDocuments of these CUSTOM documents, in batches (the bot cleanup uses this alone). */
export async function deleteKnowledgeDocuments(documentIds: readonly string[]): Promise<void> {
  const knowledgeBaseId = env('KNOWLEDGE_BASE_ID');
  const dataSourceId = env('KNOWLEDGE_DATA_SOURCE_ID');
  for (const batch of batches(documentIds)) {
    const documentIdentifiers = batch.map(identifier);
    await bedrockAgent().send(new DeleteKnowledgeBaseDocumentsCommand({ knowledgeBaseId, dataSourceId, documentIdentifiers }));
  }
}

/** The CUSTOM data source of the shared knowledge base (`KNOWLEDGE_BASE_ID`, `KNOWLEDGE_DATA_SOURCE_ID`). */
export function knowledgeIndex(): KnowledgeIndex {
  const knowledgeBaseId = env('KNOWLEDGE_BASE_ID');
  const dataSourceId = env('KNOWLEDGE_DATA_SOURCE_ID');
  return {
    async ingest({ id: documentId, uri }, metadataUri) {
      // A CUSTOM document from its S3 location with its metadata file, also in S3: content and metadata are given the
      // same way (https://docs.aws.amazon.com/bedrock/latest/userguide/kb-direct-ingestion-add.html ,
      // https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_CustomContent.html ,
      // https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_DocumentMetadata.html).
      await bedrockAgent().send(new IngestKnowledgeBaseDocumentsCommand({
        knowledgeBaseId,
        dataSourceId,
        documents: [{
          content: { dataSourceType: 'CUSTOM', custom: { customDocumentIdentifier: { id: documentId }, sourceType: 'S3_LOCATION', s3Location: { uri } } },
          metadata: { type: 'S3_LOCATION', s3Location: { uri: metadataUri } },
        }],
      }));
    },
    async statuses(docs) {
      const out = new Map<string, IndexStatus>();
      for (const batch of batches(docs.map((d) => d.id))) {
        const documentIdentifiers = batch.map(identifier);
        const res = await bedrockAgent().send(new GetKnowledgeBaseDocumentsCommand({ knowledgeBaseId, dataSourceId, documentIdentifiers }));
        for (const d of res.documentDetails ?? []) {
          const id = d.identifier?.custom?.id;
          if (id && d.status) out.set(id, { status: d.status, statusReason: d.statusReason });
        }
      }
      return out;
    },
    delete: (docs) => deleteKnowledgeDocuments(docs.map((d) => d.id)),
  };
}

/**
 * The S3 data source of a dedicated bot's knowledge base (docs/knowledge-contract.md, "Routes"): documents are known by
 * their object's URI (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_DocumentIdentifier.html) and
 * ingested from it with its metadata file as in the shared one
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_S3Content.html).
 */
export function dedicatedKnowledgeIndex(knowledgeBaseId: string, dataSourceId: string): KnowledgeIndex {
  const s3 = (uri: string) => ({ dataSourceType: 'S3' as const, s3: { uri } });
  const byUri = (docs: readonly DocumentRef[]) => new Map(docs.map((d) => [d.uri, d.id]));
  return {
    async ingest({ uri }, metadataUri) {
      await bedrockAgent().send(new IngestKnowledgeBaseDocumentsCommand({
        knowledgeBaseId,
        dataSourceId,
        documents: [{
          content: { dataSourceType: 'S3', s3: { s3Location: { uri } } },
          metadata: { type: 'S3_LOCATION', s3Location: { uri: metadataUri } },
        }],
      }));
    },
    async statuses(docs) {
      const out = new Map<string, IndexStatus>();
      const ids = byUri(docs);
      for (const batch of batches(docs.map((d) => d.uri))) {
        const documentIdentifiers = batch.map(s3);
        const res = await bedrockAgent().send(new GetKnowledgeBaseDocumentsCommand({ knowledgeBaseId, dataSourceId, documentIdentifiers }));
        for (const d of res.documentDetails ?? []) {
          const id = d.identifier?.s3?.uri ? ids.get(d.identifier.s3.uri) : undefined;
          if (id && d.status) out.set(id, { status: d.status, statusReason: d.statusReason });
        }
      }
      return out;
    },
    async delete(docs) {
      for (const batch of batches(docs.map((d) => d.uri))) {
        await bedrockAgent().send(new DeleteKnowledgeBaseDocumentsCommand({ knowledgeBaseId, dataSourceId, documentIdentifiers: batch.map(s3) }));
      }
    },
  };
}
