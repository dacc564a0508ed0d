import { z } from 'zod';
import type { RateRule } from '../domain/auth/rate-limit.ts';
import { HOUR_MS, MINUTE_MS, type RateSetting, SECOND_MS, type Setting } from '../limits.ts';

/**
 * Parsers for Worker vars (always strings, or absent). Absent means the safe default; anything
 * malformed or out of range is an error, never a silent fallback (a NaN limit would mean "none").
 */

/** An integer var within [min, max], `fallback` when absent. */
export const intVar = (fallback: number, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a positive integer')
    .optional()
    .transform((v) => (v === undefined ? fallback : Number(v)))
    .pipe(z.number().int().min(min).max(max));

/** A comma-separated list var: items trimmed, empty ones dropped, each checked by `item`; absent = []. */
export const listVar = <T extends z.ZodType<unknown, string>>(item: T) =>
  z
    .string()
    .optional()
    .transform((v) =>
      (v ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    )
    .pipe(z.array(item));

/** A boolean var: true/false, 1/0, on/off. */
export const flagVar = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'on', 'off'])
    .optional()
    .transform((v) => (v === undefined ? fallback : v === 'true' || v === '1' || v === 'on'));

const UNIT_MS = { s: SECOND_MS, m: MINUTE_MS, h: HOUR_MS } as const;

/** A rate rule written as `<limit>/<window>`, e.g. `5/1m`, `3/1h`, `120/60s`. */
export const rateRuleVar = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((v) => v ?? fallback)
    .pipe(
      z
        .string()
        .regex(/^\d{1,6}\/\d{1,6}[smh]$/, 'must look like 5/1m (limit/window, window in s, m or h)')
        .transform((v): RateRule => {
          const [limit = '', window = ''] = v.split('/');
          const unit = window.slice(-1) as keyof typeof UNIT_MS;
          return { limit: Number(limit), windowMs: Number(window.slice(0, -1)) * UNIT_MS[unit] };
        })
        .refine((r) => r.limit >= 1 && r.windowMs >= SECOND_MS, 'limit and window must be at least 1'),
    );

/** The var of a setting in limits.ts: its default when absent, its bounds otherwise. */
export const settingVar = (setting: Setting) => intVar(setting.default, setting.min, setting.max);

/** The var of a rate rule in limits.ts, its default when absent. */
export const rateSettingVar = (setting: RateSetting) => rateRuleVar(setting.default);
