#!/usr/bin/env bash
# The size of report.html for a 64-point sweep, and how long it takes to
# open in headless Chromium, with the release binary:
#
#   benches/report.sh
#
# Two 64-point sweeps, 2 replications each: models/mm1.toml over rates 100
# to 900 req/s (200 s, 180 one-second windows per point), and
# models/celebrity_stampede.toml over rates 1,000 to 3,150 req/s (300 s,
# 290 windows and four time-series panels per point: the larger page).
# Load times come from benches/report_load.mjs (the median of 5 loads, after
# one warm-up load). It needs Debian's chromium and playwright-core, which
# `cargo test --workspace` installs (target/test-deps/npm-playwright); this
# script installs them the same way if they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=$PWD/target/release/tailsim
work=$PWD/target/report-bench
rm -rf "$work" && mkdir -p "$work"

deps=$PWD/target/test-deps/npm-playwright
if [ ! -x /usr/bin/chromium ]; then
    apt-get install -y --no-install-recommends chromium
fi
if [ ! -d "$deps/node_modules/playwright-core" ]; then
    mkdir -p "$deps"
    [ -f "$deps/package.json" ] || echo '{ "private": true }' > "$deps/package.json"
    (cd "$deps" && npm install --no-audit --no-fund --silent playwright-core@1.65.1)
fi

cat > "$work/mm1_64.toml" <<TOML
model = "$PWD/models/mm1.toml"
[run]
replications = 2
duration = "200s"
warmup = "20s"
[[sweep]]
path = "client.web.rate"
range = { from = 100, to = 900, steps = 64 }
TOML

cat > "$work/celebrity_64.toml" <<TOML
model = "$PWD/models/celebrity_stampede.toml"
slo = ["p99_ms < 200", "error_rate < 0.001"]
[run]
replications = 2
[[sweep]]
path = "client.feed.rate"
range = { from = 1000, to = 3150, steps = 64 }
TOML

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(/usr/bin/chromium --version 2>/dev/null)"
for name in mm1_64 celebrity_64; do
    "$bin" sweep "$work/$name.toml" --out "$work/$name" > /dev/null 2>&1 || [ $? -eq 3 ]
    printf '%s: report.html %d bytes\n' "$name" "$(stat -c %s "$work/$name/report.html")"
done
PLAYWRIGHT_DIR=$deps node benches/report_load.mjs "$work/mm1_64/report.html" "$work/celebrity_64/report.html"
