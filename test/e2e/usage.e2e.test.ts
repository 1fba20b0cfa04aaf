/**
 * Usage limits in the browser, on the real local stack (handlers, emulators, offline model): a user over their hourly
 * token limit is told so in words, with when it resets, and the message is marked not sent; the settings show what
 * was used and what remains per window (GET /usage), in the page's language too.
 *
 * The stack's limit is 520 tokens an hour: a first "hi" reserves 501 (1 + 500 assumed for the answer) and uses a few
 * dozen with the offline model, so the second one (a few dozen + 501) does not fit.
 */
import type { Page } from 'playwright-core';
import { describeChromium, playgroundSession, signInAs } from './harness';
import { Playground } from '../../src/local/playground';

describeChromium('usage limits in the web app', () => {
  let pg: Playground;
  let page: Page;
  const chat = (part: string) => page.locator(`bedrock-chat [part~="${part}"]`);

  const session = playgroundSession({ built: 'bedrock-chat-app.js', playground: { quiet: true, wordDelayMs: 1, usageLimits: { tokensPerHour: 520 } }, startTimeoutMs: 120_000 });
  beforeAll(async () => {
    pg = session.pg;
    page = await session.browser.newPage();
  });

  test('over the hourly limit: the QUOTA message in words with the reset time; the settings show used and remaining', async () => {
    await signInAs(page, pg, 'bob');
    await chat('input').and(page.locator(':enabled')).waitFor();

    await chat('input').fill('hi');
    await chat('input').press('Enter');
    await page.locator('bedrock-chat [part~="assistant"][data-status="done"]').first().waitFor({ timeout: 20_000 });
    await pg.idle();

    await chat('input').fill('hi');
    await chat('input').press('Enter');
    const error = chat('error');
    await page.waitForFunction(() => {
      const el = document.querySelector('bedrock-chat-app')?.shadowRoot?.querySelector('bedrock-chat')?.shadowRoot?.querySelector('[part~="error"]');
      return !!el?.textContent?.trim();
    }, undefined, { timeout: 10_000 });
    const text = (await error.textContent())!.trim();
    const now = new Date();
    const reset = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), now.getUTCHours() + 1));
    const expectedTime = await page.evaluate((iso) => new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso)), reset.toISOString());
    expect(text).toBe(`You have reached your usage limit of 520 tokens per hour. It resets at ${expectedTime}.`);
    // The refused message is marked as not sent (nothing was stored for it).
    await expect(page.locator('bedrock-chat [part~="user"]').last().locator('[part="message-note"]').textContent()).resolves.toContain('Not sent.');

    await page.locator('bedrock-chat-app [part~="settings"]').click();
    const hour = page.locator('bedrock-chat-app [part~="usage-window"][data-window="hour"]');
    await hour.waitFor();
    const report = await (await fetch(`${pg.restApiUrl}/usage`, { headers: { authorization: `Bearer ${pg.issueToken('bob')}` } })).json();
    const used = report.windows[0].tokens.used;
    expect(used).toBeGreaterThan(0);
    const hourText = (await hour.textContent())!.replace(/\s+/g, ' ').trim();
    expect(hourText).toContain(`Tokens: ${used} of 520 used, ${520 - used} left`);
    expect(hourText).toContain('Cost: ');
    expect(hourText).toContain(`Resets at ${expectedTime}`);
    await expect(page.locator('bedrock-chat-app [part~="usage-window"][data-window="month"]').textContent()).resolves.toMatch(/Tokens: \d+ used, no limit/);

    // The same settings in German.
    await page.locator('bedrock-chat-app [part~="language"]').selectOption('de');
    await page.locator('bedrock-chat-app [part~="settings-close"]').click();
    await page.locator('bedrock-chat-app [part~="settings"]').click();
    await expect(page.locator('bedrock-chat-app [part~="usage"] h3').textContent()).resolves.toBe('Nutzung');
    await expect(hour.textContent()).resolves.toContain(`Tokens: ${used} von 520 verbraucht`);
  });
});
