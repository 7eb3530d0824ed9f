# Sourced by tools/demo.sh and tools/demo-web.sh (from the repo root, BIN
# set): the demo's data, generated once, and fresh state and log folders.
DATA=data/generated/demo-months.dbn.zst
mkdir -p data/generated logs
if [ ! -f "$DATA" ]; then
  echo "== generating $DATA (ofts-sim --months, seed 42, 20 minutes)"
  "$BIN/ofts-sim" --months --minutes 20 --seed 42 -o "$DATA"
fi
rm -rf var/demo logs/demo
mkdir -p var/demo logs/demo
