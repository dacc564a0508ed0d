/**
 * The start-up runtime check, against a fake engine whose `info` answers like the real one
 * (`Runtimes` keyed by name): a host configured for a runtime the engine lacks must refuse to start.
 */
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.ts';
import { checkRuntime, RuntimeNotRegistered } from '../src/docker/runtime.ts';

const engine = (runtimes: string[]) =>
  ({
    info: async () => ({ Runtimes: Object.fromEntries(runtimes.map((r) => [r, { path: r }])) }),
  }) as unknown as Docker;

describe('SANDBOX_RUNTIME', () => {
  it('accepts a runtime the engine has registered', async () => {
    expect(await checkRuntime(engine(['runc', 'runsc']), 'runsc')).toEqual({ ok: true });
  });

  it('refuses one it has not, naming what it has', async () => {
    const check = await checkRuntime(engine(['runc', 'io.containerd.runc.v2']), 'runsc');
    expect(check).toEqual({ ok: false, registered: ['runc', 'io.containerd.runc.v2'] });
    const err = new RuntimeNotRegistered('runsc', ['runc']);
    expect(err.message).toMatch(/SANDBOX_RUNTIME=runsc is not registered .*it has: runc/);
  });

  it('is runc unless set, and only runc or runsc', () => {
    const base = { EDGE_PUBLIC_JWK: JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: 'x'.repeat(43) }) };
    const dflt = parseConfig(base);
    expect(dflt.ok && dflt.config.sandboxRuntime).toBe('runc');
    const gvisor = parseConfig({ ...base, SANDBOX_RUNTIME: 'runsc' });
    expect(gvisor.ok && gvisor.config.sandboxRuntime).toBe('runsc');
    const bad = parseConfig({ ...base, SANDBOX_RUNTIME: 'kata' });
    expect(bad.ok).toBe(false);
    expect(bad.ok ? [] : bad.errors.join()).toMatch(/SANDBOX_RUNTIME/);
  });
});
