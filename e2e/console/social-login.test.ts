/**
 * Issue 14: a new user clicks "Continue with Google" on the sign-in page and, through the local
 * OpenID Connect server (oauth2-mock-server, started by e2e/global-setup.ts), lands signed in on the
 * console with a password-less account whose sign-in methods list Google.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Browser, launchBrowser } from './browser.ts';
import { screenshot } from './pages.ts';

const { edgeUrl } = inject('system');

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

describe('sign in with Google', () => {
  it('the button appears, the round trip signs a new user in, and the account page shows the identity', async () => {
    const page = await browser.newPage();
    await page.goto(`${edgeUrl}/`);
    const button = page.getByRole('link', { name: 'Continue with Google' });
    await button.click();
    await page.getByRole('heading', { name: 'Run code' }).waitFor();
    expect(new URL(page.url()).origin).toBe(edgeUrl);
    // The callback's marker is consumed; the access token never appeared in a URL.
    expect(page.url()).not.toContain('token');

    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByRole('heading', { name: 'Sign-in methods' }).waitFor();
    const section = page.getByRole('region', { name: 'Sign-in methods' });
    await expect.poll(() => section.textContent()).toContain('Google');
    expect(await section.textContent()).toContain('No password');
    // The last way to sign in cannot be removed from here.
    expect(await section.getByRole('button', { name: 'Unlink' }).isDisabled()).toBe(true);
    await screenshot(page, 'social-login-account');
    await page.close();
  });
});
