#!/usr/bin/env bash
# A second Docker engine whose containers run in a user namespace (`--userns-remap`), for the
# `host-userns` test suite (idempotent; needs root). Usage:
#   bash scripts/docker-userns.sh            start it (if not running) and print its socket path last
#   bash scripts/docker-userns.sh images     also bring the runtime images into it (see below)
#   bash scripts/docker-userns.sh stop       stop it (its images and containers stay on disk)
#
# Why a second engine: the remap is daemon-wide and needs a restart, and the machine's one engine
# (/var/run/docker.sock, scripts/docker-engine.sh) is shared and may not be restarted. This engine has
# its own socket, data root, exec root (and so its own containerd), pid file and config file, and never
# touches the main engine's. Like the main one it runs without a bridge or iptables rules: sandboxes
# have no network.
#
# The remap: a dedicated system user (AIRLOCK_USERNS_USER, `airlock-sandbox`) with a subordinate id
# range in /etc/subuid and /etc/subgid (AIRLOCK_USERNS_BASE, 1000000, and 65536 ids). Uid 0 in a
# container is host uid BASE, the sandboxes' uid 65534 is host uid BASE + 65534: no account, owns nothing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOG_DIR="$ROOT/.local/logs"
LOG_FILE="$LOG_DIR/dockerd-userns.log"
WAIT_SECONDS="${DOCKER_ENGINE_WAIT_SECONDS:-60}"

USERNS_USER=${AIRLOCK_USERNS_USER:-airlock-sandbox}
USERNS_BASE=${AIRLOCK_USERNS_BASE:-1000000}
USERNS_COUNT=65536
STATE=${AIRLOCK_USERNS_STATE:-/var/lib/airlock-docker-userns}
RUN_DIR=${AIRLOCK_USERNS_RUN:-/run/airlock-docker-userns}
SOCKET=${AIRLOCK_USERNS_SOCKET:-/run/airlock-docker-userns.sock}
PIDFILE="$RUN_DIR.pid"
CONFIG="$STATE.json"
# The runtime images the suite's sandboxes use (the first is built here by the image builder, see
# ensure_images); `images all` brings every runtime image.
DEFAULT_LANGUAGES=(bash python)

# Messages go to stderr: stdout carries only the socket path (scripts/lib.sh reads it).
say() { printf '[docker-userns] %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
dk() { docker -H "unix://$SOCKET" "$@"; }

reachable() { dk info >/dev/null 2>&1; }

# The user and its subordinate ranges, created once. A range of another user overlapping ours is
# refused rather than shared: two users mapping to the same host uids would defeat the remap.
ensure_user() {
  if ! getent passwd "$USERNS_USER" >/dev/null; then
    say "creating system user $USERNS_USER (no home, no login)"
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$USERNS_USER"
  fi
  local file
  for file in /etc/subuid /etc/subgid; do
    touch "$file"
    if ! grep -q "^$USERNS_USER:" "$file"; then
      local end=$((USERNS_BASE + USERNS_COUNT)) start count name
      while IFS=: read -r name start count; do
        [[ -n "$name" && -n "$start" && -n "$count" ]] || continue
        if ((start < end && USERNS_BASE < start + count)); then
          die "$file: the range of $name ($start+$count) overlaps $USERNS_BASE+$USERNS_COUNT; set AIRLOCK_USERNS_BASE"
        fi
      done <"$file"
      echo "$USERNS_USER:$USERNS_BASE:$USERNS_COUNT" >>"$file"
      say "added $USERNS_USER:$USERNS_BASE:$USERNS_COUNT to $file"
    fi
  done
}

start_engine() {
  [[ "$(id -u)" -eq 0 ]] || die "starting the user-namespace engine needs root"
  command -v dockerd >/dev/null 2>&1 || bash "$ROOT/scripts/docker-engine.sh" >&2 ||
    die "dockerd is missing (scripts/docker-engine.sh installs it)"
  ensure_user
  mkdir -p "$LOG_DIR" "$STATE" "$RUN_DIR"
  # Its own (empty) config file: the main engine's /etc/docker/daemon.json is not this engine's, and a
  # key set both there and as a flag below would stop dockerd.
  [[ -s "$CONFIG" ]] || echo '{}' >"$CONFIG"
  if [[ -f "$PIDFILE" ]] && ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then rm -f "$PIDFILE"; fi
  local driver
  for driver in overlay2 vfs; do
    say "starting dockerd --userns-remap=$USERNS_USER (storage $driver, socket $SOCKET, log $LOG_FILE)"
    setsid nohup dockerd --config-file "$CONFIG" -H "unix://$SOCKET" --data-root "$STATE" \
      --exec-root "$RUN_DIR" --pidfile "$PIDFILE" --userns-remap "$USERNS_USER" \
      --storage-driver "$driver" --bridge=none --iptables=false --ip6tables=false \
      </dev/null >>"$LOG_FILE" 2>&1 &
    local pid=$! waited=0
    while ((waited < WAIT_SECONDS)); do
      if reachable; then
        say "engine reachable after ${waited}s (pid $pid)"
        return 0
      fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 1
      waited=$((waited + 1))
    done
    kill "$pid" 2>/dev/null || true
    say "dockerd with $driver did not come up (see $LOG_FILE)"
    rm -f "$PIDFILE"
  done
  die "the user-namespace engine did not start (see $LOG_FILE)"
}

# Runtime images without a registry. The builder itself runs against this engine for the first
# language (`images build` skips an image that is current, so this costs seconds once it was built
# here); the others are copied from the main engine with `docker save | docker load`, only when this
# engine's image differs from the main engine's (same image id = nothing to do).
ensure_images() {
  local languages=("$@")
  [[ ${#languages[@]} -gt 0 ]] || languages=("${DEFAULT_LANGUAGES[@]}")
  if [[ "${languages[0]}" == all ]]; then
    mapfile -t languages < <(docker images --filter 'reference=airlock-runtime-*' --format '{{.Repository}}' | sed 's/^airlock-runtime-//' | sort -u)
  fi
  local built=${languages[0]}
  say "building airlock-runtime-$built with the image builder against this engine (skipped when current)"
  (cd "$ROOT" && DOCKER_SOCKET="$SOCKET" node sandbox-host/src/images/cli.ts build --only "$built" >&2) ||
    die "the image builder failed against the user-namespace engine"
  local lang image want have
  for lang in "${languages[@]:1}"; do
    image="airlock-runtime-$lang:latest"
    want=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null) ||
      die "$image is missing from the main engine (run: node sandbox-host/src/images/cli.ts build --only $lang)"
    have=$(dk image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
    if [[ "$want" == "$have" ]]; then
      say "$image is current"
      continue
    fi
    say "copying $image from the main engine (docker save | docker load)"
    docker save "$image" | dk load >/dev/null
  done
  # A replaced image is left untagged: drop those (this engine holds nothing else).
  dk image prune --force >/dev/null
}

case "${1:-start}" in
start | images)
  if reachable; then
    say "engine already reachable ($SOCKET)"
  else
    start_engine
  fi
  if [[ "${1:-start}" == images ]]; then
    shift
    ensure_images "$@"
  fi
  dk info --format '{{json .SecurityOptions}}' | grep -q 'name=userns' ||
    die "the engine at $SOCKET runs without a user namespace"
  echo "$SOCKET"
  ;;
stop)
  if [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    kill -TERM "$(cat "$PIDFILE")"
    for _ in $(seq 1 30); do [[ -f "$PIDFILE" ]] || break; sleep 1; done
    say "stopped"
  else
    say "not running"
  fi
  ;;
*) die "usage: $0 [start | images [languages… | all] | stop]" ;;
esac
