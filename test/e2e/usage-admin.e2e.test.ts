/**
 * The admins' usage limits screen on the real playground (examples/full-system as `npm start` runs it: its default
 * limits, handlers, emulators, offline model): the admin sees the example's defaults, gives the group
 * CreatingBotAllowed 520 tokens an hour in the screen, and alice (a member) then hits it and reads the QUOTA message;
 * bob (no admin) has no link, and the address shows him that only admins manage limits (the server's 403).
 *
 * 520 tokens: a first "hi" reserves 501 (1 + 500 assumed for the answer) and uses a few dozen with the offline
 * model, so the second one does not fit (as in usage.e2e.test.ts).
 */
import type { Page } from 'playwright-core';
import { describeChromium, playgroundSession } from './harness';
import { LOCAL_USERS } from '../../src/local/idp';
import { Playground } from '../../src/local/playground';

describeChromium('usage limits admin screen on the playground', () => {
  let pg: Playground;

  const session = playgroundSession({ built: 'bedrock-chat-app.js', playground: { quiet: true, wordDelayMs: 1 }, startTimeoutMs: 120_000 });
  beforeAll(() => {
    pg = session.pg;
  });

  async function signIn(user: 'admin' | 'alice' | 'bob'): Promise<Page> {
    const page = await (await session.newContext()).newPage();
    await page.goto(pg.url);
    await page.locator(`#users button[data-username="${user}"]`).click();
    await page.getByText(`Signed in as ${user}`).waitFor();
    await page.locator('bedrock-chat [part~="input"]').and(page.locator(':enabled')).waitFor();
    return page;
  }

  test('an admin sets a group limit in the screen; a member hits it; a non-admin has no screen', async () => {
    const admin = await signIn('admin');
    await admin.getByRole('link', { name: 'Usage limits' }).click();
    const screen = admin.locator('bedrock-chat-usage-admin');
    // The example's defaults (examples/full-system/app.ts), as the deployment reads them.
    await expect(screen.locator('[part="defaults"] td[data-key="tokensPerHour"]').textContent()).resolves.toBe('50,000');
    await expect(screen.locator('[part="defaults"] td[data-key="costUsdPerMonth"]').textContent()).resolves.toBe('$50.00');
    await screen.getByText('No group has an override.').waitFor();

    await screen.getByRole('button', { name: 'Add a group override' }).click();
    await screen.getByLabel('Group', { exact: true }).fill('CreatingBotAllowed');
    await screen.getByLabel('Tokens per hour').fill('520.5');
    await screen.getByRole('button', { name: 'Save' }).click();
    await screen.getByText('Enter a whole number of tokens from 0 to 1,000,000,000,000.').waitFor();
    await screen.getByLabel('Tokens per hour').fill('520');
    await screen.getByRole('button', { name: 'Save' }).click();
    await screen.getByText('The override of CreatingBotAllowed was saved.').waitFor();
    await screen.locator('[part="override"][data-name="CreatingBotAllowed"]').getByText('Tokens per hour: 520').waitFor();
    // Stored where the backend reads it.
    const listed = await (await fetch(`${pg.restApiUrl}/usage/limits`, { headers: { authorization: `Bearer ${pg.issueToken('admin')}` } })).json();
    expect(listed.groups).toEqual([{ group: 'CreatingBotAllowed', limits: { tokensPerHour: 520 } }]);

    // alice is in CreatingBotAllowed: her second "hi" does not fit.
    const alice = await signIn('alice');
    const input = alice.locator('bedrock-chat [part~="input"]');
    await input.fill('hi');
    await input.press('Enter');
    await alice.locator('bedrock-chat [part~="assistant"][data-status="done"]').first().waitFor({ timeout: 20_000 });
    await pg.idle();
    await input.fill('hi');
    await input.press('Enter');
    const error = alice.locator('bedrock-chat [part~="error"]');
    await alice.waitForFunction(() => {
      const el = document.querySelector('bedrock-chat-app')?.shadowRoot?.querySelector('bedrock-chat')?.shadowRoot?.querySelector('[part~="error"]');
      return !!el?.textContent?.trim();
    }, undefined, { timeout: 10_000 });
    await expect(error.textContent()).resolves.toMatch(/^You have reached your usage limit of 520 tokens per hour\. It resets at .+\.$/);
    // alice is no admin: no link.
    await expect(alice.locator('bedrock-chat-app [part="usage-admin-link"]').count()).resolves.toBe(0);

    // bob: no link, and the address shows the server's refusal; no override was written.
    const bob = await signIn('bob');
    await expect(bob.locator('bedrock-chat-app [part="usage-admin-link"]').count()).resolves.toBe(0);
    await bob.evaluate(() => { location.hash = '#/admin/usage'; });
    await bob.locator('bedrock-chat-usage-admin').getByRole('alert').getByText('Only admins can manage usage limits.').waitFor();
    const put = await fetch(`${pg.restApiUrl}/usage/limits/groups/CreatingBotAllowed`, {
      method: 'PUT', headers: { 'authorization': `Bearer ${pg.issueToken('bob')}`, 'content-type': 'application/json' }, body: '{"tokensPerHour":null}',
    });
    expect(put.status).toBe(403);

    // The admin removes the override: alice's limits are the defaults again.
    await screen.getByRole('button', { name: 'Remove the override of CreatingBotAllowed' }).click();
    await screen.getByText('No group has an override.').waitFor();
    const report = await (await fetch(`${pg.restApiUrl}/usage`, { headers: { authorization: `Bearer ${pg.issueToken('alice')}` } })).json();
    expect(report.windows.find((w: { window: string }) => w.window === 'hour').tokens.limit).toBe(50_000);
    expect(LOCAL_USERS.alice.groups).toContain('CreatingBotAllowed');
  });
});
