declare global {
  namespace Cloudflare {
    interface Env {
      /** Set by test/runs/harness/global-setup.ts. */
      SANDBOX_HOSTS: string;
      RUNS_CONTROL_URL: string;
      RUNS_HOST_ERROR: string;
    }
  }
}

export {};
