/**
 * The isolation profile beyond Docker's defaults, proven from inside real sandboxes under the runtime
 * the suite runs with (SANDBOX_RUNTIME, runc by default): our seccomp policy denies every syscall in its
 * denylist, the container spec carries each control, and the default memory and the 1-CPU limit hold
 * without any per-run limit. Each test fails if its control is removed.
 */
import { describe, expect, it } from 'vitest';
import { detectCgroupLayout } from '../src/docker/cgroup.ts';
import { RUNSC_HOST_TASKS } from '../src/docker/profile.ts';
import { DENIED_SYSCALLS, seccompProfileJson } from '../src/docker/seccomp.ts';
import {
  docker,
  expectPeakAfterOom,
  heldMiB,
  MEMORY_BOMB,
  runOnHost,
  testRuntime,
  waitFor,
  withTestHost,
} from './support.ts';

const h = withTestHost({ POOL_SIZE: '1', POOL_LANGUAGES: 'bash,python', MAX_CONCURRENT_RUNS: '2' });

const python = (code: string, extra: Record<string, unknown> = {}) =>
  runOnHost(h, { language: 'python', code, ...extra });

/** x86_64 numbers; the arguments make each call SUCCEED (or fail with another errno) if it were allowed. */
const X86_64: Record<string, [number, ...number[]]> = {
  ptrace: [101, 0], // PTRACE_TRACEME
  process_vm_readv: [310, -1, 0, 0, 0, 0, 0], // -1 = own pid, filled in below
  process_vm_writev: [311, -1, 0, 0, 0, 0, 0],
  io_uring_setup: [425, 1, 0],
  io_uring_enter: [426, -1, 0, 0, 0, 0, 0],
  io_uring_register: [427, -1, 0, 0, 0],
  userfaultfd: [323, 1], // UFFD_USER_MODE_ONLY: allowed for unprivileged users when the filter lets it
  perf_event_open: [298, 0, 0, -1, -1, 0],
  bpf: [321, 0, 0, 0],
  keyctl: [250, 0, -3, 0], // KEYCTL_GET_KEYRING_ID of the session keyring
  add_key: [248, 0, 0, 0, 0, 0],
  request_key: [249, 0, 0, 0, 0],
  unshare: [272, 0x1000_0000], // CLONE_NEWUSER: the kernel allows it to anyone
  setns: [308, -1, 0],
  clone3: [435, 0, 0],
  mount: [165, 0, 0, 0, 0, 0],
  umount2: [166, 0, 0],
  pivot_root: [155, 0, 0],
  chroot: [161, 0],
  kexec_load: [246, 0, 0, 0, 0],
  kexec_file_load: [320, -1, -1, 0, 0, 0],
  init_module: [175, 0, 0, 0],
  finit_module: [313, -1, 0, 0],
  delete_module: [176, 0, 0],
  modify_ldt: [154, 0, 0, 0], // read an empty LDT: returns 0 if allowed
  vmsplice: [278, -1, 0, 0, 0],
  name_to_handle_at: [303, -100, 0, 0, 0, 0],
  open_by_handle_at: [304, -1, 0, 0],
  kcmp: [312, -1, -1, 0, 0, 0],
  pidfd_getfd: [438, -1, 0, 0],
  fsopen: [430, 0, 0],
  open_tree: [428, -100, 0, 0],
  reboot: [169, 0, 0, 0, 0],
  swapon: [167, 0, 0],
  acct: [163, 0],
  syslog: [103, 10, 0, 0], // SYSLOG_ACTION_SIZE_BUFFER
  iopl: [172, 0],
  ioperm: [173, 0, 0, 0],
  settimeofday: [164, 0, 0],
  clock_settime: [227, 0, 0],
  mbind: [237, 0, 0, 0, 0, 0, 0],
};

const PROBE = `
import ctypes, json, os, socket, threading
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def call(nr, *args):
    args = [os.getpid() if (nr in (310, 311) and i == 0) else a for i, a in enumerate(args)]
    ctypes.set_errno(0)
    r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) for a in args])
    if r == 0 and nr == 56: os._exit(0)  # a clone child, should one ever exist
    return [r, ctypes.get_errno()]
calls = json.loads(os.environ.get("CALLS") or input())
out = {name: call(*spec) for name, spec in calls.items()}
out["clone_newuser"] = call(56, 0x10000000 | 17, 0, 0, 0, 0)  # CLONE_NEWUSER | SIGCHLD
out["personality_no_aslr"] = call(135, 0x0040000)
out["personality_query"] = call(135, 0xffffffff)
# What must keep working: fork, threads, unix sockets.
pid = os.fork()
if pid == 0: os._exit(7)
t = threading.Thread(target=lambda: None); t.start(); t.join()
socket.socket(socket.AF_UNIX).close()
out["fork_exit"] = [os.waitpid(pid, 0)[1] >> 8, 0]
print(json.dumps(out))
`;

describe('the seccomp policy', () => {
  it('denies every syscall of the denylist with EPERM or ENOSYS, and clone3 with ENOSYS', async () => {
    expect(Object.keys(X86_64).sort()).toEqual([...DENIED_SYSCALLS].sort());
    const out = await python(PROBE, { stdin: `${JSON.stringify(X86_64)}\n` });
    expect(out.result?.status, out.result?.stderr).toBe('succeeded');
    const got = JSON.parse(out.result?.stdout ?? '{}') as Record<string, [number, number]>;
    const EPERM = 1;
    const ENOSYS = 38;
    for (const name of [...DENIED_SYSCALLS, 'clone_newuser', 'personality_no_aslr']) {
      const [ret, errno] = got[name] ?? [0, 0];
      expect(ret, name).toBe(-1);
      expect([EPERM, ENOSYS], `${name} errno ${errno}`).toContain(errno);
    }
    expect(got.clone3?.[1]).toBe(ENOSYS);
    // The allowed remainder still works: fork, threads, unix sockets, and the personality query is not
    // refused by the filter (gVisor's own personality() answers it with EINVAL).
    expect(got.personality_query?.[1]).not.toBe(EPERM);
    expect(got.fork_exit).toEqual([7, 0]);
  });
});

describe('the container spec', () => {
  it('carries every control of the profile, as created by the host', async () => {
    // A warm container of the pool: one listed by the engine may be a finished run's, being removed.
    const id = await waitFor(() => h.host.pool.idleContainerIds()[0], 'a warm container');
    const spec = await docker.getContainer(id).inspect();
    // Without NetworkDisabled the engine would attach the default network to the container.
    expect((spec.Config as { NetworkDisabled?: boolean }).NetworkDisabled).toBe(true);
    expect(spec.NetworkSettings.Networks).toEqual({});
    const runtime = testRuntime();
    expect(spec.HostConfig.SecurityOpt).toEqual([
      'no-new-privileges',
      `seccomp=${seccompProfileJson(runtime)}`,
    ]);
    expect(spec.HostConfig.Runtime).toBe(runtime);
    expect(spec.HostConfig).toMatchObject({
      ReadonlyRootfs: true,
      CapDrop: ['ALL'],
      Privileged: false,
      Memory: 256 * 1024 * 1024,
      MemorySwap: 256 * 1024 * 1024,
      NanoCpus: 1e9,
    });
    expect(spec.Config.User).toBe('65534:65534');
    // The process bound by runtime (profile.ts processLimits): runc's pids cgroup counts the program's
    // tasks; under gVisor RLIMIT_NPROC does (inside its kernel) and the pids cgroup only bounds the
    // sentry's host threads. runc must not get nproc: it is per host uid, shared by every sandbox.
    const nproc = spec.HostConfig.Ulimits?.find((u) => u.Name === 'nproc');
    if (runtime === 'runsc') {
      expect(nproc).toEqual({ Name: 'nproc', Soft: 100, Hard: 100 });
      expect(spec.HostConfig.PidsLimit).toBe(100 * RUNSC_HOST_TASKS.perTask + RUNSC_HOST_TASKS.sentry);
    } else {
      expect(nproc).toBeUndefined();
      expect(spec.HostConfig.PidsLimit).toBe(100);
    }
  });

  it('gives the program only a loopback interface, with no route anywhere', async () => {
    const out = await python(
      [
        'import os, socket',
        'print(sorted(os.listdir("/sys/class/net")))',
        'print(open("/proc/net/route").read().count("\\n") - 1)',
        'for host in ("1.1.1.1", "10.0.0.1", "172.17.0.1"):',
        '    try:',
        '        socket.create_connection((host, 53), timeout=1); print("connected", host)',
        '    except OSError as e:',
        '        print("blocked", e.errno)',
      ].join('\n'),
    );
    const lines = (out.result?.stdout ?? '').trim().split('\n');
    expect(lines[0]).toBe("['lo']");
    expect(lines[1]).toBe('0');
    // ENETUNREACH (101) under runc: no interface but lo to send through; gVisor's own stack (netstack,
    // with only lo) answers EHOSTUNREACH (113). Either way nothing leaves the sandbox.
    const unreachable = testRuntime() === 'runsc' ? 'blocked 113' : 'blocked 101';
    expect(lines.slice(2)).toEqual([unreachable, unreachable, unreachable]);
  });
});

describe('accounting on this machine', () => {
  it('reports the runtime and the cgroup layout it found in /readyz, and reads CPU and memory from it', async () => {
    const ready = (await (await fetch(`${h.http}/readyz`)).json()) as Record<string, unknown>;
    const layout = await detectCgroupLayout('/sys/fs/cgroup');
    expect(layout).not.toBe('none');
    expect(ready).toMatchObject({ runtime: testRuntime(), cgroup: layout });
    const out = await python('x = bytearray(32 << 20)\nprint(sum(range(10**6)))');
    expect(out.result?.status).toBe('succeeded');
    expect(out.result?.cpuMs).toBeGreaterThan(0);
    expect(out.result?.peakMemoryBytes).toBeGreaterThan(32 * 1024 * 1024);
  });
});

describe('resource limits without per-run limits', () => {
  it('stops a memory bomb at the 256 MiB default', async () => {
    const out = await python(MEMORY_BOMB);
    expect(out.result?.status).toBe('oom_killed');
    // What the program held when it was killed, from its own output: under 256 MiB, well over half.
    const held = heldMiB(out.result?.stdout);
    expect(held).toBeGreaterThan(128);
    expect(held).toBeLessThanOrEqual(256);
    expectPeakAfterOom(out.result?.peakMemoryBytes, 256);
  });

  it('holds a multi-threaded burn to one CPU (CPU time at most ~1.1 × wall time)', async () => {
    const out = await runOnHost(h, {
      language: 'bash',
      code: 'for i in 1 2 3 4; do ( while :; do :; done ) & done; wait',
      limits: { timeoutMs: 2000 },
    });
    expect(out.result?.status).toBe('timed_out');
    const { cpuMs = 0, wallMs = 0 } = out.result ?? {};
    // It did burn (more than a quarter of a CPU on this shared machine), but never more than the one CPU it was given.
    expect(cpuMs).toBeGreaterThan(0.25 * wallMs);
    expect(cpuMs).toBeLessThanOrEqual(1.1 * wallMs);
  });
});
