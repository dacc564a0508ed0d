/** Steps a user takes in the console, shared by the browser tests. */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ROOT } from '../support/host-process.ts';

export const PASSWORD = 'correct horse battery staple 42';
export const ARTIFACTS = join(ROOT, '.local/artifacts');

export const newEmail = () => `console-${randomUUID()}@example.test`;

/** Signs up through the form, with the keyboard only (labels, focus order, Enter submits). */
export async function signUp(page: Page, base: string, email = newEmail()): Promise<string> {
  await page.goto(`${base}/`);
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Email').focus();
  await page.keyboard.type(email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Run code' }).waitFor();
  return email;
}

export async function signIn(page: Page, base: string, email: string): Promise<void> {
  await page.goto(`${base}/`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Run code' }).waitFor();
}

/** Replaces the editor's content as a user would: select all, type. */
export async function setCode(page: Page, code: string): Promise<void> {
  const editor = page.locator('.cm-content');
  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  // insertText, not type(): CodeMirror would auto-indent and auto-close brackets while typing.
  await page.keyboard.insertText(code);
}

export async function runAndWait(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  const status = page.getByTestId('run-status');
  await status.waitFor({ timeout: 60_000 });
  return (await status.textContent()) ?? '';
}

export const outputOf = (page: Page) => page.getByRole('log', { name: 'Run output' });

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `console-${name}.png`), fullPage: true });
}

/** Stores a provider key through the Provider keys page. */
export async function storeProviderKey(page: Page, provider: string, key: string): Promise<void> {
  await page.getByRole('link', { name: 'Provider keys' }).click();
  await page.getByLabel('Provider', { exact: true }).selectOption(provider);
  await page.getByLabel('Key', { exact: true }).fill(key);
  await page.getByRole('button', { name: 'Save key' }).click();
  await page.locator(`tr[data-provider="${provider}"]`).waitFor();
}
