/**
 * The tasks page in a real Chromium (issue 16) against `wrangler dev`, a real sandbox host and a local
 * OpenAI-compatible model server on 127.0.0.1 (global-setup.ts): the model picker offers what the
 * operator configured, the model's tokens appear piece by piece before the program exists, the
 * generated code and its run's output show, and the history keeps the task. A hostile model reply
 * (markup, `<script>`, `javascript:` links) stays text: only links `safeUrl()` allows become links,
 * no dialog opens, and the page records no CSP or Trusted Types violation.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freshProviderKey, scriptReplies, streamedReply } from '../support/openai-server.ts';
import { type Browser, launchBrowser, violationsOf } from './browser.ts';
import { screenshot, signUp, storeProviderKey } from './pages.ts';

const { edgeUrl, openaiControlUrl } = inject('system');

let browser: Browser;
let page: Page;
let key: string;

beforeAll(async () => {
  browser = await launchBrowser();
  page = await browser.newPage();
  await signUp(page, edgeUrl);
  key = freshProviderKey();
  await storeProviderKey(page, 'openai', key);
});

afterAll(async () => {
  await browser?.close();
});

const fence = (program: string) => `\`\`\`python\n${program}\n\`\`\``;
const replyLog = (n = 1) => page.getByRole('log', { name: `Model reply, attempt ${n}` });
const runLog = (n = 1) => page.getByRole('log', { name: `Run output, attempt ${n}` });

/** Opens the Tasks page and fills the form for the given prompt (provider and model: the defaults). */
async function fillTask(prompt: string): Promise<void> {
  await page.getByRole('link', { name: 'Tasks' }).click();
  await page.getByLabel('Prompt').waitFor();
  await page.getByLabel('Prompt').fill(prompt);
}

async function finish(): Promise<string> {
  const status = page.getByTestId('task-status');
  await status.waitFor({ timeout: 90_000 });
  return (await status.textContent()) ?? '';
}

describe('the tasks page in Chromium', { timeout: 120_000 }, () => {
  it("offers the configured models, streams the model's tokens, shows the code and the run", async () => {
    const program = 'for i in range(3):\n    print("count", i)';
    const reply = `Sure. This counts to three.\n\n${fence(program)}\n`;
    await scriptReplies(openaiControlUrl, key, streamedReply(reply, 4));
    await fillTask('Count to three.');
    expect(await page.getByLabel('Provider', { exact: true }).inputValue()).toBe('openai');
    const models = await page.getByLabel('Model', { exact: true }).locator('option').allTextContents();
    expect(models).toEqual(['gpt-local', 'gpt-local-mini', 'local-coder']);
    await page.getByLabel('Model', { exact: true }).selectOption('gpt-local-mini');
    await screenshot(page, 'tasks');

    // Every change to the reply's text while no program is shown yet: tokens land one by one.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { replySeen: string[] }).replySeen = seen;
      new MutationObserver(() => {
        const reply = document.querySelector('[aria-label="Model reply, attempt 1"]');
        const code = document.querySelector('[data-testid="generated-code"]');
        const text = reply?.textContent ?? '';
        if (text && !code && seen.at(-1) !== text) seen.push(text);
      }).observe(document.body, { childList: true, subtree: true, characterData: true });
    });
    await page.getByRole('button', { name: 'Start task' }).click();
    expect(await finish()).toBe('succeeded');

    const seen = await page.evaluate(() => (window as unknown as { replySeen: string[] }).replySeen);
    expect(seen.length).toBeGreaterThan(1);
    for (const partial of seen) expect(reply.startsWith(partial)).toBe(true);
    expect(await replyLog().textContent()).toBe(reply);
    expect(await page.getByTestId('generated-code').textContent()).toBe(program);
    expect(await runLog().textContent()).toBe('count 0\ncount 1\ncount 2\n');
    expect(await page.getByTestId('run-status').textContent()).toBe('succeeded');
    await screenshot(page, 'task-finished');

    // The history lists it; its page shows the stored program and output.
    const row = page.locator('table[aria-label="Tasks"] tbody tr').first();
    await row.getByText('gpt-local-mini').waitFor();
    await page.getByRole('link', { name: 'Open this task' }).click();
    await page.getByRole('heading', { name: 'Prompt' }).waitFor();
    expect(await page.getByTestId('generated-code').textContent()).toBe(program);
    expect(await page.getByTestId('stored-stdout').textContent()).toBe('count 0\ncount 1\ncount 2\n');
    expect(await page.getByTestId('task-status').textContent()).toBe('succeeded');
    await screenshot(page, 'task-detail');
  });

  it('shows a hostile model reply as text: safe links only, no element, no dialog, no violation', async () => {
    const hostile = [
      'Here <img src=x onerror=alert(1)> and <script>alert(2)</script>',
      '[click me](javascript:alert(3)) <a href="javascript:alert(4)">x</a> [data](data:text/html,<b>5</b>)',
      'Docs: [the docs](https://example.test/docs?a=1) or https://example.test/plain',
    ].join('\n');
    const program = [
      'print("<img src=x onerror=alert(6)>")',
      'print("<script>alert(7)</script>")',
      'print("[y](javascript:alert(8))")',
    ].join('\n');
    const reply = `${hostile}\n\n${fence(program)}\n`;
    await scriptReplies(openaiControlUrl, key, streamedReply(reply, 9));
    await fillTask('Be hostile.');
    await page.getByRole('button', { name: 'Start task' }).click();
    expect(await finish()).toBe('succeeded');

    const log = replyLog();
    const text = (await log.textContent()) ?? '';
    // The markup is on screen as the characters the model sent.
    for (const literal of [
      '<img src=x onerror=alert(1)>',
      '<script>alert(2)</script>',
      '[click me](javascript:alert(3))',
      '<a href="javascript:alert(4)">x</a>',
      '[data](data:text/html,<b>5</b>)',
    ])
      expect(text).toContain(literal);
    // Only the two links safeUrl() allows are links, with the parser's serialization as href.
    const hrefs = await log.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(hrefs).toEqual(['https://example.test/docs?a=1', 'https://example.test/plain']);
    expect(await log.locator('a').first().textContent()).toBe('the docs');
    expect(await page.locator('main img, main script, main b').count()).toBe(0);
    expect(await page.locator('a[href^="javascript"], a[href^="data"]').count()).toBe(0);

    expect(await page.getByTestId('generated-code').textContent()).toBe(program);
    expect(await runLog().textContent()).toBe(
      '<img src=x onerror=alert(6)>\n<script>alert(7)</script>\n[y](javascript:alert(8))\n',
    );
    expect(await runLog().locator('*:not(span)').count()).toBe(0);
    await screenshot(page, 'task-hostile');

    expect(browser.dialogs).toEqual([]);
    expect(await violationsOf(page)).toEqual([]);
  });

  it('reconnects a dropped task stream with a fresh ticket and ?from, losing and repeating nothing', async () => {
    const program = 'import time\nfor i in range(6):\n    print("tick", i, flush=True)\n    time.sleep(0.4)';
    const reply = `Ticks.\n\n${fence(program)}\n`;
    await scriptReplies(openaiControlUrl, key, streamedReply(reply));
    await fillTask('Tick six times.');
    await page.getByRole('button', { name: 'Start task' }).click();
    await runLog().getByText('tick 1').waitFor({ timeout: 60_000 });
    await page.evaluate(() => window.__airlockSockets.at(-1)?.close());
    expect(await finish()).toBe('succeeded');
    expect(await runLog().textContent()).toBe([0, 1, 2, 3, 4, 5].map((i) => `tick ${i}\n`).join(''));
    expect(await replyLog().textContent()).toBe(reply);
    const urls = await page.evaluate(() => window.__airlockSockets.slice(-2).map((s) => s.url));
    expect(urls[0]).toContain('/v1/tasks/');
    expect(urls[1]).not.toBe(urls[0]);
    expect(new URL(urls[1] ?? '').searchParams.get('from')).toMatch(/^\d+$/);
  });

  it('fits a 360 px wide screen', async () => {
    await page.setViewportSize({ width: 360, height: 780 });
    await page.goto(`${edgeUrl}/tasks`);
    await page.locator('table[aria-label="Tasks"]').waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await screenshot(page, 'tasks-360');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('shows a progress indication while the model is silent', async () => {
    // The model server sends its headers, then nothing: the page must say it is waiting, not sit blank.
    await scriptReplies(openaiControlUrl, key, { kind: 'stall' });
    await fillTask('Take your time.');
    await page.getByRole('button', { name: 'Start task' }).click();
    const waiting = page.getByRole('status').filter({ hasText: /Asking the model|Waiting for the model/ });
    await waiting.first().waitFor();
    expect(await waiting.first().locator('.spinner').count()).toBe(1);
    await screenshot(page, 'task-waiting');
  });

  it('says so when no provider key is stored, with the error code and request id', async () => {
    const other = await browser.newPage();
    await other.goto(`${edgeUrl}/account`);
    await other.getByRole('button', { name: 'Sign out', exact: true }).click();
    await other.getByRole('heading', { name: 'Sign in' }).waitFor();
    await signUp(other, edgeUrl);
    await other.getByRole('link', { name: 'Tasks' }).click();
    await other.getByLabel('Prompt').fill('Anything.');
    await other.getByRole('button', { name: 'Start task' }).click();
    const alert = other.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/provider_key_missing: .*Request id: \S+/);
    expect(await violationsOf(other)).toEqual([]);
    await other.close();
  });
});
