import { PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { env } from './env';
import { s3 } from './s3';
import type { UploadTarget } from '../core/rest';

/** Presigned PUTs live this long. */
const EXPIRES_IN_SECONDS = 300;


/** A presigned PUT into the large-message bucket (`LARGE_MESSAGE_BUCKET`), bound to the content type and length. */
export async function presignUpload(key: string, contentType: string, size: number): Promise<UploadTarget> {
  const url = await getSignedUrl(s3(), new PutObjectCommand({
    Bucket: env('LARGE_MESSAGE_BUCKET'),
    Key: key,
    ContentType: contentType,
    ContentLength: size,
  }), { expiresIn: EXPIRES_IN_SECONDS, signableHeaders: new Set(['content-type', 'content-length']) });
  return {
    url,
    headers: { 'content-type': contentType },
    expiresAt: new Date(Date.now() + EXPIRES_IN_SECONDS * 1000).toISOString(),
  };
}
