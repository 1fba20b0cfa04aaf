/**
 * The whole slice in Chromium: the playground page signs in a local user, the <bedrock-chat> widget streams an answer
 * from the offline model through the WebSocket stand-in, and the conversation survives a reload. The playground's
 * strict CSP is in force; any CSP violation or page error fails the test.
 */
import type { Page } from 'playwright-core';
import { describeChromium, playgroundSession, signInAs, watchPage } from './harness';
import { offlineReply } from '../../src/local/offline-model';
import { Playground } from '../../src/local/playground';

describeChromium('playground in Chromium', () => {
  let pg: Playground;
  let page: Page;
  const problems: string[] = [];

  const session = playgroundSession({ built: 'bedrock-chat.js', playground: { quiet: true, wordDelayMs: 20 } });
  beforeAll(async () => {
    pg = session.pg;
    page = await session.browser.newPage();
    watchPage(page, (problem) => problems.push(problem), { consoleErrors: true, responses: true });
  });

  test('type a question, watch the answer grow, reload, see the conversation again', async () => {
    await signInAs(page, pg, 'alice');

    const question = 'Does the <b>widget</b> stream? "yes" & no';
    const input = page.locator('bedrock-chat [part~="input"]');
    await input.fill(question);
    await input.press('Enter');

    const answer = page.locator('bedrock-chat [part~="message"][part~="assistant"] [part~="message-text"]').last();
    const expected = offlineReply(question);
    const seen = new Set<string>();
    const deadline = Date.now() + 20_000;
    let text = '';
    while (Date.now() < deadline) {
      text = (await answer.count()) ? (await answer.textContent()) ?? '' : '';
      if (text) seen.add(text);
      if (text === expected) break;
      await page.waitForTimeout(15);
    }
    expect(text).toBe(expected);
    // Rendered incrementally: strictly growing prefixes of the final answer, in more than one step.
    const steps = [...seen].sort((a, b) => a.length - b.length);
    expect(steps.length).toBeGreaterThan(2);
    for (const s of steps) expect(expected.startsWith(s)).toBe(true);
    // Markup in the user's text stays text.
    expect(await page.locator('bedrock-chat b').count()).toBe(0);
    expect(await page.locator('bedrock-chat [role="log"]').count()).toBe(1);

    await page.reload();
    await page.getByText(/Signed in as alice/i).waitFor();
    const user = page.locator('bedrock-chat [part~="message"][part~="user"]');
    await user.first().waitFor();
    expect(await user.allTextContents()).toEqual([expect.stringContaining(question)]);
    await expect(answer.textContent()).resolves.toBe(expected);

    expect(problems).toEqual([]);
  });
});
