#!/usr/bin/env bash
# Sweep scaling and memory, with the release binary:
#
#   benches/footprint.sh
#
# 1. Sweep scaling: a 64-point sweep of models/mm1.toml (rates 100 to 900
#    req/s, 2 replications of 200 s each) with --jobs 1, then with --jobs N
#    for N = the number of cores; parallel efficiency = t1 / (N x tN).
# 2. Memory: peak RSS of one replication of models/mm1.toml at 200 s and at
#    2,000 s of simulated time (it must stay flat), and the bytes each
#    in-flight request costs, from the peak RSS with 1e5 and 1e6 requests
#    in flight at once (requests held 10 s by a service with enough
#    workers for all of them).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=$PWD/target/release/tailsim
work=$PWD/target/footprint
rm -rf "$work" && mkdir -p "$work"
cores=$(nproc)

cat > "$work/sweep64.toml" <<TOML
model = "$PWD/models/mm1.toml"
[run]
replications = 2
duration = "200s"
warmup = "20s"
[[sweep]]
path = "client.web.rate"
range = { from = 100, to = 900, steps = 64 }
TOML

elapsed() {
    local start end
    start=$(date +%s.%N)
    "$@" > /dev/null
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo
echo "## Sweep scaling (64 points x 2 replications)"
t1=$(elapsed "$bin" sweep "$work/sweep64.toml" --out "$work/j1" --jobs 1)
tn=$(elapsed "$bin" sweep "$work/sweep64.toml" --out "$work/jn" --jobs "$cores")
cmp -s "$work/j1/summary.json" "$work/jn/summary.json" && same=identical || same=DIFFERENT
printf '| jobs | seconds |\n|---:|---:|\n| 1 | %.2f |\n| %d | %.2f |\n' "$t1" "$cores" "$tn"
printf 'parallel efficiency: %.2f (summary.json %s)\n' "$(echo "$t1 / ($cores * $tn)" | bc -l)" "$same"

rss() { # peak RSS in KiB of a command
    /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1
}

echo
echo "## Memory"
a=$(rss "$bin" run models/mm1.toml --replications 1 --set sim.duration=200s --out "$work/m1")
b=$(rss "$bin" run models/mm1.toml --replications 1 --set sim.duration=2000s --out "$work/m10")
# The time series has one row per window, so it grows with duration by
# design; with 10 s windows the 10x run has as many rows as the 1x run,
# which isolates the simulation itself.
c=$(rss "$bin" run models/mm1.toml --replications 1 --set sim.duration=2000s --set sim.window=10s --out "$work/m10w")
printf '| mm1, one replication | peak RSS |\n|---|---:|\n| 200 s, 1 s windows | %d KiB |\n| 2,000 s, 1 s windows | %d KiB |\n| 2,000 s, 10 s windows | %d KiB |\n' "$a" "$b" "$c"
printf 'growth from 1x to 10x duration: %+.1f%% with the time series, %+.1f%% with as many windows\n' \
    "$(echo "($b - $a) * 100 / $a" | bc -l)" "$(echo "($c - $a) * 100 / $a" | bc -l)"

cat > "$work/inflight.toml" <<TOML
[sim]
duration = "10s"
warmup = "0s"
replications = 1
max_in_flight = 2000000
[client.web]
target = "hold"
rate = 10000.0
[service.hold]
workers = 3000000
service_time = { dist = "constant", value = "20s" }
TOML
small=$(rss "$bin" run "$work/inflight.toml" --out "$work/i5")
large=$(rss "$bin" run "$work/inflight.toml" --set client.web.rate=100000 --out "$work/i6")
echo
printf '| requests in flight at the end | peak RSS |\n|---:|---:|\n| 1e5 | %d KiB |\n| 1e6 | %d KiB |\n' "$small" "$large"
printf 'bytes per in-flight request: %.0f\n' "$(echo "($large - $small) * 1024 / 900000" | bc -l)"
