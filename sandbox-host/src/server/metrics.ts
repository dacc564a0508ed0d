/** Prometheus metrics on a registry owned by the host instance (no global default registry). */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { RunService } from '../runner/service.ts';

export interface MetricsSources {
  poolSizes(): Record<string, number>;
  admission(): ReturnType<RunService['admission']>;
}

export class HostMetrics {
  readonly registry = new Registry();
  readonly runs: Counter<'language' | 'status'>;
  readonly duration: Histogram<'language' | 'warm'>;
  readonly tokenRejections: Counter<'reason'>;
  readonly orphansRemoved: Counter;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'airlock_host_' });
    this.runs = new Counter({
      name: 'airlock_runs_total',
      help: 'Finished runs by language and final status',
      labelNames: ['language', 'status'],
      registers,
    });
    this.duration = new Histogram({
      name: 'airlock_run_duration_seconds',
      help: 'Wall time of runs, handover to result',
      labelNames: ['language', 'warm'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30],
      registers,
    });
    this.tokenRejections = new Counter({
      name: 'airlock_token_rejections_total',
      help: 'Upgrade requests refused, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.orphansRemoved = new Counter({
      name: 'airlock_orphan_containers_removed_total',
      help: 'Containers removed by the orphan sweep',
      registers,
    });
    new Gauge({
      name: 'airlock_pool_size',
      help: 'Warm containers ready, by language',
      labelNames: ['language'],
      registers,
      collect() {
        for (const [language, n] of Object.entries(sources.poolSizes())) this.set({ language }, n);
      },
    });
    new Gauge({
      name: 'airlock_queue_depth',
      help: 'Runs waiting for a slot',
      registers,
      collect() {
        this.set(sources.admission().queued);
      },
    });
    new Gauge({
      name: 'airlock_runs_in_flight',
      help: 'Runs executing now',
      registers,
      collect() {
        this.set(sources.admission().running);
      },
    });
    new Gauge({
      name: 'airlock_admission_used',
      help: 'Share of the admission budget held by admitted runs (memory limits, process limits, runs)',
      labelNames: ['resource'],
      registers,
      collect() {
        const a = sources.admission();
        this.set({ resource: 'memory' }, a.memoryMb / a.budget.memoryMb);
        this.set({ resource: 'pids' }, a.pids / a.budget.pids);
        this.set({ resource: 'runs' }, a.running / a.budget.maxRunning);
      },
    });
    new Gauge({
      name: 'airlock_admission_orgs',
      help: 'Organizations with runs admitted or waiting',
      registers,
      collect() {
        this.set(sources.admission().orgs);
      },
    });
  }
}
