#!/usr/bin/env bash
# Regenerates every figure and generated document under docs/ from the
# shipped experiments. The README's plots and tables come from here, never
# by hand:
#
#   docs/regenerate.sh
#
# It builds tailsim in release mode, runs each experiment into
# target/docs-results/, prints each sweep's table (the README quotes them),
# copies the plots to docs/img/ and the tutorial's reports to docs/reports/,
# draws the celebrity-stampede topology, and rewrites docs/FIDELITY.md.
# Outputs are deterministic, so an unchanged simulator reproduces the
# committed files byte for byte. It takes a few minutes on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/tailsim
out=target/docs-results
mkdir -p docs/img docs/reports "$out"

sweep() {
    # Exit status 3 means an SLO failed, which several scenarios show on
    # purpose.
    "$bin" sweep "experiments/$1.toml" --out "$out/$1" || [ $? -eq 3 ]
}

# The report of a tutorial lesson, linked from the README.
report() {
    cp "$out/$1/report.html" "docs/reports/$1.html"
}

sweep hockey_stick
cp "$out/hockey_stick/latency.svg" docs/img/hockey_stick.svg
report hockey_stick

sweep tail_at_scale
cp "$out/tail_at_scale/percentiles.svg" docs/img/tail_at_scale.svg
report tail_at_scale

sweep hedging
cp "$out/hedging/percentiles.svg" docs/img/hedging.svg
report hedging

sweep celebrity_stampede
cp "$out/celebrity_stampede/points/0/timeseries.svg" docs/img/celebrity_baseline.svg
cp "$out/celebrity_stampede/points/1/timeseries.svg" docs/img/celebrity_single_flight.svg
report celebrity_stampede
"$bin" graph models/celebrity_stampede.toml --format svg > docs/img/celebrity_topology.svg

sweep retry_storm
cp "$out/retry_storm/points/0/timeseries.svg" docs/img/retry_storm.svg

sweep lb_policies
sweep replica_lag
sweep capacity_plan
sweep autoscale_spike

"$bin" validate --report docs/FIDELITY.md
