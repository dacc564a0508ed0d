/**
 * One sandbox container: created from the profile, attached (hijacked stdin) and started so that its
 * wrapper waits for input. Serves exactly one run, then is destroyed.
 */
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { CgroupReader } from './cgroup.ts';
import { awaitOomEvent } from './oom-event.ts';
import type { ProfileLimits, SandboxRuntime } from './profile.ts';
import { sandboxContainerSpec } from './profile.ts';
import { SandboxUids } from './sandbox-uids.ts';
import type { Marker, StreamName } from './stream.ts';
import { DemuxParser, MarkerScanner } from './stream.ts';
import { wrapperCmd } from './wrapper.ts';

interface SandboxEvents {
  /**
   * Output with markers stripped, and how many raw bytes the program wrote to get it (markers and held
   * candidates included): the raw count is what the output limit is charged with.
   */
  output(stream: StreamName, data: Buffer, rawBytes: number): void;
  marker(stream: StreamName, marker: Marker): void;
  /** The attach stream ended: the wrapper (and so the container's main process) exited. */
  end(): void;
}

interface CreateSandboxInput {
  image: string;
  hostId: string;
  instanceId: string;
  slotId: string;
  language: string;
  env: Readonly<Record<string, string>>;
  limits: ProfileLimits;
  /** Where the sandbox's uid comes from, given back once the container is removed; 65534 if absent. */
  uids?: SandboxUids;
}

/** How long a run whose wrapper ended waits for the engine to record the container's exit. */
const EXIT_WAIT_MS = 2000;

/**
 * How long a gVisor sandbox ended by SIGKILL, with no OOM kill in its state, waits for the engine's late
 * `oom` event (docker/oom-event.ts). The host's own kills (limits, cancels) never end a run through its
 * exit, so this is an OOM kill's path; a sandbox killed some other way is answered this much later.
 */
const OOM_EVENT_WAIT_MS = 2000;

/** The exit code of a main process ended by SIGKILL. */
const SIGKILL_EXIT = 137;

/** Without a range every sandbox is 65534: nothing to hand out or take back. */
const SHARED_UID = new SandboxUids();

export class Sandbox {
  readonly id: string;
  readonly slotId: string;
  readonly language: string;
  readonly nonce: string;
  readonly uid: number;
  memoryMb: number;
  readonly #uids: SandboxUids;
  readonly #runtime: SandboxRuntime;
  readonly #docker: Docker;
  readonly #container: Docker.Container;
  readonly #createdAtMs: number;
  readonly #stream: Duplex;
  #events: SandboxEvents | null = null;
  #pending: Array<(e: SandboxEvents) => void> = [];
  #ended = false;
  #destroyed: Promise<void> | null = null;

  private constructor(
    engine: { docker: Docker; container: Docker.Container; createdAtMs: number },
    stream: Duplex,
    input: CreateSandboxInput,
    uid: number,
  ) {
    this.#docker = engine.docker;
    this.#container = engine.container;
    this.#createdAtMs = engine.createdAtMs;
    this.uid = uid;
    this.#uids = input.uids ?? SHARED_UID;
    this.#stream = stream;
    this.id = engine.container.id;
    this.slotId = input.slotId;
    this.language = input.language;
    this.memoryMb = input.limits.memoryMb;
    this.#runtime = input.limits.runtime ?? 'runc';
    this.nonce = randomBytes(12).toString('hex');
    const scanners = { stdout: new MarkerScanner(this.nonce), stderr: new MarkerScanner(this.nonce) };
    const demux = new DemuxParser((name, chunk) => {
      const { data, markers } = scanners[name].push(chunk);
      this.#emit((e) => e.output(name, data, chunk.length));
      for (const m of markers) this.#emit((e) => e.marker(name, m));
    });
    stream.on('data', (chunk: Buffer) => demux.push(chunk));
    const onEnd = () => {
      if (this.#ended) return;
      this.#ended = true;
      for (const name of ['stdout', 'stderr'] as const) {
        const rest = scanners[name].flush();
        if (rest.length > 0) this.#emit((e) => e.output(name, rest, 0));
      }
      this.#emit((e) => e.end());
    };
    stream.on('end', onEnd);
    stream.on('close', onEnd);
    stream.on('error', onEnd);
  }

  static async create(docker: Docker, input: CreateSandboxInput): Promise<Sandbox> {
    const uids = input.uids ?? SHARED_UID;
    const uid = uids.take();
    const createdAtMs = Date.now();
    const container = await docker
      .createContainer(
        sandboxContainerSpec({
          image: input.image,
          hostId: input.hostId,
          instanceId: input.instanceId,
          runId: input.slotId,
          language: input.language,
          env: input.env,
          cmd: wrapperCmd(input.limits.runtime ?? 'runc'),
          limits: input.limits,
          uid,
        }),
      )
      .catch((err: unknown) => {
        uids.release(uid); // no container was created
        throw err;
      });
    try {
      const stream = (await container.attach({
        stream: true,
        stdin: true,
        stdout: true,
        stderr: true,
        hijack: true,
      })) as unknown as Duplex;
      const sandbox = new Sandbox({ docker, container, createdAtMs }, stream, input, uid);
      await container.start();
      return sandbox;
    } catch (err) {
      // The uid goes back only if the container is surely gone (else it stays taken: the safe side).
      await container
        .remove({ force: true })
        .then(() => uids.release(uid))
        .catch(() => undefined);
      throw err;
    }
  }

  get ended(): boolean {
    return this.#ended;
  }

  listen(events: SandboxEvents): void {
    this.#events = events;
    const pending = this.#pending;
    this.#pending = [];
    for (const fn of pending) fn(events);
  }

  #emit(fn: (e: SandboxEvents) => void): void {
    if (this.#events) fn(this.#events);
    else this.#pending.push(fn);
  }

  write(data: Buffer): void {
    if (!this.#ended && !this.#stream.destroyed) this.#stream.write(data);
  }

  /** Half-closes stdin: the program sees end-of-file. */
  endInput(): void {
    if (!this.#ended && !this.#stream.destroyed) this.#stream.end();
  }

  /**
   * The run's memory limit (a warm container starts with its language's compile limit). runc: the
   * engine's container update, which orders the memory and memory+swap writes. gVisor: this runsc
   * (2022) has no `update` command, so the engine's update fails; the limit is written to the sandbox's
   * host cgroup instead, which the host kernel enforces on the sentry holding all of the program's memory.
   */
  async setMemory(memoryMb: number, cgroup: CgroupReader): Promise<void> {
    if (memoryMb === this.memoryMb) return;
    const bytes = memoryMb * 1024 * 1024;
    if (this.#runtime === 'runsc') await cgroup.setMemoryLimit(this.id, bytes);
    else await this.#container.update({ Memory: bytes, MemorySwap: bytes });
    this.memoryMb = memoryMb;
  }

  /**
   * The container's exit status as the engine recorded it. The attach stream can end a moment before
   * the engine has handled the exit (and, under gVisor, the OOM kill that caused it: the sandbox's
   * cgroup is gone by then, so this is the only record of it): while the container still shows as
   * running, the host waits for the engine, at most EXIT_WAIT_MS, and looks again. A gVisor sandbox
   * killed by SIGKILL whose state shows no OOM kill is checked against the engine's `oom` events, which
   * can come after the exit (docker/oom-event.ts).
   */
  async inspectExit(): Promise<{ exitCode: number | null; oomKilled: boolean }> {
    try {
      let info = await this.#container.inspect();
      if (info.State.Running) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          this.#container.wait({ condition: 'not-running' }).catch(() => undefined),
          new Promise((r) => {
            timer = setTimeout(r, EXIT_WAIT_MS);
          }),
        ]);
        clearTimeout(timer);
        info = await this.#container.inspect();
      }
      const exitCode = info.State.Running ? null : info.State.ExitCode;
      let oomKilled = info.State.OOMKilled;
      if (!oomKilled && exitCode === SIGKILL_EXIT && this.#runtime === 'runsc') {
        oomKilled = await awaitOomEvent(this.#docker, {
          containerId: this.id,
          sinceMs: this.#createdAtMs,
          waitMs: OOM_EVENT_WAIT_MS,
        });
      }
      return { exitCode, oomKilled };
    } catch {
      return { exitCode: null, oomKilled: false };
    }
  }

  /** Kills and removes the container (idempotent). */
  destroy(): Promise<void> {
    if (!this.#destroyed) {
      this.#stream.destroy();
      this.#destroyed = this.#container
        .remove({ force: true, v: true })
        .catch((err: { statusCode?: number }) => {
          if (err.statusCode !== 404 && err.statusCode !== 409) throw err;
        })
        // Only once the container and its processes are gone may another sandbox get its uid.
        .then(() => this.#uids.release(this.uid));
    }
    return this.#destroyed;
  }
}
