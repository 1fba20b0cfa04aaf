/**
 * Shared by the end-to-end tests: Debian's Chromium against the playground (the real local stack). Without Chromium
 * the tests are skipped with a notice, and in CI they fail (`chromiumPath`).
 */
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { chromiumPath, launchChromium } from '../../src/local/browser';
import { Playground, PlaygroundOptions, startPlayground } from '../../src/local/playground';

const executable = chromiumPath();
/** `describe` where Chromium is installed, else `describe.skip` (chromiumPath has printed why). */
export const describeChromium = executable ? describe : describe.skip;

const WEB = join(__dirname, '../../assets/web');
const AXE = join(__dirname, '../../node_modules/axe-core/axe.min.js');

/** The offline model and a priced twin, for the tests of the model picker and of prices. */
export const PICKER_MODELS: PlaygroundOptions['models'] = [
  { key: 'offline', modelId: 'local.offline-model-v1', displayName: 'Offline model' },
  { key: 'offline-priced', modelId: 'local.offline-priced', displayName: 'Offline, priced', prices: { inputPer1kTokens: 0.01, outputPer1kTokens: 0.02 } },
];

/** The playground and Chromium of a describe block. */
export interface PlaygroundSession {
  readonly pg: Playground;
  readonly browser: Browser;
  /** A new context, closed with the browser after all tests (or earlier by the test). */
  newContext(options?: BrowserContextOptions): Promise<BrowserContext>;
}

export interface PlaygroundSessionOptions {
  /** The built file of assets/web the tests need. */
  readonly built: string;
  readonly playground: PlaygroundOptions;
  /** The time the playground may take to start, when more than the tests' default. */
  readonly startTimeoutMs?: number;
}

/**
 * Registers the hooks the end-to-end tests share: before all, the built widget must exist, the playground starts and
 * Chromium is launched; after all, the contexts made with `newContext` close, then Chromium, then the playground.
 * Hooks run in the order they are declared: call it first in the describe block, so that the block's `beforeAll`
 * (its page, its listeners) runs once Chromium is up; an `afterAll` that must run before the playground stops is
 * declared before it.
 */
export function playgroundSession(options: PlaygroundSessionOptions): PlaygroundSession {
  let pg: Playground | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    if (!existsSync(join(WEB, options.built))) throw new Error(`assets/web/${options.built} is missing: build the widget first with \`npx projen bundle:web\` (npm run build does).`);
    pg = await startPlayground(options.playground);
    browser = await launchChromium(executable!);
  }, options.startTimeoutMs);
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await pg?.stop();
  });
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`No ${what} yet: use it inside a test or a hook after playgroundSession's.`);
    return value;
  };
  return {
    get pg() { return started(pg, 'playground'); },
    get browser() { return started(browser, 'browser'); },
    async newContext(contextOptions?: BrowserContextOptions) {
      const context = await started(browser, 'browser').newContext(contextOptions);
      contexts.push(context);
      return context;
    },
  };
}

export interface WatchOptions {
  /** Put before each problem, with a colon (the user of the page, where a test has several). */
  readonly prefix?: string;
  /** Console errors are problems too, but for failed resource loads (`responses` reports those). */
  readonly consoleErrors?: boolean;
  /** Responses with a status of 400 or more are problems. */
  readonly responses?: boolean;
}

/**
 * Reports what a page should never show: uncaught page errors and Content Security Policy messages, and as chosen
 * console errors and failed responses.
 */
export function watchPage(page: Page, report: (problem: string) => void, options: WatchOptions = {}): void {
  const prefix = options.prefix ? `${options.prefix}: ` : '';
  page.on('pageerror', (err) => report(`${prefix}page error: ${err.message}`));
  page.on('console', (msg) => {
    if ((options.consoleErrors && msg.type() === 'error' && !/Failed to load resource/.test(msg.text())) || /Content Security Policy/i.test(msg.text())) {
      report(`${prefix}console: ${msg.text()}`);
    }
  });
  if (options.responses) {
    page.on('response', (res) => {
      if (res.status() >= 400) report(`${prefix}HTTP ${res.status()} ${res.url()}`);
    });
  }
}

/**
 * axe-core's violations on the page, one `rule: [targets]` line each. Injected through the DevTools protocol:
 * the playground's CSP allows no inline script.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(readFileSync(AXE, 'utf8'));
  return page.evaluate(async () => {
    type Result = { violations: { id: string; nodes: { target: unknown }[] }[] };
    const axe = (window as unknown as { axe: { run: (ctx: unknown) => Promise<Result> } }).axe;
    return (await axe.run(document)).violations.map((v) => `${v.id}: ${JSON.stringify(v.nodes.map((n) => n.target))}`);
  });
}

/** Opens the playground in `page` and signs in as one of its local users with the sign-in page's button. */
export async function signInAs(page: Page, pg: Playground, user: string): Promise<void> {
  await page.goto(pg.url);
  await page.getByRole('button', { name: new RegExp(user, 'i') }).click();
  await page.getByText(new RegExp(`Signed in as ${user}`, 'i')).waitFor();
}
