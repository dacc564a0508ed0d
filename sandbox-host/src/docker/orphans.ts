/**
 * Orphan sweep: removes containers labelled as this host's that no live run or warm slot owns, e.g. left
 * by a crashed process. Containers of this very process that are younger than `graceMs` are spared: they
 * may be mid-creation and not registered yet.
 */
import type Docker from 'dockerode';
import { CONTAINER_LABELS } from './profile.ts';

interface SweepOptions {
  docker: Docker;
  hostId: string;
  instanceId: string;
  owned: () => Set<string>;
  nowMs: number;
  graceMs: number;
}

export async function sweepOrphans(o: SweepOptions): Promise<string[]> {
  const list = await o.docker.listContainers({
    all: true,
    filters: { label: [`${CONTAINER_LABELS.managed}=true`, `${CONTAINER_LABELS.host}=${o.hostId}`] },
  });
  const owned = o.owned();
  const victims = list.filter((c) => {
    if (owned.has(c.Id)) return false;
    const mine = c.Labels[CONTAINER_LABELS.instance] === o.instanceId;
    return !mine || o.nowMs - c.Created * 1000 > o.graceMs;
  });
  await Promise.all(
    victims.map((c) =>
      o.docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch((err: { statusCode?: number }) => {
          if (err.statusCode !== 404 && err.statusCode !== 409) throw err;
        }),
    ),
  );
  return victims.map((c) => c.Id);
}
