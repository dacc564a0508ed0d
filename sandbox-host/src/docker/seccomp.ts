/**
 * Airlock's own seccomp policy for sandbox containers: an allowlist (anything unlisted fails with EPERM).
 *
 * Derived from the Engine's default policy (moby profiles/seccomp/default.json) as it applies to a
 * container WITHOUT capabilities (we drop all), minus what untrusted code never needs and what keeps
 * appearing in kernel escapes. The Engine installed on Debian 12 (docker.io 20.10) allows ptrace,
 * process_vm_readv/writev and io_uring on current kernels; this policy does not. Removed relative to
 * that default, with the reason:
 * - ptrace, process_vm_readv/writev: reading or steering other processes (also gVisor's and isolate's
 *   first rule); kcmp, pidfd_getfd, process_madvise are only cap-gated there and never allowed here.
 * - io_uring_setup/enter/register: a large, young attack surface (Google disabled it on production
 *   hosts and in ChromeOS for that reason); libuv, Go and the JVM fall back to ordinary syscalls.
 * - modify_ldt (16-bit segments, behind several x86 entry bugs), vmsplice (CVE-2008-0600; pipes work
 *   without it), remap_file_pages (deprecated, emulated), name_to_handle_at (file-handle probing of the
 *   host's file systems, the half of "shocker" the default still allowed), fanotify_mark (useless
 *   without fanotify_init, which needs CAP_SYS_ADMIN), memfd_secret (secret memory the host cannot
 *   inspect), landlock_* and seccomp stay (they only restrict the caller).
 * - personality: only the values the default lets through (PER_LINUX, PER_LINUX32, UNAME26
 *   combinations and the query 0xffffffff); never ADDR_NO_RANDOMIZE or READ_IMPLIES_EXEC.
 * - clone: only without namespace flags; clone3 answers ENOSYS (seccomp cannot read its flags, which
 *   live in a struct; glibc and musl then fall back to clone).
 * - the 32-bit and x32 entry points (socketcall, ipc, the *32/*64 variants): native ABI only.
 * - socket: every family except AF_VSOCK (40), as in the default; the network namespace has only `lo`.
 * Never listed (so denied): unshare, setns, the mount family, pivot_root, chroot, kexec_*, module
 * loading, bpf, perf_event_open, userfaultfd, keyctl/add_key/request_key, reboot, swapon/off, acct,
 * quotactl, syslog, lookup_dcookie, iopl/ioperm, clock/time setting, NUMA policy, uselib, ustat,
 * sysfs, _sysctl, nfsservctl, open_by_handle_at, fsopen/fsmount/open_tree/move_mount/fspick.
 *
 * Engine 20.10 takes the policy as JSON text in HostConfig.SecurityOpt (`seccomp=<json>`).
 */

/** Syscalls every runtime here needs: files, memory, processes, threads, signals, time, IPC, sockets. */
const ALLOWED: readonly string[] = [
  // files and directories
  ...['access', 'faccessat', 'faccessat2', 'chdir', 'fchdir', 'getcwd', 'chmod', 'fchmod', 'fchmodat'],
  ...['chown', 'fchown', 'fchownat', 'lchown', 'umask', 'creat', 'open', 'openat', 'openat2', 'close'],
  ...['close_range', 'read', 'readv', 'pread64', 'preadv', 'preadv2', 'write', 'writev', 'pwrite64'],
  ...['pwritev', 'pwritev2', 'lseek', 'dup', 'dup2', 'dup3', 'fcntl', 'flock', 'fsync', 'fdatasync'],
  ...['sync', 'syncfs', 'sync_file_range', 'truncate', 'ftruncate', 'fallocate', 'fadvise64', 'readahead'],
  ...['stat', 'fstat', 'lstat', 'newfstatat', 'statx', 'statfs', 'fstatfs', 'getdents', 'getdents64'],
  ...['mkdir', 'mkdirat', 'mknod', 'mknodat', 'rmdir', 'rename', 'renameat', 'renameat2', 'link'],
  ...['linkat', 'symlink', 'symlinkat', 'unlink', 'unlinkat', 'readlink', 'readlinkat', 'utime'],
  ...['utimes', 'utimensat', 'futimesat', 'copy_file_range', 'sendfile', 'splice', 'tee', 'ioctl'],
  ...['getxattr', 'lgetxattr', 'fgetxattr', 'setxattr', 'lsetxattr', 'fsetxattr', 'listxattr'],
  ...['llistxattr', 'flistxattr', 'removexattr', 'lremovexattr', 'fremovexattr'],
  ...['inotify_init', 'inotify_init1', 'inotify_add_watch', 'inotify_rm_watch'],
  // polling and event descriptors
  ...['select', 'pselect6', 'poll', 'ppoll', 'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_wait'],
  ...['epoll_pwait', 'epoll_pwait2', 'eventfd', 'eventfd2', 'signalfd', 'signalfd4', 'timerfd_create'],
  ...['timerfd_settime', 'timerfd_gettime', 'pipe', 'pipe2'],
  // legacy asynchronous I/O (not io_uring)
  ...['io_setup', 'io_destroy', 'io_submit', 'io_cancel', 'io_getevents', 'io_pgetevents'],
  // memory
  ...['brk', 'mmap', 'munmap', 'mremap', 'mprotect', 'madvise', 'mincore', 'msync', 'mlock', 'mlock2'],
  ...['munlock', 'mlockall', 'munlockall', 'membarrier', 'memfd_create', 'pkey_alloc', 'pkey_free'],
  ...['pkey_mprotect'],
  // processes and threads (clone is added below with its flag check)
  ...['fork', 'vfork', 'execve', 'execveat', 'exit', 'exit_group', 'wait4', 'waitid', 'kill', 'tkill'],
  ...['tgkill', 'getpid', 'getppid', 'gettid', 'getpgid', 'setpgid', 'getpgrp', 'getsid', 'setsid'],
  ...['set_tid_address', 'set_robust_list', 'get_robust_list', 'futex', 'futex_waitv', 'rseq'],
  ...['arch_prctl', 'prctl', 'seccomp', 'landlock_create_ruleset', 'landlock_add_rule'],
  ...['landlock_restrict_self', 'pidfd_open', 'pidfd_send_signal', 'process_mrelease', 'capget'],
  ...['capset', 'getrlimit', 'setrlimit', 'prlimit64', 'getrusage', 'times', 'sysinfo', 'uname'],
  ...['getpriority', 'setpriority', 'ioprio_get', 'ioprio_set', 'sched_yield', 'sched_getaffinity'],
  ...['sched_setaffinity', 'sched_getattr', 'sched_setattr', 'sched_getparam', 'sched_setparam'],
  ...['sched_getscheduler', 'sched_setscheduler', 'sched_get_priority_max', 'sched_get_priority_min'],
  ...['sched_rr_get_interval', 'getcpu', 'getrandom'],
  // credentials (no capabilities: a process can only drop or shuffle its own ids)
  ...['getuid', 'geteuid', 'getgid', 'getegid', 'getresuid', 'getresgid', 'getgroups', 'setuid'],
  ...['setgid', 'setreuid', 'setregid', 'setresuid', 'setresgid', 'setfsuid', 'setfsgid', 'setgroups'],
  // signals
  ...['rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn', 'rt_sigpending', 'rt_sigsuspend'],
  ...['rt_sigtimedwait', 'rt_sigqueueinfo', 'rt_tgsigqueueinfo', 'sigaltstack', 'pause', 'alarm'],
  ...['restart_syscall'],
  // time (reading only, plus timers)
  ...['time', 'gettimeofday', 'clock_gettime', 'clock_getres', 'clock_nanosleep', 'nanosleep'],
  ...['getitimer', 'setitimer', 'timer_create', 'timer_settime', 'timer_gettime', 'timer_getoverrun'],
  ...['timer_delete', 'adjtimex', 'clock_adjtime'],
  // System V and POSIX IPC (the container has its own IPC namespace)
  ...['shmget', 'shmat', 'shmdt', 'shmctl', 'semget', 'semop', 'semtimedop', 'semctl', 'msgget'],
  ...['msgsnd', 'msgrcv', 'msgctl', 'mq_open', 'mq_unlink', 'mq_timedsend', 'mq_timedreceive'],
  ...['mq_notify', 'mq_getsetattr'],
  // sockets (socket itself is added below with its family check)
  ...['socketpair', 'bind', 'listen', 'accept', 'accept4', 'connect', 'getsockname', 'getpeername'],
  ...['sendto', 'recvfrom', 'sendmsg', 'recvmsg', 'sendmmsg', 'recvmmsg', 'shutdown', 'getsockopt'],
  ...['setsockopt'],
];

/** Namespace flags (CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET): clone never gets them. */
const CLONE_NAMESPACE_FLAGS = 0x7e02_0000;
const AF_VSOCK = 40;
/** personality(2) values the Engine's default allows: PER_LINUX, PER_LINUX32, UNAME26 forms, query. */
const PERSONALITY_ALLOWED = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];
const ENOSYS = 38;

type Arg = { index: number; value: number; valueTwo?: number; op: string };
interface Rule {
  names: string[];
  action: 'SCMP_ACT_ALLOW' | 'SCMP_ACT_ERRNO';
  errnoRet?: number;
  args?: Arg[];
}

/** What the syscall tests probe; every name here must be denied by the policy below. */
export const DENIED_SYSCALLS: readonly string[] = [
  ...['ptrace', 'process_vm_readv', 'process_vm_writev', 'io_uring_setup', 'io_uring_enter'],
  ...['io_uring_register', 'userfaultfd', 'perf_event_open', 'bpf', 'keyctl', 'add_key', 'request_key'],
  ...['unshare', 'setns', 'clone3', 'mount', 'umount2', 'pivot_root', 'chroot', 'kexec_load'],
  ...['kexec_file_load', 'init_module', 'finit_module', 'delete_module', 'modify_ldt', 'vmsplice'],
  ...['name_to_handle_at', 'open_by_handle_at', 'kcmp', 'pidfd_getfd', 'fsopen', 'open_tree', 'reboot'],
  ...['swapon', 'acct', 'syslog', 'iopl', 'ioperm', 'settimeofday', 'clock_settime', 'mbind'],
];

/**
 * Under gVisor (runsc --oci-seccomp) the policy filters the program's syscalls inside the sandbox's own
 * kernel. That gVisor (Debian's 2022 build) answers every errno rule with EPERM, ignoring errnoRet, so a
 * clone3 rule would break threads (glibc falls back to clone only on ENOSYS); its clone3 is unimplemented
 * and answers ENOSYS by itself, so there clone3 is let through to it.
 */
function buildPolicy(runtime: 'runc' | 'runsc') {
  const clone3: Rule =
    runtime === 'runsc'
      ? { names: ['clone3'], action: 'SCMP_ACT_ALLOW' }
      : { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS };
  const rules: Rule[] = [
    { names: [...ALLOWED], action: 'SCMP_ACT_ALLOW' },
    {
      names: ['clone'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
    },
    clone3,
    {
      names: ['socket'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: AF_VSOCK, op: 'SCMP_CMP_NE' }],
    },
    // One rule per value: seccomp ORs separate rules, while the args of one rule are ANDed.
    ...PERSONALITY_ALLOWED.map(
      (value): Rule => ({
        names: ['personality'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value, op: 'SCMP_CMP_EQ' }],
      }),
    ),
  ];
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    // Native 64-bit entry points only: the 32-bit and x32 ABIs (a classic way around a filter written
    // for the native numbers) are not in the filter, so the runtime refuses them outright.
    archMap: [
      { architecture: 'SCMP_ARCH_X86_64', subArchitectures: null },
      { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: null },
    ],
    syscalls: rules,
  };
}

const POLICIES = { runc: JSON.stringify(buildPolicy('runc')), runsc: JSON.stringify(buildPolicy('runsc')) };

/** The policy as the Engine wants it (one JSON string, computed once per runtime). */
export function seccompProfileJson(runtime: 'runc' | 'runsc'): string {
  return POLICIES[runtime];
}
