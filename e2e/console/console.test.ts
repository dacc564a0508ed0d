/**
 * The console in a real Chromium against `wrangler dev` and a real sandbox host (issue 16): a new user
 * signs up, keeps the session across a reload (refresh cookie, token in memory only), stores a
 * provider key and sees only its hint, creates an API key and sees it once, runs Python and watches
 * the lines arrive one by one, cancels a run, survives a dropped stream, and hostile output stays
 * text: no dialog, no CSP or Trusted Types violation on any page.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Browser, launchBrowser, violationsOf } from './browser.ts';
import { newEmail, outputOf, PASSWORD, runAndWait, screenshot, setCode, signIn, signUp } from './pages.ts';

const { edgeUrl } = inject('system');

let browser: Browser;
let page: Page;
let email: string;

beforeAll(async () => {
  browser = await launchBrowser();
  page = await browser.newPage();
});

afterAll(async () => {
  await browser?.close();
});

/** A freshly loaded Run page (the session comes back through the refresh cookie). */
async function openRunPage(): Promise<void> {
  await page.goto(`${edgeUrl}/runs`);
  await page.locator('.cm-content').waitFor();
}

// A first run may wait for a container to start: more time than the suite's default per test.
describe('the console in Chromium', { timeout: 120_000 }, () => {
  it('signs up with the keyboard, survives a reload without storing the token, signs out and in', async () => {
    email = await signUp(page, edgeUrl);
    await screenshot(page, 'run');
    // The access token is nowhere the page's storage could leak it; the refresh token is HttpOnly.
    const stored = await page.evaluate(
      () => JSON.stringify({ ...localStorage, ...sessionStorage }) + document.cookie,
    );
    expect(stored).toBe('{}');
    const cookies = await browser.context.cookies();
    expect(cookies.find((c) => c.name === '__Secure-airlock_rt')).toMatchObject({
      httpOnly: true,
      sameSite: 'Strict',
      path: '/v1/auth',
    });

    await page.reload();
    await page.getByRole('heading', { name: 'Run code' }).waitFor();
    await expect(page.getByText(email)).toBeTruthy();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await screenshot(page, 'sign-in');
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();

    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('wrong password, surely');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/invalid_credentials: .*Request id: \S+/);

    await signIn(page, edgeUrl, email);
  });

  it('stores a provider key and shows only its hint', async () => {
    const secret = 'sk-test-0123456789abcdefSECRETtail';
    await page.getByRole('link', { name: 'Provider keys' }).click();
    await page.getByLabel('Provider', { exact: true }).selectOption('openai');
    await page.getByLabel('Key', { exact: true }).fill(secret);
    await page.getByRole('button', { name: 'Save key' }).click();
    const row = page.locator('tr[data-provider="openai"]');
    await row.waitFor();
    const hint = (await row.locator('.hint-value').textContent()) ?? '';
    expect(hint.length).toBeGreaterThan(0);
    expect(hint).not.toBe(secret);
    expect(await page.content()).not.toContain(secret);
    expect(await page.getByLabel('Key', { exact: true }).inputValue()).toBe('');
    await screenshot(page, 'provider-keys');
  });

  it('creates an API key, shows the secret once, and the key works', async () => {
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByLabel('Name').fill('ci');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secretEl = page.locator('#new-secret');
    await secretEl.waitFor();
    const secret = (await secretEl.textContent()) ?? '';
    expect(secret).toMatch(/^ak_[a-z0-9]{8}_[\w-]+$/);
    await screenshot(page, 'api-keys');
    const res = await fetch(`${edgeUrl}/v1/runs`, { headers: { Authorization: `Bearer ${secret}` } });
    expect(res.status).toBe(200);

    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.content()).not.toContain(secret);
    await page.reload();
    await page.getByRole('cell', { name: 'ci', exact: true }).waitFor();
    expect(await page.content()).not.toContain(secret);
  });

  it('runs Python and shows the lines as they arrive, in order, before the run ends', async () => {
    await openRunPage();
    await setCode(
      page,
      'import time\nfor i in range(4):\n    print("line", i, flush=True)\n    time.sleep(0.4)\n',
    );
    // Record each output element as it is inserted, and whether the run had ended at that moment.
    await page.evaluate(() => {
      const log = document.querySelector('[role="log"]');
      const arrivals: { text: string; ended: boolean }[] = [];
      (window as unknown as { arrivals: typeof arrivals }).arrivals = arrivals;
      new MutationObserver((records) => {
        for (const r of records)
          for (const n of Array.from(r.addedNodes))
            arrivals.push({
              text: n.textContent ?? '',
              ended: !!document.querySelector('[data-testid="run-status"]'),
            });
      }).observe(log as Node, { childList: true });
    });
    expect(await runAndWait(page)).toBe('succeeded');
    const arrivals = await page.evaluate(
      () => (window as unknown as { arrivals: { text: string; ended: boolean }[] }).arrivals,
    );
    expect(arrivals.map((a) => a.text).join('')).toBe('line 0\nline 1\nline 2\nline 3\n');
    expect(arrivals.length).toBeGreaterThan(1);
    expect(arrivals[0]?.ended).toBe(false);
    await screenshot(page, 'run-finished');
  });

  it('cancels a running program', async () => {
    await openRunPage();
    await setCode(page, 'import time\nprint("waiting", flush=True)\ntime.sleep(14)\n');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await outputOf(page).getByText('waiting').waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Cancel' }).click();
    const status = page.getByTestId('run-status');
    await status.waitFor({ timeout: 60_000 });
    expect(await status.textContent()).toBe('cancelled');
  });

  it('reconnects after a dropped connection with a fresh ticket and ?from, losing and repeating nothing', async () => {
    await openRunPage();
    await setCode(
      page,
      'import time\nfor i in range(6):\n    print("tick", i, flush=True)\n    time.sleep(0.4)\n',
    );
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await outputOf(page).getByText('tick 1').waitFor({ timeout: 60_000 });
    await page.evaluate(() => window.__airlockSockets.at(-1)?.close());
    expect(await page.getByTestId('run-status').textContent({ timeout: 60_000 })).toBe('succeeded');
    const text = await outputOf(page).textContent();
    expect(text).toBe([0, 1, 2, 3, 4, 5].map((i) => `tick ${i}\n`).join(''));
    const urls = await page.evaluate(() => window.__airlockSockets.slice(-2).map((s) => s.url));
    expect(urls[0]).not.toBe(urls[1]);
    expect(new URL(urls[1] ?? '').searchParams.get('from')).toMatch(/^\d+$/);
  });

  it('shows hostile output as text: no element, no dialog, no violation', async () => {
    await openRunPage();
    const payloads = [
      '<img src=x onerror=alert(1)>',
      '<script>alert(2)</script>',
      '<a href="javascript:alert(3)">click me</a>',
      'javascript:alert(4)',
    ];
    const lines = payloads.map((p) => `print(${JSON.stringify(p)}, flush=True)`);
    await setCode(
      page,
      // A pause before the stderr line: stdout and stderr are separate pipes, and writes microseconds
      // apart may reach the host in either order.
      `import sys, time\n${lines.join('\n')}\ntime.sleep(0.2)\nprint(${JSON.stringify(payloads[0])}, file=sys.stderr)\n`,
    );
    expect(await runAndWait(page)).toBe('succeeded');
    const out = outputOf(page);
    expect(await out.textContent()).toBe(`${payloads.join('\n')}\n${payloads[0]}\n`);
    expect(await out.locator('img, script, a').count()).toBe(0);
    await page.getByRole('link', { name: 'Open this run' }).click();
    await page.getByRole('heading', { name: 'Standard output' }).waitFor();
    expect(await page.locator('main img, main script, pre a').count()).toBe(0);
    expect(await page.locator('pre.output').first().textContent()).toBe(`${payloads.join('\n')}\n`);
    await page.getByRole('link', { name: 'History' }).click();
    await page.getByRole('cell', { name: 'succeeded' }).first().waitFor();
    await screenshot(page, 'history');
    expect(browser.dialogs.filter((d) => d.startsWith('alert'))).toEqual([]);
    expect(await violationsOf(page)).toEqual([]);
  });

  it('creates an organization, switches to it, and the API keys page acts in it', async () => {
    await page.getByRole('link', { name: 'Organizations' }).click();
    await page.getByLabel('Name').fill('Team <b>bold</b>');
    await page.getByRole('button', { name: 'Create' }).click();
    // The new organization's name in the page's list, as text (the switcher lists it too, once it updates).
    await page.locator('#main').getByText('Team <b>bold</b>', { exact: true }).waitFor();
    const switcher = page.getByRole('combobox', { name: 'Organization' });
    await switcher.waitFor();
    await switcher.selectOption({ label: 'Team <b>bold</b>' });
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('heading', { name: 'Keys', exact: true }).waitFor();
    await page.waitForLoadState('networkidle');
    // The key made earlier belongs to the personal organization, not this one.
    expect(await page.getByRole('cell', { name: 'ci', exact: true }).count()).toBe(0);
    await switcher.selectOption({ index: 0 });
    await page.getByRole('cell', { name: 'ci', exact: true }).waitFor();
  });

  it('hides the admin pages from a non-admin, refuses them in the page, and the API refuses too', async () => {
    expect(await page.getByRole('link', { name: 'Admin' }).count()).toBe(0);
    await page.goto(`${edgeUrl}/admin`);
    const refusal = page.getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain('administrators only');
    const login = await fetch(`${edgeUrl}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const res = await fetch(`${edgeUrl}/v1/admin/stats`, {
      headers: { Authorization: `Bearer ${accessToken}` },
    });
    expect(res.status).toBe(403);
  });

  it('the account and organization pages render and fit a 360 px wide screen', async () => {
    await page.setViewportSize({ width: 360, height: 780 });
    for (const [link, name] of [
      ['/account', 'account'],
      ['/orgs', 'orgs'],
      ['/runs', 'run-360'],
    ] as const) {
      await page.goto(`${edgeUrl}${link}`);
      await page.locator('#page-title').waitFor();
      await page.waitForLoadState('networkidle');
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
      await screenshot(page, name);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    expect(await violationsOf(page)).toEqual([]);
  });

  it('a second user signs up in another page: no dialog or violation anywhere', async () => {
    // Same profile, so the same refresh cookie: this page starts signed in as the first user.
    const other = await browser.newPage();
    await other.goto(`${edgeUrl}/account`);
    await other.getByRole('button', { name: 'Sign out' }).first().click();
    await other.getByRole('heading', { name: 'Sign in' }).waitFor();
    await signUp(other, edgeUrl, newEmail());
    expect(await violationsOf(other)).toEqual([]);
    await other.close();
    expect(browser.dialogs.filter((d) => !d.startsWith('confirm'))).toEqual([]);
  });
});
