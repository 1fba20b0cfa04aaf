import { env, once } from './env';
import { documentClient } from './store';
import { BotStore } from '../core/bots';

/** The bot table (`BOT_TABLE_NAME`): bundled only by the functions that use bots (api, ws). */
export const botStore = once(() => new BotStore(documentClient(), env('BOT_TABLE_NAME')));
