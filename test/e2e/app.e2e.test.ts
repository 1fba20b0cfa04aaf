/**
 * The web app on the real local stack (handlers, emulators, offline model): two conversations, switching between them
 * in the sidebar, rename, search for a word of an answer, delete; axe finds nothing. Strict CSP in force.
 */
import type { Page } from 'playwright-core';
import { Playground } from '../../src/local/playground';
import { settles } from '../settles';
import { axeViolations, describeChromium, playgroundSession, signInAs, watchPage } from './harness';

describeChromium('web app on the playground', () => {
  let pg: Playground;
  let page: Page;
  const problems: string[] = [];
  const chat = (part: string) => page.locator(`bedrock-chat [part~="${part}"]`);
  const item = (name: string) => page.locator('bedrock-chat-history [part~="select"]').filter({ hasText: name });

  const session = playgroundSession({ built: 'bedrock-chat-app.js', playground: { quiet: true, wordDelayMs: 5 } });
  beforeAll(async () => {
    pg = session.pg;
    page = await session.browser.newPage();
    watchPage(page, (problem) => problems.push(problem));
  });


  async function ask(text: string): Promise<void> {
    const answers = await chat('assistant').count();
    await chat('input').fill(text);
    await chat('input').press('Enter');
    await page.locator('bedrock-chat [part~="assistant"][data-status="done"]').nth(answers).waitFor({ timeout: 20_000 });
  }

  test('two conversations, switch, rename, search, delete', async () => {
    await signInAs(page, pg, 'alice');
    await chat('input').and(page.locator(':enabled')).waitFor();

    await ask('Tell me about pelicans');
    await page.locator('bedrock-chat-history [part~="new-chat"]').click();
    await ask('What do walruses eat?');
    // Both appear in the sidebar (with the title model's titles once proposed), newest first.
    await settles(() => page.locator('bedrock-chat-history [part~="select"]').count(), 2);
    const current = page.locator('bedrock-chat-history [part~="select"][aria-current="page"]');
    // The list shows "Untitled conversation" until the title model's proposal arrives (a title frame): wait for it,
    // or the name read here changes under the test.
    await settles(async () => /Untitled conversation/.test((await current.textContent()) ?? ''), false);
    const secondTitle = (await current.textContent())!.trim();

    // Switch to the first conversation and back.
    const first = page.locator('bedrock-chat-history [part~="select"]').nth(1);
    await first.click();
    await chat('user').filter({ hasText: 'Tell me about pelicans' }).waitFor();
    await expect(chat('user').count()).resolves.toBe(1);
    await item(secondTitle).click();
    await chat('user').filter({ hasText: 'What do walruses eat?' }).waitFor();

    // Rename the open conversation.
    await page.locator('bedrock-chat-history [part~="item"][part~="current"] [part~="rename"]').click();
    await page.locator('bedrock-chat-history [part~="rename-input"]').fill('Walrus diet');
    await page.locator('bedrock-chat-history [part~="rename-input"]').press('Enter');
    await item('Walrus diet').waitFor();

    // Search finds a word that only the answer contains (the offline model quotes the question and names itself).
    const answer = (await page.locator('bedrock-chat [part~="assistant"] [part="message-text"]').last().textContent()) ?? '';
    const word = answer.split(/\W+/).find((w) => w.length > 5 && !/walrus|eat/i.test(w))!;
    expect(word).toBeTruthy();
    await page.locator('bedrock-chat-history [part~="search"]').fill(word.toLowerCase());
    await page.locator('bedrock-chat-history [part~="snippet"]').first().waitFor({ timeout: 10_000 });
    await expect(page.locator('bedrock-chat-history [part~="snippet"]').first().textContent()).resolves.toMatch(new RegExp(word, 'i'));
    await page.locator('bedrock-chat-history [part~="search"]').fill('');
    await settles(() => page.locator('bedrock-chat-history [part~="select"]').count(), 2);

    // Delete the open conversation: the chat starts a new one, the list keeps the other.
    await page.locator('bedrock-chat-history [part~="item"][part~="current"] [part~="delete"]').click();
    await page.locator('bedrock-chat-history [part~="delete-confirm"]').click();
    await settles(() => page.locator('bedrock-chat-history [part~="select"]').count(), 1);
    await settles(() => chat('message').count(), 0);
    await page.reload();
    await page.getByText(/Signed in as alice/i).waitFor();
    await settles(() => page.locator('bedrock-chat-history [part~="select"]').count(), 1);
    await expect(item('Walrus diet').count()).resolves.toBe(0);

    // axe, injected through the DevTools protocol (the page's CSP allows no inline script).
    const violations = await axeViolations(page);
    expect(violations).toEqual([]);
    expect(problems).toEqual([]);
  });
});
