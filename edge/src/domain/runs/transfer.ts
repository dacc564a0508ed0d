/**
 * How long a sandbox host may take to receive a run's mounted files and accept the run (issue 15).
 * The handshake and a run without files keep the short accept timeout (FIXED.hostConnectTimeoutMs):
 * a host that is slow to answer then is unhealthy. Files are another matter: their bytes cross the
 * link between the edge and the host after the run frame, and a large, allowed transfer on a slow
 * link is no fault of the host. So with files the host has a deadline sized from the declared bytes
 * at a minimum link speed, never less than a floor (which also covers the host's digest checks).
 * Pure: the numbers come in (RUN_FILE_TRANSFER_* in limits.ts), the deadline goes out.
 */

export interface TransferRule {
  /** The shortest deadline, whatever the size. */
  readonly floorMs: number;
  /** The slowest link the deadline allows for. */
  readonly minBytesPerSecond: number;
}

export function transferDeadlineMs(bytes: number, rule: TransferRule): number {
  return Math.max(rule.floorMs, Math.ceil((bytes * 1000) / rule.minBytesPerSecond));
}
