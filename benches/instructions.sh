#!/usr/bin/env bash
# Instructions executed per shipped model, for two tailsim binaries, and an
# estimate of cycles from cachegrind's cache simulation: a speed comparison
# that does not depend on how busy the machine is.
#
# Wall times on a shared or virtual machine can move by tens of percent
# between runs of one binary; instruction counts under cachegrind are the
# same on every run. They are a proxy for time, not time: use them to find
# and confirm a regression, and `cargo bench --bench models` (run back to
# back, several times) for the figures.
#
# Usage: benches/instructions.sh BEFORE_BINARY AFTER_BINARY [MODEL...]
#   e.g. git worktree add /tmp/before <rev>
#        (cd /tmp/before && cargo build --release)
#        cargo build --release
#        benches/instructions.sh /tmp/before/target/release/tailsim target/release/tailsim
# Each model runs one replication (seed 1) on one thread, as
# `tailsim run models/X.toml --replications 1 --jobs 1`; the count covers
# the whole command, so it includes loading the model and writing outputs
# (measured: about 5% of hedging's instructions, a quarter of closed_loop's). Needs valgrind (Debian: valgrind).
#
# Estimated cycles weigh each access by where cachegrind's simulated caches
# serve it: 1 for the first level, 5 for the last level, 35 for memory
# (the weights iai uses). They catch a change in memory layout that the
# instruction count alone would miss.
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 BEFORE_BINARY AFTER_BINARY [MODEL...]" >&2
    exit 2
fi
before=$1
after=$2
shift 2
command -v valgrind > /dev/null || {
    echo "error: valgrind is not installed (Debian: apt-get install valgrind)" >&2
    exit 2
}
root=$(cd "$(dirname "$0")/.." && pwd)
models=("$@")
if [ ${#models[@]} -eq 0 ]; then
    for f in "$root"/models/*.toml; do models+=("$(basename "$f" .toml)"); done
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# "instructions estimated-cycles" for one run of `binary` on `model`, or
# nothing when the run fails (an older binary may not load a newer model).
count() {
    local binary=$1 model=$2 tag=$3
    if valgrind --tool=cachegrind --cache-sim=yes --cachegrind-out-file="$work/$tag.out" \
        "$binary" run "$root/models/$model.toml" --replications 1 --jobs 1 --out "$work/$tag" \
        > "$work/$tag.log" 2>&1; then
        # summary: Ir I1mr ILmr Dr D1mr DLmr Dw D1mw DLmw
        awk '/^summary:/ {
            ram = $4 + $7 + $10; l1miss = $3 + $6 + $9
            printf "%.0f %.0f\n", $2, ($2 + $5 + $8 - l1miss) + 5 * (l1miss - ram) + 35 * ram
        }' "$work/$tag.out"
    else
        echo "$model: $binary failed:" >&2
        grep -v -e '^==' -e '^--' "$work/$tag.log" | head -5 >&2
    fi
}

echo "| model | instructions before | instructions after | change | est. cycles before | est. cycles after | change |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for m in "${models[@]}"; do
    b=$(count "$before" "$m" "$m.before")
    a=$(count "$after" "$m" "$m.after")
    if [ -z "$b" ] || [ -z "$a" ]; then
        echo "| $m | ${b:-failed} | ${a:-failed} | | | | |"
        continue
    fi
    awk -v m="$m" -v b="$b" -v a="$a" 'BEGIN {
        split(b, x, " "); split(a, y, " ")
        printf "| %s | %.0f | %.0f | %+.2f%% | %.0f | %.0f | %+.2f%% |\n", m, x[1], y[1], 100 * (y[1] - x[1]) / x[1], x[2], y[2], 100 * (y[2] - x[2]) / x[2]
    }'
done
