#!/usr/bin/env bash
# Ensures a local Docker engine is reachable for the sandbox host (idempotent).
#
# Starts dockerd with --bridge=none --iptables=false: sandboxes run with NetworkDisabled, so no bridge
# network is needed, and nothing here may route traffic anywhere. dockerd's stdio goes entirely to
# .local/logs/dockerd.log (stdin from /dev/null) so callers that wait on pipes (CI) are never held open.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOG_DIR="$ROOT/.local/logs"
LOG_FILE="$LOG_DIR/dockerd.log"
WAIT_SECONDS="${DOCKER_ENGINE_WAIT_SECONDS:-60}"

say() { printf '[docker-engine] %s\n' "$*"; }

# docker-compose (v1, from Debian) only validates docker-compose.sandbox.yml in the tests; the image
# builder needs mmdebstrap. Both are installed when missing and possible, whatever the engine's state.
install_missing() {
  local pkgs=()
  command -v dockerd >/dev/null 2>&1 || pkgs+=(docker.io)
  command -v mmdebstrap >/dev/null 2>&1 || pkgs+=(mmdebstrap)
  command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || pkgs+=(docker-compose)
  [ "${#pkgs[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    say "missing ${pkgs[*]} and cannot install them (needs root and apt-get)." >&2
    return 1
  fi
  say "installing ${pkgs[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q </dev/null
  apt-get install -y -q --no-install-recommends "${pkgs[@]}" </dev/null
}

# gVisor's runsc as a second engine runtime (SANDBOX_RUNTIME=runsc), from Debian's `runsc` package:
# installed and registered when missing and allowed (root; AIRLOCK_RUNSC=0 opts out). The registration
# is merged into /etc/docker/daemon.json (other settings are kept). Its arguments: the ptrace platform
# (no KVM needed), no gVisor network stack (sandboxes have no network; runsc refuses `--network none`
# containers without it), and --oci-seccomp so gVisor also applies our seccomp policy to the program's
# syscalls. A running engine re-reads its runtimes on SIGHUP without restarting (its containers stay).
DAEMON_JSON=${DOCKER_DAEMON_JSON:-/etc/docker/daemon.json}
runsc_registered() { docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q '"runsc"'; }
register_runsc() {
  [ "${AIRLOCK_RUNSC:-1}" = 0 ] && return 0
  local running=$1
  if [ "$running" = yes ] && runsc_registered; then return 0; fi
  if [ "$(id -u)" -ne 0 ]; then
    say "runsc is not registered with the engine and this is not root: SANDBOX_RUNTIME=runsc is unavailable" >&2
    return 0
  fi
  if ! command -v runsc >/dev/null 2>&1; then
    say "installing runsc (gVisor) with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends runsc </dev/null >/dev/null 2>&1 ||
      { apt-get update -q </dev/null >/dev/null && apt-get install -y -q --no-install-recommends runsc </dev/null; } ||
      { say "could not install runsc: SANDBOX_RUNTIME=runsc is unavailable" >&2; return 0; }
  fi
  mkdir -p "$(dirname "$DAEMON_JSON")"
  python3 - "$DAEMON_JSON" "$(command -v runsc)" <<'PY'
import json, os, sys
path, runsc = sys.argv[1], sys.argv[2]
conf = json.load(open(path)) if os.path.exists(path) and os.path.getsize(path) > 0 else {}
conf.setdefault("runtimes", {})["runsc"] = {
    "path": runsc,
    "runtimeArgs": ["--platform=ptrace", "--network=none", "--oci-seccomp"],
}
tmp = path + ".airlock-tmp"
with open(tmp, "w") as f:
    json.dump(conf, f, indent=2)
    f.write("\n")
os.replace(tmp, path)
PY
  say "registered runsc in $DAEMON_JSON"
  if [ "$running" = yes ] && [ -f /var/run/docker.pid ]; then
    kill -HUP "$(cat /var/run/docker.pid)"
    for _ in $(seq 1 20); do runsc_registered && { say "engine reloaded: runsc available"; return 0; }; sleep 0.5; done
    say "the engine did not pick up runsc after SIGHUP (see $LOG_FILE)" >&2
  fi
}

# The kernel's cgroup "favordynmods" mode (Linux 6.0+; per thread group from 6.18), machine-wide until
# reboot: each container start moves the container's first process into its cgroups, and without it
# that move takes a lock that holds every fork, thread start and exit on the machine, for up to a
# second while the neighbours start containers and fork (measured: docs/sandbox-host.md, "Noisy
# neighbours"). With it, forks and exits cost a little more and no start holds another tenant's. Set by
# remounting the cgroup2 mount with its present options plus favordynmods; root only, and only where
# the kernel lists the option (/sys/kernel/cgroup/features). AIRLOCK_FAVORDYNMODS=0 opts out.
favor_dynmods() {
  [ "${AIRLOCK_FAVORDYNMODS:-1}" = 0 ] && return 0
  grep -qx favordynmods /sys/kernel/cgroup/features 2>/dev/null || return 0
  # mountinfo: "... <mount point> <mount options> [optional fields] - cgroup2 <source> <super options>"
  local target='' opts=''
  # No cgroup2 line: read meets end of input (status 1), which must not end the script (set -e).
  read -r target opts < <(awk '{ for (i = 7; i < NF; i++) if ($i == "-") break; if ($(i + 1) == "cgroup2") { print $5, $(i + 3); exit } }' /proc/self/mountinfo) || true
  if [ -z "$target" ]; then
    say "no cgroup2 mount: cgroup favordynmods not set (a cgroup v1 mount cannot change it on remount)"
    return 0
  fi
  case ",$opts," in *,favordynmods,*) return 0 ;; esac
  if [ "$(id -u)" -ne 0 ]; then
    say "cgroup favordynmods is off and this is not root: container starts may stall the machine's forks" >&2
    return 0
  fi
  if mount -o "remount,$opts,favordynmods" "$target"; then
    say "kernel: cgroup favordynmods on ($target; until reboot): container starts no longer hold every fork and exit on the machine"
  else
    say "could not remount $target with favordynmods: container starts may stall the machine's forks" >&2
  fi
}

# The engine's containerd, and with it every container's shim and runc (containerd starts them and they
# stay in its cgroup), at a quarter of an ordinary process's CPU weight: AIRLOCK_ENGINE_CPU_WEIGHT, in
# cgroup v2 units (100 is an ordinary process's; default 25; 0 leaves the engine as it is). Starting and
# removing a container costs ~0.2 s of CPU there, and neighbours looping short runs keep it busy: it
# held a starting hello world's program runnable but off every core for up to half a second (measured:
# docs/sandbox-host.md, "The engine's weight"). dockerd keeps its weight: every run's input and output
# passes through it. A containerd that systemd runs (containerd.service) is given the weight through
# systemd (--runtime: until reboot); any other is moved into <cpu mount>/airlock-engine. Until the
# engine restarts; each run of this script applies it again. Root only.
engine_cpu_weight() {
  local weight=${AIRLOCK_ENGINE_CPU_WEIGHT:-25}
  [ "$weight" = 0 ] && return 0
  if ! [[ "$weight" =~ ^[1-9][0-9]{0,4}$ ]] || [ "$weight" -gt 10000 ]; then
    say "AIRLOCK_ENGINE_CPU_WEIGHT must be 0 (leave the engine as it is) or 1-10000, not '$weight'" >&2
    return 1
  fi
  local pids
  pids=$(pgrep -x 'containerd|containerd-shim' | tr '\n' ' ') || true
  local containerd
  containerd=$(pgrep -xo containerd) || { say "no containerd process: the engine's CPU weight is not set" >&2; return 0; }
  if [ "$(id -u)" -ne 0 ]; then
    say "not root: the engine's containerd keeps its CPU weight (container starts may slow neighbours' runs)" >&2
    return 0
  fi
  # The cpu controller's mount: a cgroup v1 hierarchy with it, else the cgroup2 mount.
  local layout='' mount=''
  read -r layout mount < <(awk '{ for (i = 7; i < NF; i++) if ($i == "-") break
      n = split($(i + 3), o, ","); if ($(i + 1) == "cgroup") for (j = 1; j <= n; j++) if (o[j] == "cpu") { print "v1", $5; exit }
      if ($(i + 1) == "cgroup2" && v2 == "") v2 = $5 }
    END { if (v2 != "") print "v2", v2 }' /proc/self/mountinfo | head -1) || true
  if [ -z "$mount" ]; then
    say "no cgroup mount with the cpu controller: the engine's CPU weight is not set" >&2
    return 0
  fi
  local own
  if [ "$layout" = v1 ]; then
    own=$(awk -F: '$2 ~ /(^|,)cpu(,|$)/ { print $3 }' "/proc/$containerd/cgroup")
  else
    own=$(awk -F: '$1 == "0" { print $3 }' "/proc/$containerd/cgroup")
  fi
  if [[ "$own" == *.service ]]; then
    local unit=${own##*/}
    if systemctl set-property --runtime "$unit" "CPUWeight=$weight"; then
      say "engine: $unit at CPU weight $weight (100: an ordinary process's), through systemd until reboot"
    else
      say "could not set $unit's CPU weight through systemd: container starts may slow neighbours' runs" >&2
    fi
    return 0
  fi
  local dir="$mount/airlock-engine"
  if [ "$layout" = v1 ]; then
    mkdir -p "$dir" && echo $((weight * 1024 / 100)) >"$dir/cpu.shares"
  else
    echo +cpu >"$mount/cgroup.subtree_control" && mkdir -p "$dir" && echo "$weight" >"$dir/cpu.weight"
  fi || { say "could not create $dir: the engine's CPU weight is not set" >&2; return 0; }
  local pid moved=0
  for pid in $pids; do
    # A shim may have exited since pgrep listed it.
    echo "$pid" >"$dir/cgroup.procs" 2>/dev/null && moved=$((moved + 1))
  done
  say "engine: containerd and its shims in $dir at CPU weight $weight (100: an ordinary process's; $moved processes moved): a container's start no longer takes a core from a starting run"
}

if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  say "engine already reachable ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo unknown))"
  install_missing || say "warning: could not install the tools above; image builds or compose checks may fail" >&2
  register_runsc yes
  favor_dynmods
  engine_cpu_weight
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  say "no reachable Docker engine and not running as root: cannot install or start dockerd." >&2
  say "start Docker yourself (or run this script as root) and retry." >&2
  exit 1
fi

install_missing
register_runsc no
favor_dynmods

mkdir -p "$LOG_DIR"

start_dockerd() {
  say "starting dockerd $* (log: $LOG_FILE)"
  # setsid + nohup: detached from this terminal's session; all stdio to the log file.
  setsid nohup dockerd --bridge=none --iptables=false --ip6tables=false "$@" </dev/null >>"$LOG_FILE" 2>&1 &
  local pid=$!
  local waited=0
  while [ "$waited" -lt "$WAIT_SECONDS" ]; do
    if docker info >/dev/null 2>&1; then
      say "engine reachable after ${waited}s (pid $pid, storage driver $(docker info --format '{{.Driver}}' 2>/dev/null))"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      say "dockerd (pid $pid) exited early; see $LOG_FILE" >&2
      return 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
  say "dockerd not reachable after ${WAIT_SECONDS}s; stopping it (see $LOG_FILE)" >&2
  kill "$pid" 2>/dev/null || true
  return 1
}

# A stale pid file from a dead daemon would stop a new one from starting.
if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
  rm -f /var/run/docker.pid
fi

if start_dockerd; then
  engine_cpu_weight
  exit 0
fi
# overlay2 does not work on every machine (e.g. nested overlay file systems): fall back to vfs.
say "retrying with --storage-driver=vfs"
rm -f /var/run/docker.pid
start_dockerd --storage-driver=vfs
engine_cpu_weight
