#!/usr/bin/env bash
# run-fuzz.sh BUILD_DIR SECONDS - run every libFuzzer binary BUILD_DIR/bin/fuzz-*
# for SECONDS each, on a corpus seeded (in BUILD_DIR, never in git) from
# ../shared/data/dbn when present plus files made by our own encoder
# (`ofts-dbn sample`). Fails (exit 1) on any crash; the crashing input is
# left in BUILD_DIR/fuzz-artifacts/.
set -euo pipefail

build=${1:?usage: run-fuzz.sh BUILD_DIR SECONDS}
secs=${2:?usage: run-fuzz.sh BUILD_DIR SECONDS}
src=$(cd "$(dirname "$0")/.." && pwd)
shared=${OFTS_SHARED_DBN:-$src/../shared/data/dbn}
bin="$build/bin"
corpus_root="$build/fuzz-corpus"
artifacts="$build/fuzz-artifacts"
mkdir -p "$corpus_root" "$artifacts"

shopt -s nullglob
targets=("$bin"/fuzz-*)
if [ ${#targets[@]} -eq 0 ]; then
    echo "run-fuzz: no fuzz-* binaries in $bin (configure with CC=clang -DOFTS_FUZZ=ON, build fuzz-targets)" >&2
    exit 1
fi

seed_dbn() {                            # seed_dbn DIR: DBN bytes (decompressed) as seeds
    local dir=$1 n=0
    if [ -d "$shared" ]; then
        for f in "$shared"/*.dbn "$shared"/*.frag; do cp "$f" "$dir/shared-$(basename "$f")"; n=$((n+1)); done
        if command -v zstd >/dev/null; then
            for f in "$shared"/*.zst; do
                zstd -dcq "$f" > "$dir/shared-$(basename "$f" .zst)" 2>/dev/null || true; n=$((n+1))
            done
        fi
    else
        echo "run-fuzz: $shared not found; seeding from the encoder only"
    fi
    if [ -x "$bin/ofts-dbn" ]; then
        for v in 1 2 3; do "$bin/ofts-dbn" sample --version $v "$dir/encoder-v$v.dbn"; n=$((n+1)); done
    fi
    echo "run-fuzz: seeded $dir with $n files"
}

fail=0
for t in "${targets[@]}"; do
    name=$(basename "$t")
    corpus="$corpus_root/$name"
    mkdir -p "$corpus"
    case "$name" in
        fuzz-dbn*) seed_dbn "$corpus" ;;
    esac
    echo "run-fuzz: $name for ${secs}s"
    if ! "$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
            -artifact_prefix="$artifacts/$name-" "$corpus" >"$build/$name.log" 2>&1; then
        echo "run-fuzz: $name FAILED (see $build/$name.log, inputs in $artifacts)" >&2
        tail -40 "$build/$name.log" >&2
        fail=1
    else
        grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$build/$name.log" || true
        echo "run-fuzz: $name ok"
    fi
done
exit $fail
