import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { env } from './env';
import { s3 } from './s3';
import { PENDING_TAG } from '../core/limits';
import type { UploadTarget } from '../core/rest';

/**
 * The upload's tag set as the x-amz-tagging header carries it, URL query form ("The tag-set must be encoded as URL
 * Query parameters": https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html, `x-amz-tagging`).
 */
const PENDING_TAGGING = `${PENDING_TAG.key}=${PENDING_TAG.value}`;

/** Presigned PUTs live this long. */
const EXPIRES_IN_SECONDS = 300;


/** A presigned PUT into the large-message bucket (`LARGE_MESSAGE_BUCKET`), bound to the content type and length. */
export async function presignUpload(key: string, contentType: string, size: number): Promise<UploadTarget> {
  const url = await getSignedUrl(s3(), new PutObjectCommand({
    Bucket: env('LARGE_MESSAGE_BUCKET'),
    Key: key,
    ContentType: contentType,
    ContentLength: size,
    Tagging: PENDING_TAGGING,
  }), {
    expiresIn: EXPIRES_IN_SECONDS,
    // x-amz-tagging stays a header the browser must send (the presigner would otherwise move x-amz-* headers into the
    // query): signed, so an upload cannot drop its `pending` tag and escape ExpireUnreferencedUploads.
    signableHeaders: new Set(['content-type', 'content-length', 'x-amz-tagging']),
    unhoistableHeaders: new Set(['x-amz-tagging']),
  });
  return {
    url,
    headers: { 'content-type': contentType, 'x-amz-tagging': PENDING_TAGGING },
    expiresAt: new Date(Date.now() + EXPIRES_IN_SECONDS * 1000).toISOString(),
  };
}

/** DeleteObjects takes at most 1,000 keys: https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html */
const DELETE_BATCH = 1000;

/**
 * Deletes attachments of `userId` (the given keys, or every object under `uploads/<userId>/`): ListObjectsV2 pages of
 * at most 1,000 keys, DeleteObjects in quiet mode (a missing key counts as deleted, so running it again is harmless).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
 */
export async function deleteUploads(userId: string, keys?: readonly string[]): Promise<void> {
  const Bucket = env('LARGE_MESSAGE_BUCKET');
  const prefix = `uploads/${userId}/`;
  const remove = async (batch: string[]) => {
    if (!batch.length) return;
    const res = await s3().send(new DeleteObjectsCommand({ Bucket, Delete: { Quiet: true, Objects: batch.map((Key) => ({ Key })) } }));
    if (res.Errors?.length) throw new Error(`S3 could not delete ${res.Errors.length} attachment(s): ${res.Errors[0].Code}`);
  };
  if (keys) {
    const own = keys.filter((k) => k.startsWith(prefix));
    for (let i = 0; i < own.length; i += DELETE_BATCH) await remove(own.slice(i, i + DELETE_BATCH));
    return;
  }
  let ContinuationToken: string | undefined;
  do {
    const page = await s3().send(new ListObjectsV2Command({ Bucket, Prefix: prefix, ContinuationToken }));
    await remove((page.Contents ?? []).map((o) => o.Key!).filter((k) => k.startsWith(prefix)));
    ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (ContinuationToken);
}
