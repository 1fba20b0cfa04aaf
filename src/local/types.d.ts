// Module declarations for packages that ship without TypeScript types.

declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    /** Time tables stay in CREATING state (default 500 ms). */
    createTableMs?: number;
    /** Time tables stay in DELETING state (default 500 ms). */
    deleteTableMs?: number;
    /** Time tables stay in UPDATING state (default 500 ms). */
    updateTableMs?: number;
    /** Maximum item size in KB (default 400). */
    maxItemSizeKb?: number;
    /** LevelDB path; in memory when omitted. */
    path?: string;
    ssl?: boolean;
    verbose?: boolean;
    debug?: boolean;
  }

  function dynalite(options?: DynaliteOptions): Server;
  export = dynalite;
}

declare module 's3rver/lib/models/account' {
  interface AWSAccount {
    createKeyPair(accessKeyId: string, secretAccessKey: string): void;
  }
  const AWSAccount: {
    /** The account s3rver uses for every request (access key `S3RVER`). */
    DUMMY_ACCOUNT: AWSAccount;
  };
  export = AWSAccount;
}

declare module 's3rver/lib/models/config' {
  /** An object's tag set as s3rver stores it (the `tagging` subresource, PutObjectTagging's XML body). */
  export class TaggingConfiguration {
    constructor(xml: string);
    readonly type: 'tagging';
  }
}
