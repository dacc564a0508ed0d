import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config.ts';
import { RATE_LIMITS, SETTINGS } from '../../src/limits.ts';

/**
 * limits.ts is the one place the edge's numbers are defined: every setting it names must be a var
 * the configuration reads, with that default and those bounds, and what wrangler.toml ships must
 * not silently differ from it.
 */

const shape = configSchema.shape as Record<
  string,
  { safeParse(v: unknown): { success: boolean; data?: unknown } }
>;
const shipped = env as unknown as Record<string, unknown>;

function parserOf(envVar: string) {
  const parser = shape[envVar];
  if (!parser) throw new Error(`${envVar} is not read by the configuration`);
  return parser;
}

const windowMs = { s: 1000, m: 60_000, h: 3_600_000 } as const;
function ruleOf(text: string) {
  const [limit = '', window = ''] = text.split('/');
  return { limit: Number(limit), windowMs: Number(window.slice(0, -1)) * windowMs[window.slice(-1) as 's'] };
}

describe('limits.ts', () => {
  for (const [name, setting] of Object.entries(SETTINGS)) {
    it(`${name}: ${setting.envVar} defaults to ${setting.default} within [${setting.min}, ${setting.max}]`, () => {
      const parser = parserOf(setting.envVar);
      expect(parser.safeParse(undefined)).toMatchObject({ success: true, data: setting.default });
      expect(parser.safeParse(String(setting.min)).success).toBe(true);
      expect(parser.safeParse(String(setting.max)).success).toBe(true);
      if (setting.min > 0) expect(parser.safeParse(String(setting.min - 1)).success).toBe(false);
      if (setting.max < Number.MAX_SAFE_INTEGER)
        expect(parser.safeParse(String(setting.max + 1)).success).toBe(false);
      if (shipped[setting.envVar] !== undefined)
        expect(parser.safeParse(shipped[setting.envVar])).toMatchObject({
          success: true,
          data: setting.default,
        });
    });
  }

  for (const [name, rate] of Object.entries(RATE_LIMITS)) {
    it(`${name}: ${rate.envVar} defaults to ${rate.default}`, () => {
      const parser = parserOf(rate.envVar);
      expect(parser.safeParse(undefined)).toMatchObject({ success: true, data: ruleOf(rate.default) });
      if (shipped[rate.envVar] !== undefined) expect(shipped[rate.envVar]).toBe(rate.default);
    });
  }
});
