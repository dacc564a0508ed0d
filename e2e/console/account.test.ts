/**
 * The account and admin pages in a real Chromium (issue 16): "sign out everywhere" ends the session in
 * another browser too (its refresh cookie and its in-memory access token both stop working); changing
 * the password needs the current one and a long enough new one, and ends the session; deleting
 * the account needs the typed confirmation and the password, and the account is gone afterwards; an
 * administrator made with the operator's own tool (`npm run admin:grant`, against the edge's local
 * D1) sees stats, users, billing and the audit log, where a hostile user agent stays text.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ROOT } from '../support/host-process.ts';
import { type Browser, launchBrowser, violationsOf } from './browser.ts';
import { PASSWORD, screenshot, signIn, signUp } from './pages.ts';

const { edgeUrl, persistTo } = inject('system');
const run = promisify(execFile);

// A fresh browser profile (no cookie yet) per user in each test.
const browsers: Browser[] = [];
async function browser(): Promise<Browser> {
  const b = await launchBrowser();
  browsers.push(b);
  return b;
}

afterAll(async () => {
  for (const b of browsers) await b.close();
});

const login = (email: string, extra: Record<string, string> = {}, password = PASSWORD) =>
  fetch(`${edgeUrl}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...extra },
    body: JSON.stringify({ email, password }),
  });

async function openAccount(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'Account' }).click();
  await page.getByRole('heading', { name: 'Account', exact: true }).waitFor();
}

describe('account and admin pages in Chromium', { timeout: 120_000 }, () => {
  it('signs out everywhere: the other browser loses its session at its next request', async () => {
    const first = await browser();
    const here = await first.newPage();
    const there = await (await browser()).newPage();
    const email = await signUp(here, edgeUrl);
    await signIn(there, edgeUrl, email);

    await openAccount(here);
    await here.getByRole('button', { name: 'Sign out everywhere' }).click();
    await here.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(first.dialogs).toEqual(['confirm: Sign out on every device, this one included?']);

    // The other browser still holds an access token in memory: its next call is refused, the refresh
    // through its cookie is refused too, and it lands on the sign-in page.
    await there.getByRole('link', { name: 'API keys' }).click();
    await there.getByRole('heading', { name: 'Sign in' }).waitFor();
    await there.reload();
    await there.getByRole('heading', { name: 'Sign in' }).waitFor();
    // Signing in again works.
    await signIn(here, edgeUrl, email);
    expect(await violationsOf(here)).toEqual([]);
    await here.close();
    await there.close();
  });

  it('changes the password: the form needs the current one and a long enough new one', async () => {
    const page = await (await browser()).newPage();
    const email = await signUp(page, edgeUrl);
    await openAccount(page);
    const fresh = `${PASSWORD} changed`;
    const change = page.getByRole('button', { name: 'Change password' });
    const next = page.getByLabel('New password', { exact: true });

    // Too short: the browser keeps the form (the same rule as the edge's), nothing is sent.
    await page.getByLabel('Current password').fill(PASSWORD);
    await next.fill('short');
    await change.click();
    expect(await next.evaluate((i: HTMLInputElement) => i.validity.tooShort)).toBe(true);
    expect((await login(email)).status).toBe(200);

    // A wrong current password: the edge refuses, the page says so.
    await page.getByLabel('Current password').fill('not the password');
    await next.fill(fresh);
    await change.click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/Request id: \S+/);
    expect((await login(email, {}, fresh)).status).toBe(401);

    // Every session ends, this one too: the page signs out; only the new password works.
    await page.getByLabel('Current password').fill(PASSWORD);
    await change.click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect((await login(email)).status).toBe(401);
    expect((await login(email, {}, fresh)).status).toBe(200);
    expect(await violationsOf(page)).toEqual([]);
    await page.close();
  });

  it('deletes the account only after the typed confirmation and the password', async () => {
    const page = await (await browser()).newPage();
    const email = await signUp(page, edgeUrl);
    await openAccount(page);
    const remove = page.getByRole('button', { name: 'Delete my account' });
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    expect(await remove.isDisabled()).toBe(true);
    await page.getByLabel('Confirmation').fill('delete my account');
    await page.getByLabel('Password', { exact: true }).fill('not the password');
    await remove.click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/password_incorrect: .*Request id: \S+/);
    expect((await login(email)).status).toBe(200);

    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await remove.click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect((await login(email)).status).toBe(401);
    await page.close();
  });

  it('an administrator (npm run admin:grant) sees stats, users, billing and the audit log as text', async () => {
    const first = await browser();
    const page = await first.newPage();
    const email = await signUp(page, edgeUrl);
    // Attacker-controlled text in the audit log: a failed sign-in with a hostile user agent.
    const hostileAgent = '<img src=x onerror=alert(1)><script>alert(2)</script>';
    expect((await login(email, { 'user-agent': hostileAgent }, 'wrong password entirely')).status).toBe(401);

    await run(process.execPath, ['scripts/admin-grant.ts', email, '--persist-to', persistTo], {
      cwd: ROOT,
      env: {
        ...process.env,
        PATH: `${join(ROOT, 'node_modules/.bin')}:${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
        CI: '1',
        WRANGLER_SEND_METRICS: 'false',
      },
    });
    await page.reload();
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('heading', { name: 'Admin' }).waitFor();

    // Stats.
    const stats = page.locator('[role="tabpanel"] pre.output');
    await stats.waitFor();
    expect(await stats.textContent()).toContain('"users"');
    await screenshot(page, 'admin-stats');

    // Users: the new admin is listed.
    await page.getByRole('tab', { name: 'users' }).click();
    await page.getByRole('cell', { name: email, exact: true }).waitFor();
    await screenshot(page, 'admin-users');

    await page.getByRole('tab', { name: 'billing' }).click();
    await page.locator('[role="tabpanel"] table').waitFor();
    await screenshot(page, 'admin-billing');

    // Audit: the grant and the hostile user agent, shown as the characters sent.
    await page.getByRole('tab', { name: 'audit' }).click();
    await page.getByRole('cell', { name: 'admin.granted', exact: true }).first().waitFor();
    await page.getByRole('cell', { name: hostileAgent, exact: true }).first().waitFor();
    expect(await page.locator('main img, main script').count()).toBe(0);
    await screenshot(page, 'admin-audit');

    await page.setViewportSize({ width: 360, height: 780 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await screenshot(page, 'admin-360');

    expect(first.dialogs.filter((d) => d.startsWith('alert'))).toEqual([]);
    expect(await violationsOf(page)).toEqual([]);
    await page.close();
  });
});
