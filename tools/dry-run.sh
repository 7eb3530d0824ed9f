#!/usr/bin/env bash
# The going-live dry run (docs/going-live.md, step 6): the whole stack with
# --live, exactly as on the trading day, but against the local mocks of the
# Databento live gateway and the ProjectX Gateway. Nothing leaves loopback.
#   tools/dry-run.sh [BIN_DIR]       (default build/bin)
# Exit 0 when every step passed; each step prints one line.
set -euo pipefail
BIN="${1:-build/bin}"
DIR="$(mktemp -d /tmp/ofts-dryrun-XXXXXX)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  [ -n "${KEEP:-}" ] || rm -rf "$DIR"
}
trap cleanup EXIT
step() { echo "== $*"; }
fail() { echo "DRY RUN FAILED: $*" >&2; echo "(logs: $DIR/logs; KEEP=1 keeps them)" >&2; exit 1; }
wait_for() {  # wait_for SECONDS FILE PATTERN
  local end=$((SECONDS + $1))
  until grep -q -- "$3" "$2" 2>/dev/null; do
    [ $SECONDS -lt $end ] || return 1
    sleep 0.2
  done
}

export DATABENTO_API_KEY="db-DryRunDryRunDryRunDryRunDry42"
export TOPSTEPX_USERNAME="ofts-user" TOPSTEPX_API_KEY="ofts-test-key"

step "1. the mocks: Databento live gateway and ProjectX Gateway on 127.0.0.1"
"$BIN/ofts-mock-databento-live" --key "$DATABENTO_API_KEY" --records 1000000 --interval-ms 20 \
    > "$DIR/md.out" 2> "$DIR/md.err" &
PIDS+=($!)
"$BIN/ofts-mock-projectx" > "$DIR/px.out" 2> "$DIR/px.err" &
PIDS+=($!)
wait_for 20 "$DIR/md.out" "^[0-9]" || fail "mock Databento did not start"
until [ "$(wc -l < "$DIR/px.out")" -ge 2 ]; do sleep 0.2; done
MD_PORT=$(head -1 "$DIR/md.out"); PX_PORT=$(sed -n 1p "$DIR/px.out"); HUB_PORT=$(sed -n 2p "$DIR/px.out")

step "2. a config holding only what differs from config/default.json"
cat > "$DIR/live.json" <<JSON
{
  "bus": { "endpoints": {
    "gateway-md":    { "pub": "ipc://$DIR/md.pub" },
    "analyzer":      { "pub": "ipc://$DIR/an.pub" },
    "risk":          { "pub": "ipc://$DIR/risk.pub", "ctl": "ipc://$DIR/risk.ctl" },
    "gateway-order": { "pub": "ipc://$DIR/go.pub", "ctl": "ipc://$DIR/go.ctl" },
    "monitor":       { "pub": "ipc://$DIR/mon.pub" },
    "recorder":      { "pub": "ipc://$DIR/rec.pub" } } },
  "recorder": { "dir": "$DIR/var/recorder" },
  "up": { "log_dir": "$DIR/logs" },
  "gateway_md": { "mode": "live", "live": { "host": "127.0.0.1", "port": $MD_PORT } },
  "risk": { "journal": "$DIR/var/risk.sqlite" },
  "gateway_order": { "broker": "projectx", "db_path": "$DIR/var/gateway-order.db",
    "projectx": { "base_url": "http://127.0.0.1:$PX_PORT",
                  "user_hub_url": "ws://127.0.0.1:$HUB_PORT/hubs/user",
                  "account_name": "PRAC-V2-645601-47191819" } }
}
JSON

step "3. ofts up --live --check-config: every service checks the merged config"
"$BIN/ofts" up --config "$DIR/live.json" --live --check-config > "$DIR/check.out" 2>&1 \
  || { cat "$DIR/check.out"; fail "the check refused the config"; }

step "4. without --live the real account is refused"
if "$BIN/ofts" up --config "$DIR/live.json" --check-config > "$DIR/nolive.out" 2>&1; then
  fail "a projectx config started without --live"
fi
grep -q 'start with `ofts up --live`' "$DIR/nolive.out" || fail "no clear line without --live"

step "5. ofts up --live"
"$BIN/ofts" up --config "$DIR/live.json" --live --quiet 2> "$DIR/up.err" &
UP=$!
PIDS+=($UP)
wait_for 60 "$DIR/logs/gateway-order.log" "LIVE: trading TopstepX account" || fail "gateway-order did not log in"
wait_for 60 "$DIR/logs/gateway-md.log" "live: streaming" || fail "gateway-md did not stream from the gateway"
for i in $(seq 1 100); do
  "$BIN/ofts" cmd --config "$DIR/live.json" pause > /dev/null 2>&1 && break
  sleep 0.3
done

step "6. a second ofts up on the same config is refused"
if "$BIN/ofts" up --config "$DIR/live.json" --live --quiet > "$DIR/second.out" 2>&1; then
  fail "a second ofts up started"
fi
grep -q "already running (pid $UP, since" "$DIR/second.out" || fail "no 'already running' line"

step "7. the kill switches: risk, then gateway-order's own, then the broker directly"
"$BIN/ofts" cmd --config "$DIR/live.json" kill || fail "risk did not take kill"
"$BIN/ofts" cmd --config "$DIR/live.json" --to gateway-order flatten || fail "gateway-order did not take flatten"
"$BIN/ofts-projectx" --config "$DIR/live.json" positions > "$DIR/positions.out" || fail "ofts-projectx positions"
"$BIN/ofts" cmd --config "$DIR/live.json" resume || fail "resume"

step "8. stop everything: Ctrl-C on ofts up (SIGINT)"
kill -INT "$UP"
wait "$UP" || fail "ofts up did not stop cleanly"
PIDS=("${PIDS[@]:0:2}")
echo "dry run OK"
