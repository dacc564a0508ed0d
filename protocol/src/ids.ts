import { z } from 'zod';

/** Ids that travel in frames and tokens: short, URL- and log-safe. */
export const RunIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'run id: 1-64 of [A-Za-z0-9_-]');

/** An organization id as the edge writes it (a UUID today); the host only groups runs by it. */
export const OrgIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'org id: 1-64 of [A-Za-z0-9_-]');
