/**
 * Piston v2 compatibility end to end (issue 17): the Worker in workerd, a real sandbox host on the
 * real Docker engine. Shapes field by field, compile errors, timeouts, output limits, base64 files,
 * aliases and version ranges, bad requests, every credential form, and the run in /v1/runs.
 */
import { describe, expect, it } from 'vitest';
import { PISTON_STAGE_FIELDS } from '../../src/openapi/piston.ts';
import { bearer, type RunView } from '../runs/support.ts';
import { execute, executeOk, mintKey, type PistonAnswer, registerUser, worker } from './support.ts';

const py = (content: string, extra: Record<string, unknown> = {}) => ({
  language: 'python',
  version: '*',
  files: [{ content }],
  ...extra,
});

function expectStageShape(stage: unknown) {
  expect(Object.keys(stage as object).sort()).toEqual([...PISTON_STAGE_FIELDS].sort());
}

describe('piston: GET /api/v2/runtimes', { timeout: 60_000 }, () => {
  it('is public and lists Piston’s names, semver versions and aliases', async () => {
    for (const path of ['/api/v2/runtimes', '/api/v2/piston/runtimes']) {
      const res = await worker(path);
      expect(res.status, path).toBe(200);
      const list = (await res.json()) as {
        language: string;
        version: string;
        aliases: string[];
        runtime?: string;
      }[];
      const python = list.find((r) => r.language === 'python');
      expect(python).toMatchObject({ aliases: expect.arrayContaining(['py', 'python3']) });
      expect(python?.version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(list.find((r) => r.language === 'c++')).toMatchObject({
        runtime: 'gcc',
        aliases: expect.arrayContaining(['cpp']),
      });
      expect(list.find((r) => r.language === 'javascript')).toMatchObject({ runtime: 'node' });
      for (const r of list)
        expect(Object.keys(r).every((k) => ['language', 'version', 'aliases', 'runtime'].includes(k))).toBe(
          true,
        );
    }
  });
});

describe('piston: POST /api/v2/execute', { timeout: 90_000 }, () => {
  it('runs Python: Piston’s answer field by field, and the run is in /v1/runs', async () => {
    const user = await registerUser();
    const key = await mintKey(user);
    const answer = await executeOk(
      key,
      py('import sys\nprint(input(), sys.argv[1:])\nprint("warn", file=sys.stderr)\nsys.exit(3)', {
        stdin: 'hello',
        args: ['1', '2', '3'],
        run_memory_limit: -1,
        compile_memory_limit: -1,
      }),
    );
    expect(Object.keys(answer).sort()).toEqual(['language', 'run', 'version']);
    expect(answer.language).toBe('python');
    expect(answer.version).toMatch(/^3\.\d+\.\d+$/);
    expectStageShape(answer.run);
    expect(answer.run).toMatchObject({
      stdout: "hello ['1', '2', '3']\n",
      stderr: 'warn\n',
      output: "hello ['1', '2', '3']\nwarn\n",
      code: 3,
      signal: null,
      status: 'RE',
      message: 'Exited with error status 3',
    });
    expect(answer.run.wall_time).toBeTypeOf('number');

    const list = (await (await worker('/v1/runs', { headers: bearer(user) })).json()) as { runs: RunView[] };
    expect(list.runs[0]).toMatchObject({ language: 'python', status: 'failed', exitCode: 3 });
  });

  it('answers under the /api/v2/piston alias, with language aliases and version ranges', async () => {
    const key = await mintKey(await registerUser());
    const runtimes = (await (await worker('/api/v2/runtimes')).json()) as {
      language: string;
      version: string;
    }[];
    const version = runtimes.find((r) => r.language === 'python')?.version ?? '';
    const [major] = version.split('.');
    for (const [language, range] of [
      ['py', version],
      ['python3', `${major}.x`],
      ['py3', `>=${major} <${Number(major) + 1}`],
    ] as const) {
      const answer = await executeOk(
        key,
        py('print(6 * 7)', { language, version: range }),
        '/api/v2/piston/execute',
      );
      expect(answer, `${language} ${range}`).toMatchObject({
        language: 'python',
        version,
        run: { stdout: '42\n', code: 0 },
      });
    }
  });

  it('C: a compile error is in compile, and run is the same; a good program has both stages', async () => {
    const key = await mintKey(await registerUser());
    const bad = await executeOk(key, {
      language: 'c',
      version: '*',
      files: [{ name: 'prog.c', content: 'int main(void) { return nope; }\n' }],
    });
    expectStageShape(bad.compile);
    expect(bad.compile).toMatchObject({ status: 'RE', signal: null });
    expect(bad.compile?.code).not.toBe(0);
    expect(bad.compile?.stderr).toContain('nope');
    expect(bad.run).toEqual(bad.compile);

    const good = await executeOk(key, {
      language: 'gcc',
      version: '*',
      files: [
        { content: '#include <stdio.h>\nint main(int c, char **v) { printf("%s\\n", v[1]); return 0; }\n' },
      ],
      args: ['arg'],
    });
    expect(good).toMatchObject({
      language: 'c',
      compile: { code: 0, status: null },
      run: { stdout: 'arg\n', code: 0, status: null },
    });
  });

  it('a timeout is status TO, killed with SIGKILL, with the output before it', async () => {
    const key = await mintKey(await registerUser());
    const answer = await executeOk(
      key,
      py('print("before", flush=True)\nwhile True:\n    pass', { run_timeout: 1000 }),
    );
    expect(answer.run).toMatchObject({ status: 'TO', signal: 'SIGKILL', code: null, stdout: 'before\n' });
  });

  it('an output flood is status OL, cut at the limit', async () => {
    const key = await mintKey(await registerUser());
    const answer = await executeOk(key, py('import sys\nwhile True:\n    sys.stdout.write("x" * 65536)'));
    expect(answer.run).toMatchObject({ status: 'OL', signal: 'SIGKILL' });
    expect(answer.run.stdout.length).toBe(1024 * 1024);
  });

  it('base64 and hex files are decoded into the sandbox; the first utf8 file is the entry point', async () => {
    const key = await mintKey(await registerUser());
    const answer = await executeOk(key, {
      language: 'python',
      version: '*',
      files: [
        { name: 'data.txt', content: btoa('from base64'), encoding: 'base64' },
        {
          name: 'helper.py',
          content: Array.from(new TextEncoder().encode('X = "from hex"'), (b) =>
            b.toString(16).padStart(2, '0'),
          ).join(''),
          encoding: 'hex',
        },
        { name: 'prog.py', content: 'import helper\nprint(open("data.txt").read(), helper.X)' },
      ],
    });
    expect(answer.run).toMatchObject({ stdout: 'from base64 from hex\n', code: 0 });
  });
});

describe('piston: refusals in Piston’s shape', { timeout: 60_000 }, () => {
  async function message(res: Response): Promise<string> {
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['message']);
    return body.message as string;
  }

  it('bad requests are 400 {message}', async () => {
    const key = await mintKey(await registerUser());
    const cases: [unknown, RegExp][] = [
      ['{not json', /not valid JSON/],
      [{ version: '*', files: [] }, /^language is required as a string$/],
      [py('x', { language: 'cobol' }), /^cobol-\* runtime is unknown$/],
      [py('x', { version: '1.0.0' }), /^python-1\.0\.0 runtime is unknown$/],
      [py('x', { run_timeout: 600_000 }), /run_timeout cannot exceed the configured limit/],
      [py('x', { files: [{ content: 'eA==', encoding: 'base64' }] }), /at least one utf8/],
    ];
    for (const [body, expected] of cases) {
      const res = await execute('/api/v2/execute', key, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(await message(res)).toMatch(expected);
    }
    const list = (await (
      await worker('/v1/runs', { headers: { authorization: `Bearer ${key}` } })
    ).json()) as { runs: unknown[] };
    expect(list.runs).toEqual([]);
  });

  it('an unknown path under /api/ is 404 {message}', async () => {
    const res = await worker('/api/v2/packages');
    expect(res.status).toBe(404);
    expect(await message(res)).toBeTruthy();
  });

  it('accepts every credential form, and refuses none, wrong keys, sessions and read-only keys with 401/403 {message}', async () => {
    const user = await registerUser();
    const key = await mintKey(user);
    for (const authorization of [key, `Bearer ${key}`, `Basic ${btoa(`${key}:x`)}`, `Basic ${btoa(key)}`]) {
      const res = await execute('/api/v2/execute', authorization, py('print(1)'));
      expect(res.status, authorization.slice(0, 6)).toBe(200);
      expect(((await res.json()) as PistonAnswer).run.stdout).toBe('1\n');
    }
    const wrong = `${key.slice(0, -4)}AAAA`;
    for (const authorization of [
      undefined,
      wrong,
      `Basic ${btoa(`${wrong}:`)}`,
      `Bearer ${user.accessToken}`,
    ]) {
      const res = await execute('/api/v2/execute', authorization, py('print(1)'));
      expect(res.status, String(authorization).slice(0, 6)).toBe(401);
      expect(res.headers.get('www-authenticate')).not.toMatch(/basic/i);
      expect(await message(res)).toBeTruthy();
    }
    const reader = await mintKey(user, ['runs:read']);
    const denied = await execute('/api/v2/execute', reader, py('print(1)'));
    expect(denied.status).toBe(403);
    expect(await message(denied)).toBeTruthy();
  });
});
