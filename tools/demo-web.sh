#!/usr/bin/env bash
# `make demo-web`: the demo replay (tools/demo.sh's data and config) with the
# live web view, kept running until Ctrl-C so the page can be explored after
# the replay ends. Read-only; bound to loopback (docs/monitor.md).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-build}/bin"
PORT="${OFTS_WEB_PORT:-8080}"
. tools/demo-prepare.sh
#  The web monitor first, so the page holds the whole replay.
"$BIN/ofts-monitor" --config config/demo.json --web "127.0.0.1:$PORT" 2>logs/demo/web.log &
WEB=$!
"$BIN/ofts" up --config config/demo.json --until-exit gateway-md --grace-ms 4000 --quiet 2>/dev/null &
UP=$!
trap 'kill -INT "$UP" 2>/dev/null || true; kill "$WEB" 2>/dev/null || true; wait' EXIT INT TERM
sleep 1
if ! kill -0 "$WEB" 2>/dev/null; then
  echo "ofts-monitor --web did not start (port $PORT busy? set OFTS_WEB_PORT):"; cat logs/demo/web.log; exit 1
fi
echo "== live web view: http://127.0.0.1:$PORT/"
echo "   (from another machine: ssh -N -L $PORT:127.0.0.1:$PORT $(whoami)@$(hostname), then the same URL)"
echo "== replaying $DATA at 20x (about a minute); the page stays up after it - Ctrl-C to stop"
wait "$UP" || true
echo "== replay done; web view still at http://127.0.0.1:$PORT/ - Ctrl-C to stop"
wait "$WEB"
