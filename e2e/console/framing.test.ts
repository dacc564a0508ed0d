/**
 * Clickjacking: a page on another origin (another loopback port) frames the console; the browser must
 * refuse to render it there (CSP frame-ancestors 'self', X-Frame-Options SAMEORIGIN). The same
 * attacker page frames one of its own pages too, which renders: the refusal is the console's headers,
 * not frames failing in general. (The console cannot frame itself: its CSP's default-src 'none'
 * leaves it no frame-src.)
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Browser, launchBrowser } from './browser.ts';

const { edgeUrl } = inject('system');

let browser: Browser;
let attacker: Server;
let attackerUrl: string;

beforeAll(async () => {
  browser = await launchBrowser();
  attacker = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    if (req.url === '/own') res.end('<!doctype html><title>own</title><div id="app">own page</div>');
    else
      res.end(
        `<!doctype html><title>evil</title><iframe src="${edgeUrl}/"></iframe><iframe src="/own"></iframe>`,
      );
  });
  await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
  attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => attacker?.close(r));
});

describe('framing', () => {
  it('another origin cannot frame the console, while its own page in the next frame renders', async () => {
    const page = await browser.newPage();
    const response = page.waitForResponse((r) => r.url() === `${edgeUrl}/`);
    await page.goto(attackerUrl);
    // The browser fetched the console for the frame, and then refused to show it.
    expect((await response).status()).toBe(200);
    await page.waitForLoadState('load');
    const frames = page.frames().filter((f) => f !== page.mainFrame());
    expect(frames).toHaveLength(2);
    const rendered = (i: number) =>
      frames[i]?.evaluate(() => document.getElementById('app') !== null).catch(() => false);
    expect(await rendered(1)).toBe(true);
    expect(await rendered(0)).toBe(false);
    expect(frames[0]?.url()).not.toBe(`${edgeUrl}/`);
    await page.close();
  });
});
