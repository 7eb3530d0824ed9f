#!/usr/bin/env bash
# `make demo`: the whole system - five services under `ofts up`, talking over
# ZeroMQ - replays 20 simulated minutes of GC SI PL HG NQ order flow (real DBN
# format, written by ofts-sim) at 20x pace with the paper broker, shows the
# signals, orders and fills as they happen, and ends with the P&L summary
# (net of Topstep's fees). GC has two months and their spread, and rolls
# from GCZ6 to GCG7 half way (ofts-sim --months).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-build}/bin"
. tools/demo-prepare.sh
: > logs/demo/orderflow_trading.log

echo "== ofts up: replaying $DATA at 20x (about a minute); paper broker; logs in logs/demo/"
"$BIN/ofts" up --config config/demo.json --until-exit gateway-md --grace-ms 4000 --quiet 2>logs/demo/up.stderr &
UP=$!
trap 'kill -INT "$UP" 2>/dev/null || true' INT TERM
#  Follow the one log of all activity while `ofts up` runs (tail ends with
#  it), showing what a trader wants to see: orders and fills at market time,
#  the contract roll, progress every 25%, and anything that went wrong.
#  Signals and the risk refusals are counted in the summary (all in the log).
#  mawk (Debian's awk) reads a pipe in blocks unless told to be interactive.
AWK_LIVE=$(awk -W version 2>&1 | grep -q mawk && echo "-W interactive" || true)
tail --pid="$UP" -n +1 -F logs/demo/orderflow_trading.log 2>/dev/null \
  | awk $AWK_LIVE '
      { sub(/^[0-9T:.-]+Z /, "") }
      / ofts: started / { started = started (started ? ", " : "") $4; next }
      started != "" { print "INFO  ofts: started " started; started = "" }
      /gateway-md: replay: [0-9]+ records \(/ {
          pct = $0; sub(/.*\(/, "", pct); pct = int(pct)
          if (int(pct / 25) > quarter) { quarter = int(pct / 25); print "INFO  gateway-md: replayed " pct "%" }
          next }
      /gateway-md: replay done/ { sub(/; published.*/, ""); print; next }
      /risk: .* traded contract/ { market = 1 }
      # Trading-state changes; not those of risk before the first data (its
      # clock is not the market yet), nor an "again" for a change not shown.
      /monitor: ACCOUNT/ {
          if (!market || (/ACTIVE again/ && !down)) next
          down = !/ACTIVE again/; print; next }
      /monitor: [0-9:]+ CT (ORDER|FILL) |monitor: ACCOUNT|risk: .* traded contract|ofts: (.* finished|up:)| ERROR |UNPROTECTED/ { print }' \
  || true
rc=0
wait "$UP" || rc=$?
if [ "$rc" -ne 0 ]; then
  echo
  echo "== ofts up FAILED (exit $rc): the stack did not run to the end; what it said:"
  { grep -h " ERROR " logs/demo/orderflow_trading.log; cat logs/demo/up.stderr; } 2>/dev/null | sort -u | head -20 | sed 's/^/  /'
fi

echo
echo "== P&L summary, net of fees (as gateway-order reported it to the monitor; event times above are market time, CT)"
grep "monitor: SUMMARY" logs/demo/orderflow_trading.log | sed -E 's/.*monitor: SUMMARY /  /' || true
echo "  (rejects: signals risk refused - cooldown, entry too far from the market, ...: the REJECT lines of"
echo "   logs/demo/orderflow_trading.log say why for each)"
echo
echo "== the same file through ofts backtest (same cores, one process, no bus)"
"$BIN/ofts-backtest" --config config/demo.json --html logs/demo/backtest.html "$DATA" 2>/dev/null \
  | sed '/^by signal reason/,$d'
echo "  (by signal reason and every trade: logs/demo/backtest.html)"
echo
echo "next: build/bin/ofts dbn info $DATA        (what is in the file)"
echo "      build/bin/ofts up --config config/demo.json --replay $DATA   (and, in another terminal,"
echo "      build/bin/ofts-monitor --config config/demo.json --dashboard)"
echo "logs: logs/demo/orderflow_trading.log (all activity) and logs/demo/<service>.log"
echo "state: var/demo/risk.sqlite (risk journal), var/demo/gateway-order.db (orders, fills)"
echo "report: logs/demo/backtest.html"
echo "live web view of the same replay: make demo-web, then http://127.0.0.1:8080/ (docs/monitor.md)"
echo "flight recorder (docs/recorder.md), the session just run: $BIN/ofts record info --config config/demo.json"
echo "      $BIN/ofts explain --config config/demo.json ID   (ID: a signal id or client order id from the log)"
echo "      $BIN/ofts rerun var/demo/recorder   (exact re-run)     $BIN/ofts replay-bus --config config/demo.json var/demo/recorder"
exit $rc
