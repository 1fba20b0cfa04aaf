/**
 * Names shared by the bot table's construct part (src/constructs/chat-backend/bots.ts) and the domain
 * (core/bots.ts): kept here, free of SDK imports, so the construct library does not pull the AWS SDK in.
 */
export const BOT_INDEXES = {
  /** `gsi1pk` = `OWNER#<userId>` (a user's bots, by `gsi1sk` = updatedAt) or `RECENT#<userId>` (by last use). */
  byUserTime: 'byUserTime',
  /** `publicPk` = `PUBLIC`, `publicSk` = bot id: the bots shared with everyone, with the fields a store list shows. */
  public: 'public',
  /** `botPk` = `BOT#<botId>`, `sk`: the per-user items of a bot (stars, recents, shares), for cleanup. */
  byBot: 'byBot',
} as const;

/** The owner id stored on bots declared in code (bots as code, written by the deployment). */
export const DEPLOYMENT_OWNER = 'DEPLOYMENT';
/** Ids of bots declared in code: chosen by the developer. */
export const DEPLOYMENT_BOT_ID_PATTERN = '^[a-z0-9-]{1,64}$';

/** A bot id: a ULID (bots created in the app) or a deployment bot id. */
export const BOT_ID_PATTERN = '^([0-9A-HJKMNP-TV-Z]{26}|[a-z0-9-]{1,64})$';
