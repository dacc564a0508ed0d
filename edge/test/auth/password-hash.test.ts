import { env } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/config.ts';
import {
  DEFAULT_HASH_PARAMS,
  hashPassword,
  needsRehash,
  parsePasswordHash,
  verifyPassword,
} from '../../src/domain/auth/password.ts';
import { authFetch, jsonInit, registerUser, uniqueEmail } from '../helpers.ts';

/**
 * Password hashing (OWASP Password Storage Cheat Sheet; issue 3 item 2). Uses the real default
 * parameters: each hash here costs ≈ 200 ms.
 */

const STRONG_ENV = { PASSWORD_HASH_MEMORY_KIB: '19456', PASSWORD_HASH_ITERATIONS: '2' } as Partial<Env>;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('argon2id hashes', () => {
  it('defaults to OWASP argon2id m=19 MiB, t=2, p=1 in a self-describing PHC string', async () => {
    // What wrangler.toml ships, and what an unset variable falls back to, are both the strong default.
    const vars = { ...(env as unknown as Record<string, unknown>) };
    const shipped = parseConfig(vars);
    expect(shipped.ok && shipped.config.auth.hashParams).toEqual(DEFAULT_HASH_PARAMS);
    for (const name of ['PASSWORD_HASH_MEMORY_KIB', 'PASSWORD_HASH_ITERATIONS', 'PASSWORD_HASH_PARALLELISM'])
      delete vars[name];
    const unset = parseConfig(vars);
    expect(unset.ok && unset.config.auth.hashParams).toEqual(DEFAULT_HASH_PARAMS);
    expect(DEFAULT_HASH_PARAMS).toEqual({ memoryKib: 19456, iterations: 2, parallelism: 1 });

    const hash = await hashPassword('a long enough passphrase');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await verifyPassword('a long enough passphrase', hash, DEFAULT_HASH_PARAMS)).toEqual({
      ok: true,
      needsRehash: false,
    });
    expect(await verifyPassword('a long enough passphrasE', hash, DEFAULT_HASH_PARAMS)).toEqual({
      ok: false,
    });
    // Salted: the same password never hashes the same twice.
    expect(await hashPassword('a long enough passphrase')).not.toBe(hash);
  });

  it('matches the RFC 9106 / reference argon2id output (known-answer test)', async () => {
    // `echo -n password | argon2 somesalt -id -t 2 -m 16 -p 1 -l 32 -e`
    const salt = new TextEncoder().encode('somesalt');
    const hash = await hashPassword('password', { memoryKib: 65536, iterations: 2, parallelism: 1 }, salt);
    expect(hash).toBe(
      '$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc',
    );
  });

  it('never compiles WebAssembly and never asks WebCrypto for PBKDF2 above 100,000 iterations', async () => {
    // Workers' types omit compile/Module (they are refused at run time); spy on whatever exists.
    const wa = WebAssembly as unknown as Record<string, (...args: unknown[]) => unknown>;
    const wasm = ['compile', 'instantiate', 'compileStreaming', 'instantiateStreaming', 'validate', 'Module']
      .filter((name) => typeof wa[name] === 'function')
      .map((name) => vi.spyOn(wa, name));
    expect(wasm.length).toBeGreaterThanOrEqual(3);
    const pbkdf2Iterations: number[] = [];
    for (const method of ['deriveBits', 'deriveKey', 'importKey'] as const) {
      const original = crypto.subtle[method].bind(crypto.subtle) as (...args: unknown[]) => unknown;
      vi.spyOn(crypto.subtle, method).mockImplementation(((...args: unknown[]) => {
        const algorithm = args[0] as { name?: string; iterations?: number };
        if (algorithm?.name?.toUpperCase() === 'PBKDF2' && algorithm.iterations)
          pbkdf2Iterations.push(algorithm.iterations);
        return original(...args);
      }) as never);
    }
    const hash = await hashPassword('a long enough passphrase');
    expect((await verifyPassword('a long enough passphrase', hash, DEFAULT_HASH_PARAMS)).ok).toBe(true);
    for (const spy of wasm) expect(spy).not.toHaveBeenCalled();
    expect(pbkdf2Iterations.every((n) => n <= 100_000)).toBe(true);
  });

  it('flags hashes made with weaker parameters, and refuses unreadable or absurd ones', async () => {
    const weak = await hashPassword('a long enough passphrase', {
      memoryKib: 4096,
      iterations: 1,
      parallelism: 1,
    });
    expect(needsRehash(weak, DEFAULT_HASH_PARAMS)).toBe(true);
    expect(await verifyPassword('a long enough passphrase', weak, DEFAULT_HASH_PARAMS)).toEqual({
      ok: true,
      needsRehash: true,
    });
    expect(parsePasswordHash('$2b$12$abcdefghijklmnopqrstuv')).toBeNull();
    expect(
      parsePasswordHash(
        '$argon2id$v=19$m=9999999,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc',
      ),
    ).toBeNull();
    expect(
      (await verifyPassword('x', 'not a hash', { memoryKib: 64, iterations: 1, parallelism: 1 })).ok,
    ).toBe(false);
  });
});

describe('hashing at login', () => {
  it('a login with an outdated hash upgrades it to the current parameters', async () => {
    // Registered with cheap parameters (m=64, t=1): an "old" hash.
    const user = await registerUser();
    const stored = () =>
      env.DB.prepare('SELECT password_hash FROM users WHERE id = ?')
        .bind(user.user.id)
        .first<{ password_hash: string }>()
        .then((r) => r?.password_hash ?? '');
    const before = await stored();
    expect(before).toContain('$m=64,t=1,p=1$');

    const login = () =>
      authFetch(
        '/v1/auth/login',
        jsonInit('POST', { email: user.user.email, password: user.password }),
        STRONG_ENV,
      );
    expect((await login()).status).toBe(200);
    const after = await stored();
    expect(after).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    // The upgraded hash verifies, and is not rewritten again.
    expect((await login()).status).toBe(200);
    expect(await stored()).toBe(after);
  });

  it('an unknown email costs a hash too (uniform timing)', async () => {
    const user = await registerUser();
    const time = async (email: string) => {
      const start = performance.now();
      const res = await authFetch(
        '/v1/auth/login',
        jsonInit('POST', { email, password: 'wrong password 123' }),
        STRONG_ENV,
      );
      expect(res.status).toBe(401);
      return performance.now() - start;
    };
    // Warm up, then compare: without the dummy hash the unknown email would answer ~20x faster.
    await time(uniqueEmail());
    const known = Math.min(await time(user.user.email), await time(user.user.email));
    const unknown = Math.min(await time(uniqueEmail()), await time(uniqueEmail()));
    expect(unknown).toBeGreaterThan(known * 0.5);
  });

  it('registering a taken email costs the same hash as a new registration (uniform timing)', async () => {
    const user = await registerUser();
    const time = async (email: string, expected: number) => {
      const start = performance.now();
      const res = await authFetch(
        '/v1/auth/register',
        jsonInit('POST', { email, password: 'some long passphrase 9' }),
        STRONG_ENV,
      );
      expect(res.status).toBe(expected);
      return performance.now() - start;
    };
    await time(uniqueEmail(), 201);
    const fresh = Math.min(await time(uniqueEmail(), 201), await time(uniqueEmail(), 201));
    const taken = Math.min(await time(user.user.email, 400), await time(user.user.email, 400));
    expect(taken).toBeGreaterThan(fresh * 0.5);
  });
});
