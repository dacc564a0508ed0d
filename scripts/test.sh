#!/usr/bin/env bash
# `npm test`: the same set-up as `npm start`, then every test suite. Runs all suites even when one
# fails, prints a closing "N passed, N failed" line, exits non-zero on any failure, and stops every
# process it started (the Docker engine stays up for the next run).
# `npm test -- edge host` runs only the named suites (protocol, edge, host, host-runsc, host-userns, e2e, repo).
# host-runsc runs the tests about the runtime (isolation, hardening, languages, the Python launcher,
# cpu-share) and the host's protocol, HTTP, Java-archive, lifecycle, fairness, output-integrity and
# OOM-event tests again with sandboxes under gVisor (runsc, registered by scripts/docker-engine.sh), so
# every default run covers both runtimes, plus runsc-userns (gVisor's own user namespace).
# host-userns runs the user-namespace tests, and the isolation and hardening tests again, against a second
# engine with --userns-remap (scripts/docker-userns.sh).
source "$(dirname "$0")/lib.sh"

suites=("$@")
[[ ${#suites[@]} -gt 0 ]] || suites=(protocol edge host host-runsc host-userns e2e repo)
RESULTS="$LOCAL/results"
rm -rf "$RESULTS" && mkdir -p "$RESULTS"
failed_suites=()

has() { [[ " ${suites[*]} " == *" $1 "* ]]; }

run_suite() {
  local name=$1 dir=$2
  shift 2
  say "test suite: $name"
  if ! (cd "$ROOT/$dir" && vitest run "$@" --reporter=default --reporter=json --outputFile.json="$RESULTS/$name.json"); then
    failed_suites+=("$name")
  fi
}

ensure_deps
# The Worker serves the console's build (wrangler.toml [assets]): the edge, e2e and repo (deploy
# dry-run) suites need it, and the e2e suite's browser tests (e2e/console/) need Debian's chromium.
if has edge || has e2e || has repo; then ensure_console; fi
has e2e && ensure_chromium
# The edge suite runs its run tests against a real sandbox host too.
if has edge || has host || has host-runsc || has e2e; then
  ensure_docker || die "the sandbox tests need a Docker engine (see the message above)"
  ensure_images
fi

if has host-userns; then
  has edge || has host || has host-runsc || has e2e || { ensure_docker || die "the sandbox tests need a Docker engine"; ensure_images; }
  ensure_docker_userns || die "the host-userns suite needs the user-namespace engine (see the message above; needs root)"
fi

# The CLI's terminal test (e2e/cli-terminal.test.ts) drives a real terminal: tmux, from Debian.
if has e2e && ! command -v tmux >/dev/null 2>&1; then
  [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1 || die "the e2e suite needs tmux (apt-get install tmux)"
  say "installing tmux with apt-get (the CLI's terminal test)"
  { apt-get update -q && apt-get install -y -q --no-install-recommends tmux; } </dev/null >"$LOGS/tmux-install.log" 2>&1 ||
    { tail -20 "$LOGS/tmux-install.log" >&2; die "installing tmux failed"; }
fi

has protocol && run_suite protocol protocol
has edge && run_suite edge edge
has host && run_suite host sandbox-host
has host-runsc && SANDBOX_RUNTIME=runsc run_suite host-runsc sandbox-host \
  test/isolation.test.ts test/hardening.test.ts test/languages.test.ts test/python-launcher.test.ts test/cpu-share.test.ts \
  test/runsc-userns.test.ts \
  test/protocol.test.ts test/http.test.ts test/java-archive.test.ts test/lifecycle.test.ts test/fairness.test.ts \
  test/output-integrity.test.ts test/oom-event.test.ts
has host-userns && DOCKER_SOCKET="$USERNS_SOCKET" run_suite host-userns sandbox-host \
  test/userns.test.ts test/isolation.test.ts test/hardening.test.ts
# The e2e suite boots its own edge (wrangler dev) and sandbox hosts on free loopback ports.
has e2e && [[ -d "$ROOT/e2e" ]] && run_suite e2e e2e
has repo && run_suite repo test

node "$ROOT/scripts/test-summary.ts" "$RESULTS" || failed_suites+=("(summary)")
if [[ ${#failed_suites[@]} -gt 0 ]]; then
  say "FAILED suites: ${failed_suites[*]}"
  exit 1
fi
say "all suites passed"
