/**
 * The files page in a real Chromium (issues 15/16) against `wrangler dev` and a real sandbox host: a
 * zip built here (a Python project, a data file, and an entry whose name is markup) uploads through
 * XMLHttpRequest with a progress bar, its manifest shows every name — the hostile one and its
 * sanitised form — as text, a run from it with a chosen entry streams its output, and Delete (after a
 * confirmation) removes it. No dialog other than that confirmation, no CSP / Trusted Types violation.
 */
import { randomBytes } from 'node:crypto';
import { strToU8, zipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Browser, launchBrowser, violationsOf } from './browser.ts';
import { outputOf, screenshot, signUp } from './pages.ts';

const { edgeUrl } = inject('system');

let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
  page = await browser.newPage();
  await signUp(page, edgeUrl);
});

afterAll(async () => {
  await browser?.close();
});

const HOSTILE = '<img src=x onerror=alert(1)>.txt';
const SANITISED = '_img_src_x_onerror_alert_1__.txt';

const GREET = 'def hello(name):\n    return f"Hello, {name}!"\n';

/** A project whose entry imports a package module and reads a file beside it. */
const project = zipSync({
  'app.py': strToU8(
    'import pathlib\nfrom lib.greet import hello\n\nhere = pathlib.Path(__file__).parent\nprint(hello((here / "name.txt").read_text().strip()))\nprint("<b>not bold</b>")\n',
  ),
  'lib/__init__.py': strToU8(''),
  'lib/greet.py': strToU8(GREET),
  'name.txt': strToU8('archive\n'),
  [HOSTILE]: strToU8('hostile name\n'),
  // Incompressible, stored: a couple of MiB so the upload takes more than one progress event.
  'data.bin': [randomBytes(2 * 1048576), { level: 0 }],
});

describe('the files page in Chromium', { timeout: 120_000 }, () => {
  it('uploads a zip with progress, shows its manifest as text, runs it from an entry, deletes it', async () => {
    await page.getByRole('link', { name: 'Files' }).click();
    await page.getByRole('heading', { name: 'Files', exact: true }).waitFor();
    await page.getByText('No files yet.').waitFor();

    // Every value the progress bar takes while the upload runs.
    await page.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { progressSeen: number[] }).progressSeen = seen;
      new MutationObserver(() => {
        const bar = document.querySelector<HTMLProgressElement>('#upload-progress');
        if (bar && seen.at(-1) !== bar.value) seen.push(bar.value);
      }).observe(document.body, { childList: true, subtree: true, attributes: true, characterData: true });
    });
    // Slow the link (Chromium's own network emulation) so the upload spans several progress events.
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 2 * 1048576,
    });
    await page
      .getByLabel(/File to upload/)
      .setInputFiles({ name: 'project.zip', mimeType: 'application/zip', buffer: Buffer.from(project) });
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    const state = page.getByTestId('upload-state');
    await state.getByText(/^Uploaded /).waitFor({ timeout: 60_000 });
    expect(await state.textContent()).toBe(`Uploaded ${(project.length / 1048576).toFixed(1)} MiB`);
    expect(await page.locator('#upload-progress').evaluate((p: HTMLProgressElement) => p.value)).toBe(100);
    const seen = await page.evaluate(() => (window as unknown as { progressSeen: number[] }).progressSeen);
    expect(seen.at(-1)).toBe(100);
    expect(seen.some((v) => v > 0 && v < 100)).toBe(true);
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    await screenshot(page, 'files-uploaded');

    // The list shows it; its page shows the manifest.
    const row = page.locator('table[aria-label="Files"] tbody tr');
    expect(await row.count()).toBe(1);
    expect(await row.locator('td').allTextContents()).toEqual([
      'project.zip',
      `${(project.length / 1048576).toFixed(1)} MiB`,
      'zip',
      expect.any(String),
    ]);
    await row.getByRole('link', { name: 'project.zip' }).click();
    await page.getByRole('heading', { name: 'Archive contents' }).waitFor();
    const entries = page.locator('table[aria-label="Archive entries"] tbody tr');
    const rows = await entries.evaluateAll((trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent)),
    );
    expect(rows).toContainEqual(['app.py', 'file', expect.stringMatching(/ B$/)]);
    expect(rows).toContainEqual(['lib/greet.py', 'file', `${GREET.length} B`]);
    expect(rows).toContainEqual([SANITISED, 'file', '13 B']);
    expect(rows).toContainEqual(['data.bin', 'file', '2.0 MiB']);
    const renamed = await page.locator('table[aria-label="Renamed entries"] tbody tr td').allTextContents();
    expect(renamed).toEqual([HOSTILE, SANITISED]);
    expect(await page.locator('main img, main b').count()).toBe(0);
    await screenshot(page, 'file-detail');

    // Run it from the chosen entry: the output streams in as on the Run code page.
    await page.getByLabel('Entry').selectOption('app.py');
    expect(await page.getByLabel('Language').inputValue()).toBe('python');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const status = page.getByTestId('run-status');
    await status.waitFor({ timeout: 60_000 });
    expect(await status.textContent()).toBe('succeeded');
    expect(await outputOf(page).textContent()).toBe('Hello, archive!\n<b>not bold</b>\n');
    expect(await outputOf(page).locator('*:not(span)').count()).toBe(0);
    await screenshot(page, 'file-run');

    // The run page links to the stored run.
    expect(await page.getByRole('link', { name: 'Open this run' }).getAttribute('href')).toMatch(/^\/runs\//);

    await page.getByRole('button', { name: 'Delete file' }).click();
    await page.getByRole('heading', { name: 'Files', exact: true }).waitFor();
    await page.getByText('No files yet.').waitFor();
    expect(browser.dialogs).toEqual(['confirm: Delete project.zip? This cannot be undone.']);
    expect(await violationsOf(page)).toEqual([]);
  });

  it('fits a 360 px wide screen, keyboard first: the file input has a label and the button follows it', async () => {
    await page.setViewportSize({ width: 360, height: 780 });
    await page.goto(`${edgeUrl}/files`);
    await page.getByText('No files yet.').waitFor();
    await page.getByLabel(/File to upload/).focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Upload');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await screenshot(page, 'files-360');
    await page.setViewportSize({ width: 1280, height: 900 });
    expect(await violationsOf(page)).toEqual([]);
  });
});
