import { GetObjectCommand, NoSuchKey } from '@aws-sdk/client-s3';
import { env } from './env';
import { s3 } from './s3';
import { ChatError } from '../core/errors';
import type { BlobLoader } from '../core/model';

/** Largest file the worker reads into a model request (Bedrock's document limit is 4.5 MB, images 3.75 MB). */
const MAX_BYTES = 4.5 * 1024 * 1024;


/** Reads uploads from the large-message bucket (`LARGE_MESSAGE_BUCKET`). */
export const loadBlob: BlobLoader = async (key) => {
  try {
    const res = await s3().send(new GetObjectCommand({ Bucket: env('LARGE_MESSAGE_BUCKET'), Key: key }));
    if ((res.ContentLength ?? 0) > MAX_BYTES) throw new ChatError('TOO_LARGE', 'An attachment is larger than 4.5 MB.');
    return await res.Body!.transformToByteArray();
  } catch (err) {
    if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') {
      throw new ChatError('NOT_FOUND', 'An attachment of this message is missing; it may have expired. Attach it again.');
    }
    throw err;
  }
};
