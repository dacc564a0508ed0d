/**
 * The stack a bench measures through the edge: a real sandbox host process and `wrangler dev` wired to
 * it, with fresh development secrets and a temporary state directory (the same helpers the e2e suite
 * uses). Everything binds 127.0.0.1 on free ports; `stop()` ends both processes (and the host's
 * containers) and removes the state directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importJWK, type JWK } from 'jose';
import { type EdgeProcess, startEdgeProcess } from '../../e2e/support/edge-process.ts';
import { type HostProcess, startHostProcess } from '../../e2e/support/host-process.ts';
import { generateDevSecrets } from '../../scripts/dev-secrets.ts';

/** A rate rule no bench tenant reaches, for the edge's limits a bench lifts (`<limit>/<window>`). */
export const LIFTED_RATE = '100000/1m';
/**
 * The output budget lifted (RATE_LIMIT_OUTPUT_KIB: KiB a minute, the rule's largest limit): a looping
 * flood writes ~100 MiB a minute.
 */
export const LIFTED_OUTPUT_KIB = '999999/1m';

export interface BenchStack {
  host: HostProcess;
  edge: EdgeProcess;
  /** The edge's run-token signing key, for runs a bench sends to the host directly. */
  signingKey: CryptoKey;
  stop(): Promise<void>;
}

export async function startBenchStack(options: {
  /** The host's environment (e.g. its pool), over startHostProcess's defaults. */
  hostEnv?: Record<string, string>;
  /** Worker vars over the secrets and the host wiring (e.g. a bench's rate limits). */
  edgeVars?: Record<string, string>;
  /** Where the edge's throw-away state directory (local D1, R2, Durable Objects) is made; default: tmpdir(). */
  stateRoot?: string;
}): Promise<BenchStack> {
  const secrets = await generateDevSecrets();
  const signingKey = (await importJWK(
    JSON.parse(secrets.worker.SANDBOX_SIGNING_JWK as string) as JWK,
    'EdDSA',
  )) as CryptoKey;
  const stateDir = mkdtempSync(join(options.stateRoot ?? tmpdir(), 'airlock-bench-'));
  const host = await startHostProcess({
    edgePublicJwk: secrets.sandboxHost.EDGE_PUBLIC_JWK,
    env: options.hostEnv,
  });
  const stopHost = async () => {
    await host.stop(10_000);
    rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    const edge = await startEdgeProcess({
      stateDir,
      vars: {
        ...secrets.worker,
        SANDBOX_HOSTS: JSON.stringify([{ id: host.id, url: host.url }]),
        ...options.edgeVars,
      },
    });
    return {
      host,
      edge,
      signingKey,
      stop: async () => {
        await edge.stop();
        await stopHost();
      },
    };
  } catch (err) {
    await stopHost();
    throw err;
  }
}
