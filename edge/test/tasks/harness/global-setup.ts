/**
 * Global setup of the edge suite for the task tests (Node): the local provider servers
 * (provider-servers.ts) on 127.0.0.1. The Worker gets their base URLs as the operator settings
 * (OPENAI_BASE_URL …) and the control URL the tests script replies through, via `inject`
 * (vitest.config.mts). Teardown closes them.
 */
import type { TestProject } from 'vitest/node';
import { startProviderServers } from './provider-servers.ts';

export interface TasksHarness {
  bindings: {
    OPENAI_BASE_URL: string;
    ANTHROPIC_BASE_URL: string;
    GOOGLE_BASE_URL: string;
    OPENROUTER_BASE_URL: string;
    PROVIDERS_CONTROL_URL: string;
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    tasksHarness: TasksHarness;
  }
}

export default async function setup(project: TestProject) {
  const servers = await startProviderServers();
  project.provide('tasksHarness', {
    bindings: {
      OPENAI_BASE_URL: servers.baseUrls.openai,
      ANTHROPIC_BASE_URL: servers.baseUrls.anthropic,
      GOOGLE_BASE_URL: servers.baseUrls.google,
      OPENROUTER_BASE_URL: servers.baseUrls.openrouter,
      PROVIDERS_CONTROL_URL: servers.controlUrl,
    },
  });
  return () => servers.close();
}
