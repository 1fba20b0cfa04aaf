import { S3Client } from '@aws-sdk/client-s3';
import { once } from './env';

/**
 * The S3 client of the large-message bucket, shared by uploads (presigned PUTs) and blobs (reads). Checksums only
 * when required: otherwise the SDK adds a CRC32 of the (empty) body to presigned URLs and S3 rejects the real upload.
 * `S3_FORCE_PATH_STYLE=true` is for the local emulator.
 */
export const s3 = once(() => new S3Client({
  forcePathStyle: process.env.S3_FORCE_PATH_STYLE === 'true',
  requestChecksumCalculation: 'WHEN_REQUIRED',
}));
