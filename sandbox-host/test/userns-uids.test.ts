/**
 * A uid of its own per sandbox (SANDBOX_UID_RANGE, src/docker/sandbox-uids.ts): the allocator, the
 * setting and the container spec, without an engine. The same setting on a real remapped engine is
 * tested in userns.test.ts (a distinct host uid per run).
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.ts';
import { sandboxContainerSpec } from '../src/docker/profile.ts';
import { DEFAULT_SANDBOX_UID, SandboxUids } from '../src/docker/sandbox-uids.ts';
import { SANDBOX_LIMITS } from './support.ts';

describe('the sandbox uid allocator', () => {
  it('hands every live sandbox its own uid from the range, and a uid again only after its release', () => {
    const uids = new SandboxUids({ first: 20_000, last: 20_003 });
    const taken = [uids.take(), uids.take(), uids.take(), uids.take()];
    expect([...taken].sort()).toEqual([20_000, 20_001, 20_002, 20_003]);
    expect(() => uids.take()).toThrow(/every uid of SANDBOX_UID_RANGE 20000-20003 is in use/);
    uids.release(taken[2] ?? 0);
    expect(uids.take()).toBe(taken[2]);
    expect(uids.inUse).toBe(4);
  });

  it('without a range every sandbox is the images’ user, 65534', () => {
    const uids = new SandboxUids();
    expect([uids.take(), uids.take()]).toEqual([DEFAULT_SANDBOX_UID, DEFAULT_SANDBOX_UID]);
    expect(DEFAULT_SANDBOX_UID).toBe(65534);
  });
});

describe('SANDBOX_UID_RANGE', () => {
  const env = { EDGE_PUBLIC_JWK: JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: 'x'.repeat(43) }) };
  const range = (value: string | undefined) => {
    const parsed = parseConfig({ ...env, SANDBOX_UID_RANGE: value });
    return parsed.ok ? parsed.config.sandboxUidRange : parsed.errors.join('; ');
  };

  it('is off by default and parses first-last', () => {
    expect(range(undefined)).toBeUndefined();
    expect(range('10000-59999')).toEqual({ first: 10_000, last: 59_999 });
  });

  it('refuses system uids, nobody and beyond, small ranges and other forms', () => {
    expect(range('500-5000')).toMatch(/SANDBOX_UID_RANGE: must lie within 1000-65533/);
    expect(range('10000-65534')).toMatch(/must lie within 1000-65533/);
    expect(range('10000-10100')).toMatch(/must hold at least 1024 uids/);
    expect(range('20000-10000')).toMatch(/must hold at least 1024 uids/);
    expect(range('10000')).toMatch(/must be first-last/);
    expect(range('-1-5000')).toMatch(/must be first-last/);
  });
});

describe('the container spec', () => {
  const spec = (uid?: number) =>
    sandboxContainerSpec({
      image: 'airlock-runtime-python:latest',
      hostId: 'h',
      instanceId: 'i',
      runId: 'r',
      language: 'python',
      env: {},
      cmd: ['true'],
      limits: SANDBOX_LIMITS,
      ...(uid === undefined ? {} : { uid }),
    });

  it('runs as the sandbox’s uid and gives it the work tree and /tmp', () => {
    const own = spec(31_337);
    expect(own.User).toBe('31337:31337');
    expect(own.HostConfig?.Tmpfs?.['/work']).toMatch(/,uid=31337,gid=31337$/);
    expect(own.HostConfig?.Tmpfs?.['/tmp']).toMatch(/,uid=31337,gid=31337$/);
    const shared = spec();
    expect(shared.User).toBe('65534:65534');
    expect(shared.HostConfig?.Tmpfs?.['/work']).toMatch(/,uid=65534,gid=65534$/);
  });
});
