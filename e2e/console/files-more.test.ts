/**
 * The files pages beyond the first screen, in a real Chromium against `wrangler dev` and a real
 * sandbox host: the list shows one page and Load more follows the API's cursor until the last file
 * (each once, in the API's order); a run started from a file has Cancel, as the Run code page has,
 * and the run ends `cancelled`, in the page and in the API.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Browser, launchBrowser, violationsOf } from './browser.ts';
import { outputOf, PASSWORD, screenshot, signUp } from './pages.ts';

const { edgeUrl } = inject('system');

let browser: Browser;
let page: Page;
let token: string;

/** The console's page size (console/src/components/paged.tsx): one more page's worth, and a few. */
const PAGE_SIZE = 20;
const COUNT = PAGE_SIZE + 3;

const authed = (path: string, init: RequestInit = {}) =>
  fetch(`${edgeUrl}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) },
  });

async function upload(name: string, content: string): Promise<string> {
  const res = await authed(`/v1/files?name=${encodeURIComponent(name)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: content,
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

beforeAll(async () => {
  browser = await launchBrowser();
  page = await browser.newPage();
  const email = await signUp(page, edgeUrl);
  // The same user through the API, to upload more files than a page holds without clicking through.
  const login = await fetch(`${edgeUrl}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  token = ((await login.json()) as { accessToken: string }).accessToken;
});

afterAll(async () => {
  await browser?.close();
});

describe('the files pages in Chromium, beyond the first screen', { timeout: 120_000 }, () => {
  it('lists one page, and Load more brings the rest by cursor: every file once, in order', async () => {
    for (let i = 0; i < COUNT; i++) await upload(`file-${String(i).padStart(2, '0')}.txt`, `file ${i}\n`);
    const all = (await (await authed(`/v1/files?limit=${COUNT}`)).json()) as { files: { name: string }[] };
    const expected = all.files.map((f) => f.name);
    expect(expected).toHaveLength(COUNT);

    await page.goto(`${edgeUrl}/files`);
    const names = page.locator('table[aria-label="Files"] tbody tr td:first-child');
    await names.first().waitFor();
    expect(await names.allTextContents()).toEqual(expected.slice(0, PAGE_SIZE));

    const more = page.getByRole('button', { name: 'Load more files' });
    await more.click();
    await names.nth(COUNT - 1).waitFor();
    expect(await names.allTextContents()).toEqual(expected);
    // The last page has no cursor: the button goes.
    await more.waitFor({ state: 'detached' });
    await screenshot(page, 'files-more');
    expect(await violationsOf(page)).toEqual([]);
  });

  it('cancels a run started from a file, as the Run code page does', async () => {
    const id = await upload('wait.py', 'import time\nprint("waiting", flush=True)\ntime.sleep(14)\n');
    await page.goto(`${edgeUrl}/files/${id}`);
    await page.getByRole('heading', { name: 'Run from this file' }).waitFor();
    expect(await page.getByLabel('Entry').inputValue()).toBe('wait.py');
    const cancel = page.getByRole('button', { name: 'Cancel', exact: true });
    expect(await cancel.isDisabled()).toBe(true);

    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await outputOf(page).getByText('waiting').waitFor({ timeout: 60_000 });
    await cancel.click();
    const status = page.getByTestId('run-status');
    await status.waitFor({ timeout: 60_000 });
    expect(await status.textContent()).toBe('cancelled');
    expect(await cancel.isDisabled()).toBe(true);

    const href = (await page.getByRole('link', { name: 'Open this run' }).getAttribute('href')) ?? '';
    expect(href).toMatch(/^\/runs\/[\w-]+$/);
    const stored = (await (await authed(`/v1${href}`)).json()) as { status: string };
    expect(stored.status).toBe('cancelled');
    await screenshot(page, 'file-run-cancelled');
    expect(await violationsOf(page)).toEqual([]);
  });
});
