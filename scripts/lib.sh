# Shared set-up for `npm start` and `npm test` (sourced, not run). Every step is idempotent and
# says what it does. Daemons log to .local/logs/ and never hold the terminal.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOCAL="$ROOT/.local"
LOGS="$LOCAL/logs"
mkdir -p "$LOGS"

EDGE_ADDR=${EDGE_ADDR:-127.0.0.1}
EDGE_PORT=${EDGE_PORT:-8787}
HOST_ADDR=${HOST_ADDR:-127.0.0.1}
HOST_PORT=${HOST_PORT:-8790}
STARTED_PIDS=()

say() { printf '\033[1m[airlock]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[airlock] %s\033[0m\n' "$*" >&2; exit 1; }

# Install npm dependencies when node_modules is missing or older than the lock file. This runs on the
# machine's own Node (20); the project then runs on the Node 22 the `node` devDependency brings.
ensure_deps() {
  local stamp="$ROOT/node_modules/.airlock-lock-hash"
  local want
  want=$(sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1)
  if [[ ! -x "$ROOT/node_modules/.bin/node" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    # `npm install`, not `npm ci`: npm 11 writes lock files without other platforms' optional
    # packages and `npm ci` then refuses them (npm/cli#8320); with the lock present, `npm install`
    # installs exactly the locked versions and leaves the lock as it is.
    say "installing npm dependencies from package-lock.json (first run takes a minute)…"
    (cd "$ROOT" && npm install --no-audit --no-fund --loglevel=error) >"$LOGS/npm-install.log" 2>&1 ||
      { tail -30 "$LOGS/npm-install.log" >&2; die "npm install failed (full log: $LOGS/npm-install.log)"; }
    echo "$want" >"$stamp"
  fi
  export PATH="$ROOT/node_modules/.bin:$PATH"
  [[ "$(node --version)" == v22.* ]] || die "expected Node 22 from node_modules/.bin, got $(node --version)"
  ensure_worker_types
}

# The Worker's `Env` and runtime types (edge/worker-configuration.d.ts) are generated from wrangler.toml,
# never committed: regenerated when missing or older than wrangler.toml. `npm run typecheck` always
# regenerates them first, so a fresh clone type-checks too.
ensure_worker_types() {
  local types="$ROOT/edge/worker-configuration.d.ts"
  if [[ ! -s "$types" || "$ROOT/wrangler.toml" -nt "$types" ]]; then
    say "generating the Worker's types from wrangler.toml (edge/worker-configuration.d.ts)"
    (cd "$ROOT" && npm run -s types) >"$LOGS/types.log" 2>&1 ||
      { tail -30 "$LOGS/types.log" >&2; die "wrangler types failed (log: $LOGS/types.log)"; }
  fi
}

# A reachable Docker engine (installed and started by scripts/docker-engine.sh where allowed).
ensure_docker() {
  bash "$ROOT/scripts/docker-engine.sh"
}

# A second engine whose containers run in a user namespace (dockerd --userns-remap; started by
# scripts/docker-userns.sh beside the main engine, which it never restarts), with the runtime images
# the host-userns suite uses: the image builder's for one, copies of the main engine's (only when they
# differ) for the rest. Needs the main engine and its images first. Sets USERNS_SOCKET.
ensure_docker_userns() {
  USERNS_SOCKET=$(bash "$ROOT/scripts/docker-userns.sh" images) && [[ -S "$USERNS_SOCKET" ]]
}

# Runtime images, built from Debian packages (no registry); current images are skipped. An image is
# current when its manifest matches and its recorded Debian packages have no newer version in the
# suite's index (refreshed at most every 6 h, so a run with current images downloads nothing).
ensure_images() {
  say "checking sandbox runtime images (missing ones are built from Debian packages; the first build takes minutes)…"
  node "$ROOT/sandbox-host/src/images/cli.ts" build
}

# The web console (console/, Vite): built into console/dist, which the edge serves as static assets
# (wrangler.toml [assets]). A build takes a few seconds, so it simply runs every time.
ensure_console() {
  say "building the web console (console/dist)"
  (cd "$ROOT" && npm run build -w console) >"$LOGS/console-build.log" 2>&1 ||
    { tail -30 "$LOGS/console-build.log" >&2; die "console build failed (log: $LOGS/console-build.log)"; }
}

# The console's browser tests drive Debian's chromium package (no browser download by npm).
ensure_chromium() {
  [[ -x /usr/bin/chromium ]] && return 0
  local sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  say "installing Debian's chromium package for the console's browser tests (apt-get; log: .local/logs/chromium-install.log)…"
  { "${sudo[@]}" apt-get update && "${sudo[@]}" apt-get install -y --no-install-recommends chromium; } \
    >"$LOGS/chromium-install.log" 2>&1 ||
    { tail -20 "$LOGS/chromium-install.log" >&2; die "could not install chromium (log: $LOGS/chromium-install.log)"; }
  [[ -x /usr/bin/chromium ]] || die "chromium installed but /usr/bin/chromium is missing"
}

# Development secrets, generated once per checkout and never committed: .dev.vars for wrangler dev,
# .local/sandbox-host.env for the host.
ensure_dev_secrets() {
  if [[ ! -s "$LOCAL/dev-secrets.json" ]]; then
    say "generating development secrets (.local/dev-secrets.json, .dev.vars)"
    (umask 077 && node "$ROOT/scripts/dev-secrets.ts" >"$LOCAL/dev-secrets.json")
  fi
  # The edge reaches the local sandbox host; the host id is the token audience.
  (umask 077 && SANDBOX_HOSTS="[{\"id\":\"local\",\"url\":\"ws://$HOST_ADDR:$HOST_PORT\"}]" \
    node "$ROOT/scripts/write-dev-vars.ts" "$LOCAL/dev-secrets.json" "$ROOT/.dev.vars" "$LOCAL/sandbox-host.env")
}

apply_migrations() {
  say "applying D1 migrations to the local database"
  (cd "$ROOT" && CI=true wrangler d1 migrations apply airlock --local) >"$LOGS/migrations.log" 2>&1 ||
    { tail -30 "$LOGS/migrations.log" >&2; die "migrations failed (log: $LOGS/migrations.log)"; }
}

# Start a daemon in its own process group with all output to a log file and no terminal stdin.
start_daemon() {
  local name=$1
  shift
  setsid "$@" >"$LOGS/$name.log" 2>&1 </dev/null &
  STARTED_PIDS+=("$!")
}

wait_for_http() {
  local name=$1 url=$2 tries=${3:-120}
  for ((i = 0; i < tries; i++)); do
    if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then return 0; fi
    sleep 0.5
  done
  tail -40 "$LOGS/$name.log" >&2 || true
  die "$name did not become ready at $url (log: $LOGS/$name.log)"
}

start_sandbox_host() {
  say "starting the sandbox host on $HOST_ADDR:$HOST_PORT (log: .local/logs/sandbox-host.log)"
  local host_env
  mapfile -t host_env <"$LOCAL/sandbox-host.env"
  start_daemon sandbox-host env "${host_env[@]}" HOST="$HOST_ADDR" PORT="$HOST_PORT" node "$ROOT/sandbox-host/src/main.ts"
  wait_for_http sandbox-host "http://$HOST_ADDR:$HOST_PORT/healthz"
}

start_edge() {
  say "starting the edge (wrangler dev) on $EDGE_ADDR:$EDGE_PORT (log: .local/logs/edge.log)"
  # wrangler's local trace collector streams every invocation's events to a collector worker in the
  # same workerd: a third of the edge's CPU per run here (docs/runs.md, issue 18). Nothing of ours
  # reads it; X_LOCAL_OBSERVABILITY=true brings it back.
  export X_LOCAL_OBSERVABILITY="${X_LOCAL_OBSERVABILITY:-false}"
  start_daemon edge wrangler dev --ip "$EDGE_ADDR" --port "$EDGE_PORT" --show-interactive-dev-session=false
  wait_for_http edge "http://$EDGE_ADDR:$EDGE_PORT/healthz"
}

# Stop every daemon this script started (the Docker engine stays up for the next run).
stop_started() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for pid in "${STARTED_PIDS[@]}"; do
    for _ in $(seq 1 70); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  STARTED_PIDS=()
}
