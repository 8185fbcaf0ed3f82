#!/usr/bin/env bash
# Peer comparison: the same two queueing models in tailsim, a hand-written
# loop, simcore (Rust), SimPy and Ciw (Python); prints one table of
# customers per second and writes it to benches/peers/results.md.
#
#   ./benches/peers/run.sh
#
# Environment (all optional):
#   CUSTOMERS=1000000     customers per model for the Rust tools
#   PY_CUSTOMERS=200000   customers per model for SimPy and Ciw
#   REPEATS=3             runs per model and tool; the fastest counts
#   CARGO_TARGET_DIR      where cargo builds (default target/peers, apart
#                         from the usual target/ so that no build waits on
#                         another's lock)
# Builds run under `nice -n 19`; the timed runs do not.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$here/.venv"
customers="${CUSTOMERS:-1000000}"
py_customers="${PY_CUSTOMERS:-200000}"
repeats="${REPEATS:-3}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target/peers}"

say() { echo "run.sh: $*" >&2; }

# 1. Python peers, pinned.
if [ ! -x "$venv/bin/python" ]; then
    say "creating $venv"
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import simpy, ciw; assert simpy.__version__ == "4.1.2" and ciw.__version__ == "3.2.7"' 2>/dev/null; then
    say "installing simpy==4.1.2 ciw==3.2.7"
    "$venv/bin/pip" install --quiet --disable-pip-version-check simpy==4.1.2 ciw==3.2.7
fi

# 2. Rust builds, niced: the simcore peer and tailsim's bench.
say "building the simcore peer"
(cd "$here/simcore" && nice -n 19 cargo build --release --locked --quiet)
say "building tailsim's peers bench"
# `cargo bench --bench peers`, split in two: the build (niced) names the
# executable, which the timed run below starts directly, so that an edit to
# the sources in between cannot start an un-niced rebuild.
bench_exe="$(cd "$root" && nice -n 19 cargo bench --bench peers --no-run --quiet --message-format=json-render-diagnostics \
    | "$venv/bin/python" -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "peers" and m.get("executable"):
        print(m["executable"])')"
[ -x "$bench_exe" ] || { say "could not find the peers bench executable"; exit 1; }

# 3. Timed runs, one tool at a time.
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
say "running tailsim and the hand-written loop ($customers customers, best of $repeats)"
(cd "$root" && PEERS_CUSTOMERS="$customers" PEERS_REPEATS="$repeats" "$bench_exe" --bench) | grep '^RESULT ' | tee -a "$out" >&2
say "running simcore"
"$CARGO_TARGET_DIR/release/simcore-peer" --customers "$customers" --repeats "$repeats" | grep '^RESULT ' | tee -a "$out" >&2
say "running SimPy ($py_customers customers)"
"$venv/bin/python" "$here/simpy_models.py" --customers "$py_customers" --repeats "$repeats" | grep '^RESULT ' | tee -a "$out" >&2
say "running Ciw ($py_customers customers)"
"$venv/bin/python" "$here/ciw_models.py" --customers "$py_customers" --repeats "$repeats" | grep '^RESULT ' | tee -a "$out" >&2
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

# 4. The table.
cpu="$(lscpu | awk -F: '/^Model name/ { sub(/^[ \t]+/, "", $2); print $2; exit }')"
cores="$(lscpu | awk -F: '/^CPU\(s\)/ { gsub(/[ \t]/, "", $2); print $2; exit }')"
export PEERS_CPU="${cpu:-unknown}" PEERS_CORES="${cores:-$(nproc)}" PEERS_DATE="$(date -u '+%Y-%m-%d %H:%M UTC')"
export PEERS_LOAD="$load_before before, $load_after after" PEERS_REPEATS="$repeats"
export PEERS_RUSTC="$(rustc --version)" PEERS_PY="$("$venv/bin/python" --version 2>&1)"
"$venv/bin/python" - "$out" <<'EOF' | tee "$here/results.md"
import os, sys

rows = []
for line in open(sys.argv[1]):
    kv = dict(f.split("=", 1) for f in line.split()[1:])
    kv["customers"] = int(kv["customers"])
    kv["seconds"] = float(kv["seconds"])
    kv["mean"] = float(kv["mean"])
    kv["rate"] = kv["customers"] / kv["seconds"]
    rows.append(kv)

tailsim = {r["model"]: r["rate"] for r in rows if r["tool"] == "tailsim"}
order = {"tailsim": 0, "handwritten": 1, "simcore": 2, "simpy": 3, "ciw": 4}
rows.sort(key=lambda r: (r["model"], order.get(r["tool"], 9)))
names = {
    "tailsim": "tailsim",
    "handwritten": "hand-written loop (Rust)",
    "simcore": "simcore 0.1.0 (Rust)",
    "simpy": "SimPy 4.1.2 (Python)",
    "ciw": "Ciw 3.2.7 (Python)",
}
e = os.environ
print("# Peer comparison: customers per second")
print()
print(f"- machine: {e['PEERS_CPU']}, {e['PEERS_CORES']} cores; load average {e['PEERS_LOAD']}")
print(f"- date: {e['PEERS_DATE']}; {e['PEERS_RUSTC']}; {e['PEERS_PY']}")
print("- mm1: M/M/1, arrivals 0.9, service rate 1.0. mm4: arrivals 3.6 through a random load balancer to 4")
print("  single-server FIFO queues, each with service rate 1.0. Theory for both: mean time in system 10.0.")
print(f"- seconds: best of {e['PEERS_REPEATS']} runs; every tool records every customer's time in system.")
print("- The Python tools run fewer customers than the Rust ones (see the customers column); customers/s")
print("  compares rates, not totals. tailsim/peer is tailsim's customers/s over the peer's, same model.")
print()
print("| tool | model | customers | seconds | customers/s | mean time in system | tailsim/peer |")
print("|---|---|---:|---:|---:|---:|---:|")
for r in rows:
    base = tailsim.get(r["model"])
    if r["tool"] == "tailsim":
        ratio = "1.00"
    elif base is None:
        ratio = "n/a"
    else:
        ratio = f"{base / r['rate']:.2f}"
    tool = names.get(r["tool"], r["tool"])
    print(
        f"| {tool} | {r['model']} | {r['customers']:,} | {r['seconds']:.3f} | {r['rate']:,.0f} | {r['mean']:.3f} | {ratio} |"
    )
EOF
say "table written to $here/results.md"
