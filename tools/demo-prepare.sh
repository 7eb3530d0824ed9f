# Sourced by tools/demo.sh and tools/demo-web.sh (from the repo root, BIN
# set): the demo's data, generated once, and fresh state and log folders.
DATA=data/generated/demo-months.dbn.zst
mkdir -p data/generated logs
if [ ! -f "$DATA" ]; then
  echo "== generating $DATA (ofts-sim --months, seed 42, 20 minutes)"
  "$BIN/ofts-sim" --months --minutes 20 --seed 42 -o "$DATA"
fi
# Seven trading days for `ofts sweep --walk-forward` (docs/research.md).
for d in 01 02 03 04 07 08 09; do
  f=data/generated/day-$d.dbn.zst
  [ -f "$f" ] || "$BIN/ofts-sim" --minutes 20 --seed "1$d" --start "2026-12-${d}T14:30:00Z" -o "$f" 2>/dev/null
done
rm -rf var/demo logs/demo
mkdir -p var/demo logs/demo
