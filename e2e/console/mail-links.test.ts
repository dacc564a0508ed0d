/**
 * The pages the edge's mails link to, in a real Chromium (issues 14 and 16): the confirmation link
 * confirms the address, the reset link sets a new password; the token is taken from the fragment and
 * wiped from the address bar; no CSP or Trusted Types violation.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { latestMailToken } from '../support/mailbox.ts';
import { type Browser, launchBrowser, violationsOf } from './browser.ts';
import { newEmail, PASSWORD } from './pages.ts';

const { edgeUrl, persistTo } = inject('system');
let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
  page = await browser.newPage();
});
afterAll(async () => {
  await browser.close();
});

const post = (path: string, body: unknown, token?: string) =>
  fetch(`${edgeUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });

async function register(email: string): Promise<string> {
  const res = await post('/v1/auth/register', { email, password: PASSWORD });
  expect(res.ok).toBe(true);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

/** The mail is queued after the response: wait for it to land. */
async function mailToken(email: string, prefix: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const token = latestMailToken(persistTo, email, prefix);
    if (token) return token;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no mail with a token for ${email}`);
}

describe('mail links in Chromium', { timeout: 60_000 }, () => {
  it('the confirmation link confirms the address', async () => {
    const email = newEmail();
    const access = await register(email);
    const token = await mailToken(email, 'ev_');
    await page.goto(`${edgeUrl}/verify-email#token=${token}`);
    await page.getByRole('button', { name: 'Confirm my email' }).click();
    await page.getByRole('status').getByText('Your email address is confirmed.').waitFor();
    expect(new URL(page.url()).hash).toBe('');
    const me = await fetch(`${edgeUrl}/v1/me`, { headers: { authorization: `Bearer ${access}` } });
    expect(((await me.json()) as { emailVerified: boolean }).emailVerified).toBe(true);
    expect(await violationsOf(page)).toEqual([]);
  });

  it('the reset link sets a new password, and a used link shows its error', async () => {
    const email = newEmail();
    await register(email);
    expect((await post('/v1/auth/password/forgot', { email })).status).toBe(202);
    const token = await mailToken(email, 'pr_');
    const fresh = `${PASSWORD} renewed`;
    await page.goto(`${edgeUrl}/reset-password#token=${token}`);
    await page.getByLabel('New password', { exact: true }).fill(fresh);
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.getByRole('status').getByText('Your password is changed.', { exact: false }).waitFor();
    const login = await post('/v1/auth/login', { email, password: fresh });
    expect(login.status).toBe(200);

    // A fresh page: the same path with only a new fragment would not load the page again.
    const again = await browser.newPage();
    await again.goto(`${edgeUrl}/reset-password#token=${token}`);
    await again.getByLabel('New password', { exact: true }).fill(`${fresh} again`);
    await again.getByRole('button', { name: 'Set the new password' }).click();
    await again.getByRole('alert').waitFor();
    expect(await violationsOf(again)).toEqual([]);
    expect(browser.dialogs).toEqual([]);
    expect(await violationsOf(page)).toEqual([]);
  });
});
