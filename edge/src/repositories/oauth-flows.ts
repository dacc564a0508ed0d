import { and, eq, gt, lt } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { oauthFlows } from '../db/schema.ts';

/** OAuth flows in progress, by the SHA-256 of their `state` (schema.ts `oauth_flows`). */

export type OAuthFlowRow = typeof oauthFlows.$inferSelect;

export function insertFlow(db: Database, row: OAuthFlowRow) {
  return db.insert(oauthFlows).values(row);
}

/**
 * Takes the live flow for this state and provider, deleting it in the same statement: of two
 * callbacks with one state only the first gets the row, so a state never works twice.
 */
export async function claimFlow(
  db: Database,
  stateHash: string,
  provider: OAuthFlowRow['provider'],
  now: number,
): Promise<OAuthFlowRow | null> {
  const rows = await db
    .delete(oauthFlows)
    .where(
      and(
        eq(oauthFlows.stateHash, stateHash),
        eq(oauthFlows.provider, provider),
        gt(oauthFlows.expiresAt, now),
      ),
    )
    .returning();
  return rows[0] ?? null;
}

/** Housekeeping: flows nobody finished. */
export function deleteExpiredFlows(db: Database, now: number) {
  return db.delete(oauthFlows).where(lt(oauthFlows.expiresAt, now));
}
