import { describe, expect, it } from 'vitest';
import { createLogger, redact } from '../../src/lib/logger.ts';
import { fetchAppLogged } from '../helpers.ts';

describe('logs never carry secrets', () => {
  it('redacts secret-looking keys at any depth', () => {
    const lines: string[] = [];
    const log = createLogger({}, (l) => lines.push(l));
    log.info('x', {
      password: 'hunter2hunter2',
      nested: { refreshToken: 'rt_abc', list: [{ apiKey: 'ak_1' }] },
      email: 'a@b.c',
    });
    const out = lines.join('');
    for (const secret of ['hunter2hunter2', 'rt_abc', 'ak_1']) expect(out).not.toContain(secret);
    expect(out).toContain('a@b.c');
    expect(redact({ authorization: 'Bearer x' })).toEqual({ authorization: '[redacted]' });
  });

  it("drops a failed query's bound parameters from logged errors, at any depth", () => {
    const lines: string[] = [];
    const log = createLogger({}, (l) => lines.push(l));
    const failed = new Error(
      'Failed query: insert into "users" values (?, ?)\nparams: u1,$argon2id$v=19$secrethash',
    );
    log.error('x', { err: new Error('wrapper', { cause: failed }) });
    const out = lines.join('');
    expect(out).not.toContain('secrethash');
    expect(out).toContain('params: [redacted]');
    expect(out).toContain('Failed query: insert into');
  });

  it('does not log a misconfigured value or the request credentials', async () => {
    const { res, logs } = await fetchAppLogged(
      'http://127.0.0.1/healthz',
      { headers: { Authorization: 'Bearer super-secret-token-value', Cookie: 'rt=also-secret' } },
      { BODY_LIMIT_BYTES: 'not-a-number-secretish' },
    );
    expect(res.status).toBe(500);
    const out = logs.join('\n');
    expect(out).toContain('invalid configuration');
    expect(out).toContain('BODY_LIMIT_BYTES');
    expect(out).not.toContain('super-secret-token-value');
    expect(out).not.toContain('also-secret');
    expect(out).not.toContain('not-a-number-secretish');
  });
});
