import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const out = await mkdtemp(join(tmpdir(), 'airlock-dry-run-'));
afterAll(() => rm(out, { recursive: true, force: true }));

describe('deploy', () => {
  it('`wrangler deploy --dry-run` builds the Worker bundle', async () => {
    const { stdout } = await run('wrangler', ['deploy', '--dry-run', '--outdir', out], { cwd: root });
    expect(stdout).toContain('--dry-run: exiting now.');
    const files = await readdir(out);
    const bundle = files.find((f) => f.endsWith('.js'));
    expect(bundle).toBeDefined();
    // The bundle is the app: it carries the security-header policy, and no development secret.
    const code = await readFile(join(out, bundle as string), 'utf8');
    expect(code).toContain('max-age=31536000; includeSubDomains');
    expect(code).not.toMatch(/JWT_SIGNING_KEY\s*[:=]\s*["'][A-Za-z0-9_-]{20,}/);
  });

  it('keeps development secrets out of the repository', async () => {
    const { stdout } = await run('git', ['ls-files'], { cwd: root });
    const tracked = stdout.split('\n');
    expect(tracked.filter((f) => /(^|\/)\.dev\.vars$|(^|\/)\.env($|\.)|dev-secrets\.json$/.test(f))).toEqual(
      [],
    );
  });
});
