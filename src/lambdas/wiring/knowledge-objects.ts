import {
  CopyObjectCommand, DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { env } from './env';
import { s3 } from './s3';
import type { KnowledgeObjects, KnowledgeUploadTarget, UploadedObject } from '../core/knowledge-documents';

/** Presigned PUTs of documents live this long. */
const PUT_SECONDS = 900;

/** DeleteObjects takes at most 1,000 keys: https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html */
const DELETE_BATCH = 1000;

/** A key as CopyObject's `x-amz-copy-source` takes it: "The value must be URL-encoded" (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html). */
const copySource = (bucket: string, key: string) => `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;

/** `inline; filename*=UTF-8''<name>` (RFC 6266 with the RFC 5987 encoding of a non-ASCII name). */
const inlineDisposition = (name: string) => `inline; filename*=UTF-8''${encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;

/**
 * Deletes every object under `prefix` of the document bucket (the bot cleanup): ListObjectsV2 pages of at most 1,000
 * keys (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html), DeleteObjects in quiet mode (a missing
 * key counts as deleted, so running it again is harmless).
 */
export async function deleteDocumentObjects(prefix: string): Promise<number> {
  const Bucket = env('KNOWLEDGE_BUCKET');
  let removed = 0;
  let ContinuationToken: string | undefined;
  do {
    const page = await s3().send(new ListObjectsV2Command({ Bucket, Prefix: prefix, ContinuationToken }));
    const keys = (page.Contents ?? []).map((o) => o.Key!).filter((k) => k.startsWith(prefix));
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const Objects = keys.slice(i, i + DELETE_BATCH).map((Key) => ({ Key }));
      const res = await s3().send(new DeleteObjectsCommand({ Bucket, Delete: { Quiet: true, Objects } }));
      if (res.Errors?.length) throw new Error(`S3 could not delete ${res.Errors.length} document object(s): ${res.Errors[0].Code}`);
    }
    removed += keys.length;
    ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (ContinuationToken);
  return removed;
}

/** The document bucket (`KNOWLEDGE_BUCKET`) through the shared S3 client (wiring/s3.ts). */
export function knowledgeObjects(): KnowledgeObjects {
  const Bucket = env('KNOWLEDGE_BUCKET');
  return {
    async presignPut(key, contentType, size, metadata): Promise<KnowledgeUploadTarget> {
      const metaHeaders = Object.fromEntries(Object.entries(metadata).map(([k, v]) => [`x-amz-meta-${k}`, v]));
      const command = new PutObjectCommand({ Bucket, Key: key, ContentType: contentType, ContentLength: size, Metadata: metadata });
      const url = await getSignedUrl(s3(), command, {
        expiresIn: PUT_SECONDS,
        // The type, the length and the metadata are signed headers the browser must send as given (the presigner
        // would otherwise move x-amz-* headers into the query): S3 refuses a PUT whose signed headers differ
        // (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html, X-Amz-SignedHeaders).
        signableHeaders: new Set(['content-type', 'content-length', ...Object.keys(metaHeaders)]),
        unhoistableHeaders: new Set(Object.keys(metaHeaders)),
      });
      return { url, headers: { 'content-type': contentType, ...metaHeaders }, expiresAt: new Date(Date.now() + PUT_SECONDS * 1000).toISOString() };
    },
    async head(key): Promise<UploadedObject | undefined> {
      try {
        const res = await s3().send(new HeadObjectCommand({ Bucket, Key: key }));
        return { size: res.ContentLength ?? 0, contentType: res.ContentType, metadata: res.Metadata ?? {} };
      } catch (err) {
        // HEAD of a missing key: 404 without a body, which the SDK names NotFound (NoSuchKey for some clients).
        const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
        if (e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return undefined;
        throw err;
      }
    },
    async copy(from, to) {
      await s3().send(new CopyObjectCommand({ Bucket, Key: to, CopySource: copySource(Bucket, from) }));
    },
    async putJson(key, body) {
      await s3().send(new PutObjectCommand({ Bucket, Key: key, ContentType: 'application/json', Body: JSON.stringify(body) }));
    },
    async delete(key) {
      // DeleteObject of a missing key succeeds (204): https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html
      await s3().send(new DeleteObjectCommand({ Bucket, Key: key }));
    },
    async presignGet(key, contentType, fileName, seconds) {
      // response-content-type and response-content-disposition override the answer's headers
      // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Overriding response header values").
      return getSignedUrl(s3(), new GetObjectCommand({
        Bucket, Key: key, ResponseContentType: contentType, ResponseContentDisposition: inlineDisposition(fileName),
      }), { expiresIn: seconds });
    },
    uri: (key) => `s3://${Bucket}/${key}`,
  };
}
