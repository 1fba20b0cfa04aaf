/**
 * DeleteKnowledgeBaseDocuments on the shared knowledge base's CUSTOM data source for bots-api (a bot that moves to a
 * dedicated knowledge base takes its documents out of the shared one: docs/knowledge-contract.md), as one signed
 * REST-JSON POST (wiring/aws-signing.ts) instead of `@aws-sdk/client-bedrock-agent` (bots-api's bundle size):
 * `POST /knowledgebases/{knowledgeBaseId}/datasources/{dataSourceId}/documents/deleteDocuments` with
 * `{documentIdentifiers: [{dataSourceType: 'CUSTOM', custom: {id}}]}`
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_DeleteKnowledgeBaseDocuments.html), signed for the
 * service `bedrock`. Endpoint: `AWS_ENDPOINT_URL_BEDROCK_AGENT`, then `AWS_ENDPOINT_URL`, else
 * `https://bedrock-agent.<region>.amazonaws.com` (https://docs.aws.amazon.com/general/latest/gr/bedrock.html).
 */
import { defaultBackoff, endpointOf, regionOf, Sha256, signedJsonPost, signerFor, withRetries } from './aws-signing';
import { env, once } from './env';

/** At most 25 documents a call, as wiring/knowledge-index.ts sends them (DOCUMENTS_PER_CALL). */
const PER_CALL = 25;
const RETRYABLE = new Set(['ThrottlingException']);

const client = once(() => {
  const region = regionOf();
  return { url: endpointOf('AWS_ENDPOINT_URL_BEDROCK_AGENT', 'bedrock-agent', region), signer: signerFor('bedrock', region, Sha256) };
});

/** DeleteKnowledgeBaseDocuments of these CUSTOM documents of the shared knowledge base, in batches. */
export async function deleteSharedDocuments(documentIds: readonly string[]): Promise<void> {
  const { url, signer } = client();
  const base = url.pathname.replace(/\/+$/, '');
  const path = `${base}/knowledgebases/${encodeURIComponent(env('KNOWLEDGE_BASE_ID'))}/datasources/${encodeURIComponent(env('KNOWLEDGE_DATA_SOURCE_ID'))}/documents/deleteDocuments`;
  for (let i = 0; i < documentIds.length; i += PER_CALL) {
    const body = JSON.stringify({ documentIdentifiers: documentIds.slice(i, i + PER_CALL).map((id) => ({ dataSourceType: 'CUSTOM', custom: { id } })) });
    await withRetries(() => signedJsonPost('DeleteKnowledgeBaseDocuments', signer, { url, path, headers: { 'content-type': 'application/json' }, body }), RETRYABLE, defaultBackoff);
  }
}
