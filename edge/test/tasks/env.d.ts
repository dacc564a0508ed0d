declare global {
  namespace Cloudflare {
    interface Env {
      /** Set by test/tasks/harness/global-setup.ts. */
      PROVIDERS_CONTROL_URL: string;
      OPENAI_BASE_URL: string;
      ANTHROPIC_BASE_URL: string;
      GOOGLE_BASE_URL: string;
      OPENROUTER_BASE_URL: string;
    }
  }
}

export {};
