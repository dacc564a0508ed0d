/**
 * Debian's Chromium driven by playwright-core (no browser download): headless, no sandbox (tests run
 * as root in a container), nothing phoning home, a fresh profile per launch. Every page records, from
 * before its first script, each CSP / Trusted Types violation and each dialog it tried to open, so a
 * test can assert there were none.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Recorded {
  violations: { directive: string; blocked: string; sample: string }[];
  dialogs: string[];
}

declare global {
  interface Window {
    __airlockViolations: Recorded['violations'];
    __airlockSockets: WebSocket[];
  }
}

/** Runs in every document before its own scripts: violation log, and a handle on each WebSocket. */
function instrument() {
  window.__airlockViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__airlockViolations.push({
      directive: e.violatedDirective,
      blocked: e.blockedURI,
      sample: e.sample,
    });
  });
  window.__airlockSockets = [];
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      window.__airlockSockets.push(this);
    }
  };
}

export interface Browser {
  context: BrowserContext;
  dialogs: string[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'airlock-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 900 },
  });
  await context.addInitScript(instrument);
  const dialogs: string[] = [];
  const watch = (page: Page) => {
    page.on('dialog', (d) => {
      // Our own confirm() prompts are expected; anything else (alert) is a script the page did not write.
      dialogs.push(`${d.type()}: ${d.message()}`);
      void (d.type() === 'confirm' ? d.accept() : d.dismiss());
    });
    // For the test log when something goes wrong: the page's own errors and a crashed renderer.
    page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
    page.on('crash', () => console.error('[page crashed]'));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') console.error(`[page ${m.type()}] ${m.text()}`);
    });
  };
  context.on('page', watch);
  for (const p of context.pages()) watch(p);
  return {
    context,
    dialogs,
    newPage: () => context.newPage(),
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export function violationsOf(page: Page): Promise<Recorded['violations']> {
  return page.evaluate(() => window.__airlockViolations);
}
