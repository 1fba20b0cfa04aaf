import { DeleteObjectTaggingCommand } from '@aws-sdk/client-s3';
import { env, once } from './env';
import { s3 } from './s3';
import { documentClient } from './store';
import { ConversationStore } from '../core/conversations';
import { invalid } from '../core/errors';

/**
 * Removes the `pending` tag (PENDING_TAG) of uploads that a message about to be stored references, so the lifecycle
 * rule ExpireUnreferencedUploads no longer applies to them. DeleteObjectTagging removes the object's whole tag set
 * ("Removes the entire tag set from the specified object": https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjectTagging.html);
 * uploads carry no other tag. A missing upload (never uploaded, or expired) is the sender's error: NoSuchKey.
 */
export async function releaseUploads(keys: readonly string[]): Promise<void> {
  const Bucket = env('LARGE_MESSAGE_BUCKET');
  await Promise.all(keys.map(async (Key) => {
    try {
      await s3().send(new DeleteObjectTaggingCommand({ Bucket, Key }));
    } catch (err) {
      if ((err as { name?: string }).name === 'NoSuchKey') throw invalid('An attachment was not found. Please attach the file again.');
      throw err;
    }
  }));
}

/** The store of the ws handler: storing a message that references uploads first removes their `pending` tag. */
export const storeReleasingUploads = once(() => new ConversationStore(documentClient(), env('TABLE_NAME'), releaseUploads));
