/**
 * The app's addresses: hash routes (`#/…`), so that any static host serves them (the site has one page, and a hash
 * never reaches the server) and the browser's history has an entry per screen: Back and Forward work, a link opens a
 * screen (docs/architecture.md, "Custom bots in the app and the widget").
 *
 * - `#/` a new chat; `#/c/<conversationId>` a conversation;
 * - `#/bots/<botId>` a new chat with a bot; `#/bots/<botId>/edit` its editor; `#/new-bot` a new bot (not
 *   under `#/bots/`: a deployment's bot may be called `new`);
 * - `#/store` the bot store.
 * - `#/admin/usage` the admins' usage limits screen (usage-admin/).
 */
export type Route =
  | { readonly screen: 'chat'; readonly conversationId?: string }
  | { readonly screen: 'bot'; readonly botId: string }
  | { readonly screen: 'editor'; readonly botId?: string }
  | { readonly screen: 'store' }
  | { readonly screen: 'usage-admin' };

const part = (s: string) => encodeURIComponent(s);

export const routes = {
  home: (): string => '#/',
  conversation: (id: string): string => `#/c/${part(id)}`,
  bot: (id: string): string => `#/bots/${part(id)}`,
  edit: (id: string): string => `#/bots/${part(id)}/edit`,
  newBot: (): string => '#/new-bot',
  store: (): string => '#/store',
  usageAdmin: (): string => '#/admin/usage',
};

/** The route of a `location.hash` (anything unknown is a new chat). */
export function parseRoute(hash: string): Route {
  const segments = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return '';
    }
  });
  const [first, second, third] = segments;
  if (first === 'c' && second) return { screen: 'chat', conversationId: second };
  if (first === 'store' && !second) return { screen: 'store' };
  if (first === 'admin' && second === 'usage' && !third) return { screen: 'usage-admin' };
  if (first === 'new-bot' && !second) return { screen: 'editor' };
  if (first === 'bots' && second && third === 'edit') return { screen: 'editor', botId: second };
  if (first === 'bots' && second && !third) return { screen: 'bot', botId: second };
  return { screen: 'chat' };
}
