/**
 * Runs end to end (issue 5): the Worker in workerd, a real sandbox host on a real Docker engine.
 * register → log in → run Python with wait; async run → stream → history with accounting.
 */
import { describe, expect, it } from 'vitest';
import { authFetch, jsonInit, TEST_PASSWORD, uniqueEmail } from '../helpers.ts';
import {
  bearer,
  type Frame,
  getRun,
  type RunView,
  registerUser,
  runAndWait,
  runAsync,
  streamed,
  watch,
  worker,
} from './support.ts';

describe('runs: the main path', { timeout: 60_000 }, () => {
  it('register → log in → run Python with wait → the result', async () => {
    const email = uniqueEmail('runs');
    await registerUser(email);
    const login = await authFetch('/v1/auth/login', jsonInit('POST', { email, password: TEST_PASSWORD }));
    expect(login.status).toBe(200);
    const session = (await login.json()) as { accessToken: string };

    const res = await worker(
      '/v1/runs',
      jsonInit('POST', { language: 'python', code: 'print(1 + 1)', wait: true }, bearer(session.accessToken)),
    );
    expect(res.status).toBe(200);
    const run = (await res.json()) as RunView;
    expect(run).toMatchObject({
      language: 'python',
      status: 'succeeded',
      exitCode: 0,
      stdout: '2\n',
      stderr: '',
    });
    expect(run.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(run.wallMs).toBeGreaterThanOrEqual(0);
    expect(run.finishedAt).not.toBeNull();
  });
});
