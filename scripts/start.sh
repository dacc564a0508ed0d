#!/usr/bin/env bash
# `npm start`: set up whatever is missing, start the sandbox host and the edge locally, print where
# they are, then print password-reset mail from the local outbox until Ctrl-C stops everything.
source "$(dirname "$0")/lib.sh"
trap 'status=$?; echo; say "stopping…"; stop_started; exit $status' EXIT
trap 'exit 0' INT TERM

ensure_deps
sandbox=yes
if ! ensure_docker; then
  say "WARNING: no Docker engine could be reached or started (see the message above)."
  say "The edge still starts; runs will answer sandbox_unavailable until an engine is available."
  sandbox=no
fi
[[ $sandbox == yes ]] && ensure_images
ensure_console
ensure_dev_secrets
apply_migrations
[[ $sandbox == yes ]] && start_sandbox_host
start_edge

cat <<MSG

  Airlock is up.
    console        http://$EDGE_ADDR:$EDGE_PORT/        sign up in a browser, run code, watch it stream
    edge (API)     http://$EDGE_ADDR:$EDGE_PORT        e.g. curl http://$EDGE_ADDR:$EDGE_PORT/healthz
    sandbox host   $([[ $sandbox == yes ]] && echo "http://$HOST_ADDR:$HOST_PORT        (reached by the edge over ws://)" || echo "not running (no Docker engine)")
    logs           .local/logs/{edge,sandbox-host,dockerd}.log
  The README shows how to register, log in and run code. Password-reset mail appears below.
  Ctrl-C stops the edge and the host (the Docker engine keeps running).

MSG
node --no-warnings=ExperimentalWarning "$ROOT/scripts/outbox-watch.ts"
