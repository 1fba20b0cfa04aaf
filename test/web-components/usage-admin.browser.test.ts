/// <reference lib="dom" />
/**
 * The admins' usage limits screen of `<bedrock-chat-app>` in Chromium against the fake backend (its usage limits
 * routes check bodies with the server's own `limitSetProblem`): the sidebar link for admins only, the defaults, adding
 * a group override (client-side checks first, nothing sent), unlimited, the server's 400 beside its field, a user
 * override through the user search, edit and remove, 403 for a non-admin who opens the address, and axe.
 * Needs the built bundle: `npx projen bundle:web`.
 */
import type { Page } from 'playwright-core';
import { axeViolations, chromiumSession, describeBrowser, FakeBackend } from './fake-backend';

describeBrowser('usage limits admin screen (Chromium)', () => {
  const backend = new FakeBackend();
  const chromium = chromiumSession(backend);
  let page: Page;
  beforeEach(() => {
    backend.usageLimits.users.clear();
    backend.usageLimits.groups.clear();
    backend.usageLimits.defaults = { tokensPerHour: 50_000, costUsdPerDay: 5 };
    backend.usageCalls.length = 0;
    backend.me = { userId: 'user-1', email: 'admin@example.com', groups: ['Admin'], canCreateBots: true, isAdmin: true };
    page = chromium.page;
  });

  const screen = () => page.locator('bedrock-chat-usage-admin');
  const writes = () => backend.usageCalls.filter((c) => c.method !== 'GET');

  async function openApp(route = ''): Promise<void> {
    await page.goto(`${backend.origin}/app-test.html${route}`);
    await page.waitForFunction(() => (window as unknown as { testReady?: boolean }).testReady === true);
    await page.locator('bedrock-chat-bot-list [part~="store"]').waitFor();
  }

  test('an admin follows the sidebar link, sees the defaults, adds a group override (checked first), edits and removes it', async () => {
    await openApp();
    await page.getByRole('link', { name: 'Usage limits' }).click();
    await expect(page.evaluate(() => location.hash)).resolves.toBe('#/admin/usage');
    await screen().getByRole('heading', { name: 'Usage limits' }).waitFor();
    // The chat is hidden behind the screen.
    await expect(page.locator('bedrock-chat-app [part="chat"]').isHidden()).resolves.toBe(true);
    const defaults = screen().locator('[part="defaults"]');
    await expect(defaults.locator('td[data-key="tokensPerHour"]').textContent()).resolves.toBe('50,000');
    await expect(defaults.locator('td[data-key="tokensPerDay"]').textContent()).resolves.toBe('Unlimited');
    await expect(defaults.locator('td[data-key="costUsdPerDay"]').textContent()).resolves.toBe('$5.00');
    await screen().getByText('No group has an override.').waitFor();

    await screen().getByRole('button', { name: 'Add a group override' }).click();
    // Client-side checks, as the server's: nothing is sent.
    await screen().getByRole('button', { name: 'Save' }).click();
    await screen().getByText('Enter a group name.').waitFor();
    await screen().getByLabel('Group', { exact: true }).fill('Two words');
    await screen().getByRole('button', { name: 'Save' }).click();
    await screen().getByText('A group name has up to 128 letters, digits, symbols or punctuation, and no spaces.').waitFor();
    await screen().getByLabel('Group', { exact: true }).fill('Engineering');
    await screen().getByLabel('Tokens per hour').fill('1.5');
    await screen().getByLabel('Cost per day (USD)').fill('2000000');
    await screen().getByRole('button', { name: 'Save' }).click();
    await screen().getByText('Enter a whole number of tokens from 0 to 1,000,000,000,000.').waitFor();
    await screen().getByText('Enter an amount in USD from 0 to 1,000,000.').waitFor();
    await expect(screen().getByLabel('Tokens per hour').getAttribute('aria-invalid')).resolves.toBe('true');
    await screen().getByLabel('Tokens per hour').fill('1000000000001');
    await screen().getByLabel('Cost per day (USD)').fill('1e3');
    await screen().getByRole('button', { name: 'Save' }).click();
    await screen().getByText('Enter an amount in USD from 0 to 1,000,000.').waitFor();
    await expect(screen().getByLabel('Tokens per hour').getAttribute('aria-invalid')).resolves.toBe('true');
    expect(writes()).toEqual([]);

    // Valid: whole tokens, USD with cents, and an unlimited month for the group.
    await screen().getByLabel('Tokens per hour').fill('520');
    await screen().getByLabel('Cost per day (USD)').fill('2.5');
    await screen().locator('[part="field"][data-key="tokensPerMonth"]').getByLabel('Unlimited').check();
    await screen().getByRole('button', { name: 'Save' }).click();
    await screen().getByText('The override of Engineering was saved.').waitFor();
    expect(writes()).toEqual([{ method: 'PUT', path: '/api/usage/limits/groups/Engineering', body: { tokensPerHour: 520, tokensPerMonth: null, costUsdPerDay: 2.5 } }]);
    const row = screen().locator('[part="override"][data-subject="GROUP"][data-name="Engineering"]');
    await expect(row.textContent()).resolves.toMatch(/Tokens per hour: 520.*Tokens per month: Unlimited.*Cost per day \(USD\): \$2\.50/s);

    // Edit: the form has the stored values; emptying a field makes it inherit (absent from the body).
    await row.getByRole('button', { name: 'Edit the override of Engineering' }).click();
    await expect(screen().getByLabel('Tokens per hour').inputValue()).resolves.toBe('520');
    await expect(screen().locator('[part="field"][data-key="tokensPerMonth"]').getByLabel('Unlimited').isChecked()).resolves.toBe(true);
    await screen().getByLabel('Cost per day (USD)').fill('');
    await screen().getByRole('button', { name: 'Save' }).click();
    await screen().getByText('The override of Engineering was saved.').waitFor();
    expect(writes()[1]).toEqual({ method: 'PUT', path: '/api/usage/limits/groups/Engineering', body: { tokensPerHour: 520, tokensPerMonth: null } });
    expect(backend.usageLimits.groups.get('Engineering')).toEqual({ tokensPerHour: 520, tokensPerMonth: null });

    await row.getByRole('button', { name: 'Remove the override of Engineering' }).click();
    await screen().getByText('The override of Engineering was removed.').waitFor();
    await screen().getByText('No group has an override.').waitFor();
    expect(writes()[2]).toEqual({ method: 'DELETE', path: '/api/usage/limits/groups/Engineering' });
    expect(backend.usageLimits.groups.size).toBe(0);

    const violations = await axeViolations(page);
    expect(violations).toEqual([]);
  });

  test('the server\'s 400 is shown beside the field it names, and nothing is stored', async () => {
    await openApp('#/admin/usage');
    await screen().getByRole('button', { name: 'Add a group override' }).click();
    await screen().getByLabel('Group', { exact: true }).fill('Sales');
    await screen().getByLabel('Tokens per day').fill('1000');
    backend.nextUsageError = { status: 400, code: 'INVALID', message: 'The body: tokensPerDay is not a whole number of tokens <= 1e12 or USD <= 1e6.' };
    await screen().getByRole('button', { name: 'Save' }).click();
    const field = screen().locator('[part="field"][data-key="tokensPerDay"]');
    await field.getByText('The body: tokensPerDay is not a whole number of tokens <= 1e12 or USD <= 1e6.').waitFor();
    await expect(field.locator('input[type="text"]').getAttribute('aria-invalid')).resolves.toBe('true');
    expect(backend.usageLimits.groups.size).toBe(0);
    // A body with no limit at all is refused before it is sent.
    await screen().getByLabel('Tokens per day').fill('');
    const before = writes().length;
    await screen().getByRole('button', { name: 'Save' }).click();
    await screen().getByText('Set at least one limit, or remove the override.').waitFor();
    expect(writes().length).toBe(before);
  });

  test('a user override: the user is found by email (/users/search) and stored by id', async () => {
    await openApp('#/admin/usage');
    await screen().getByText('No user has an override.').waitFor();
    await screen().getByRole('button', { name: 'Add a user override' }).click();
    await screen().getByRole('button', { name: 'Save' }).click();
    await screen().getByText('Choose a user.').waitFor();
    await screen().getByLabel('User (search by email)').fill('bo');
    await screen().getByRole('button', { name: 'Bob <bob@example.com>' }).click();
    await screen().getByText('Chosen: bob@example.com').waitFor();
    // No "unlimited" for a user: an empty field inherits.
    await expect(screen().getByLabel('Unlimited').count()).resolves.toBe(0);
    await screen().getByLabel('Tokens per day').fill('10000');
    await screen().getByRole('button', { name: 'Save' }).click();
    await screen().getByText('The override of bob@example.com was saved.').waitFor();
    expect(writes()).toEqual([{ method: 'PUT', path: '/api/usage/limits/users/user-2', body: { tokensPerDay: 10000 } }]);
    const row = screen().locator('[part="override"][data-subject="USER"][data-name="user-2"]');
    await expect(row.textContent()).resolves.toContain('bob@example.com');
    await expect(row.textContent()).resolves.toContain('Tokens per day: 10,000');
  });

  test('a non-admin has no link, and the address shows that only admins manage limits (the server\'s 403)', async () => {
    backend.me = { userId: 'user-1', email: 'alice@example.com', groups: ['Engineering'], canCreateBots: true, isAdmin: false };
    await openApp();
    await expect(page.locator('bedrock-chat-app [part="usage-admin-link"]').count()).resolves.toBe(0);
    await page.evaluate(() => { location.hash = '#/admin/usage'; });
    await screen().getByRole('alert').getByText('Only admins can manage usage limits.').waitFor();
    await expect(screen().getByRole('button', { name: 'Add a group override' }).count()).resolves.toBe(0);
    expect(backend.usageCalls.map((c) => c.method)).toEqual(['GET']);
  });

  test('in German', async () => {
    await page.addInitScript(() => localStorage.setItem('bedrock-chat-app:lang', 'de'));
    await openApp('#/admin/usage');
    await screen().getByRole('heading', { name: 'Nutzungslimits' }).waitFor();
    await screen().getByRole('button', { name: 'Gruppen-Überschreibung hinzufügen' }).waitFor();
  });
});
