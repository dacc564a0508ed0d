/**
 * The container profile: the ONE place where a sandbox container's isolation is defined. Every container
 * the host creates (warm or cold) comes from `sandboxContainerSpec`.
 *
 * - NetworkDisabled rather than NetworkMode "none": the same private namespace holding only `lo`, but it
 *   skips libnetwork's per-container setup (measured: about half the start cost).
 * - Read-only root; writable space is two size-limited tmpfs mounts (nosuid, nodev; exec is needed on
 *   /work for compiled programs). tmpfs pages count against the memory limit.
 * - All capabilities dropped, no-new-privileges, our own seccomp policy (./seccomp.ts: the engine's
 *   default minus ptrace, io_uring, namespaces and the like), user 65534 (or the sandbox's own uid:
 *   ./sandbox-uids.ts), pids/memory/CPU limits, no swap, ulimits on files and file size.
 * - The OCI runtime the host was configured with (runc, or gVisor's runsc: its own kernel in user space).
 *   The process limit differs by runtime (`processLimits`): runc's pids cgroup counts the program's
 *   processes; under gVisor it counts the sentry's host threads, so there RLIMIT_NPROC, which gVisor
 *   enforces per user inside its own kernel, bounds the program's tasks.
 * - Under the sandboxes' parent cgroup, whose CPU cap leaves cores for the host and the engine
 *   (./sandbox-cgroup.ts).
 * - No binds, no volumes, no Docker socket, no devices; labels mark the container as ours.
 */
import type Docker from 'dockerode';
import { DEFAULT_SANDBOX_UID } from './sandbox-uids.ts';
import { seccompProfileJson } from './seccomp.ts';

/** The OCI runtimes a host may run sandboxes under (registered with the engine under these names). */
export const SANDBOX_RUNTIMES = ['runc', 'runsc'] as const;
export type SandboxRuntime = (typeof SANDBOX_RUNTIMES)[number];

export const CONTAINER_LABELS = {
  managed: 'airlock.managed',
  host: 'airlock.host',
  /** The host process that created it: periodic sweeps spare a live process's own fresh containers. */
  instance: 'airlock.instance',
  run: 'airlock.run',
  language: 'airlock.language',
} as const;

export interface ProfileLimits {
  memoryMb: number;
  pidsLimit: number;
  nanoCpus: number;
  workTmpfsMb: number;
  tmpTmpfsMb: number;
  /** RLIMIT_FSIZE in bytes (largest file a process may write). */
  fileSizeBytes: number;
  openFiles: number;
  /** The engine runtime (HostConfig.Runtime); the engine's default (runc) when absent. */
  runtime?: SandboxRuntime;
  /** The sandboxes' parent cgroup (HostConfig.CgroupParent); the engine's default when absent. */
  cgroupParent?: string;
}

interface SandboxSpecInput {
  image: string;
  hostId: string;
  instanceId: string;
  /** The run (or, for a pre-started pool container, the slot) this container belongs to. */
  runId: string;
  language: string;
  env: Readonly<Record<string, string>>;
  cmd: string[];
  limits: ProfileLimits;
  /** The uid and gid the sandbox runs as and owns its tmpfs mounts as (./sandbox-uids.ts); 65534 if absent. */
  uid?: number;
}

/**
 * Host tasks (pids cgroup) the gVisor sandbox takes per task of the program, and for the sentry itself:
 * under the ptrace platform each program task costs a stub thread plus sentry threads. Measured with
 * Debian's runsc 0.0~20221219 (python fork bomb held at 100 tasks by RLIMIT_NPROC): 545 host tasks,
 * 290 at 50, 83 at 10, i.e. about 5.1 per task plus ~30. Hitting the pids cgroup first makes the sentry
 * (Go) die with "failed to create new OS thread" (exit 2) instead of the program getting EAGAIN, so the
 * cgroup bound is set above what the in-sandbox limit allows, with margin for threaded runtimes.
 */
export const RUNSC_HOST_TASKS = { perTask: 8, sentry: 64 } as const;

/**
 * The process bounds of a sandbox: the pids cgroup (HostConfig.PidsLimit) and, under gVisor only,
 * RLIMIT_NPROC. runc must not get RLIMIT_NPROC: the host kernel counts it per real uid, and every
 * sandbox runs as the same uid 65534, so one run's processes would count against all the others'.
 * gVisor counts it per user inside each sandbox's own kernel (pkg/sentry/kernel: userCounters,
 * checked in TaskSet.NewTask), so there it is exactly the per-run task limit, answered with EAGAIN.
 */
export function processLimits(
  runtime: SandboxRuntime,
  pidsLimit: number,
): { pidsCgroup: number; nproc: number | null } {
  if (runtime === 'runc') return { pidsCgroup: pidsLimit, nproc: null };
  return { pidsCgroup: pidsLimit * RUNSC_HOST_TASKS.perTask + RUNSC_HOST_TASKS.sentry, nproc: pidsLimit };
}

const BASE_ENV: Readonly<Record<string, string>> = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  HOME: '/tmp',
  TMPDIR: '/tmp',
  LANG: 'C.UTF-8',
};

export function sandboxContainerSpec(input: SandboxSpecInput): Docker.ContainerCreateOptions {
  const { limits } = input;
  const memoryBytes = limits.memoryMb * 1024 * 1024;
  const runtime = limits.runtime ?? 'runc';
  const uid = input.uid ?? DEFAULT_SANDBOX_UID;
  const owner = `uid=${uid},gid=${uid}`;
  const processes = processLimits(runtime, limits.pidsLimit);
  const env = { ...BASE_ENV, ...input.env };
  return {
    Image: input.image,
    Cmd: input.cmd,
    Entrypoint: [],
    User: `${uid}:${uid}`,
    WorkingDir: '/work',
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    Labels: {
      [CONTAINER_LABELS.managed]: 'true',
      [CONTAINER_LABELS.host]: input.hostId,
      [CONTAINER_LABELS.instance]: input.instanceId,
      [CONTAINER_LABELS.run]: input.runId,
      [CONTAINER_LABELS.language]: input.language,
    },
    NetworkDisabled: true,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: true,
    StdinOnce: true,
    Tty: false,
    HostConfig: {
      ReadonlyRootfs: true,
      Tmpfs: {
        '/work': `rw,exec,nosuid,nodev,size=${limits.workTmpfsMb}m,${owner}`,
        '/tmp': `rw,exec,nosuid,nodev,size=${limits.tmpTmpfsMb}m,${owner}`,
      },
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges', `seccomp=${seccompProfileJson(runtime)}`],
      Runtime: runtime,
      ...(limits.cgroupParent === undefined ? {} : { CgroupParent: limits.cgroupParent }),
      Privileged: false,
      PidsLimit: processes.pidsCgroup,
      Memory: memoryBytes,
      MemorySwap: memoryBytes,
      MemorySwappiness: 0,
      NanoCpus: limits.nanoCpus,
      Ulimits: [
        { Name: 'nofile', Soft: limits.openFiles, Hard: limits.openFiles },
        { Name: 'fsize', Soft: limits.fileSizeBytes, Hard: limits.fileSizeBytes },
        { Name: 'core', Soft: 0, Hard: 0 },
        ...(processes.nproc === null
          ? []
          : [{ Name: 'nproc', Soft: processes.nproc, Hard: processes.nproc }]),
      ],
      Binds: [],
      Mounts: [],
      Devices: [],
      IpcMode: 'private',
      // The host removes containers itself (it reads the cgroup first); never restart a sandbox.
      AutoRemove: false,
      RestartPolicy: { Name: 'no' },
      LogConfig: { Type: 'none', Config: {} },
    },
  };
}
