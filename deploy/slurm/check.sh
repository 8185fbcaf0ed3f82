#!/usr/bin/env bash
# Runs an experiment as a Slurm job array with the shipped sweep.sbatch,
# merges it with merge.sbatch as an afterok job, and checks that the merged
# results are the same bytes as `tailsim sweep` run directly.
#
#   deploy/slurm/check.sh [EXPERIMENT [TAILSIM SWEEP ARGUMENTS...]]
#
# Without arguments: experiments/hockey_stick.toml (16 points) with
#   --set sim.duration=20s --set sim.warmup=2s --replications 2
# (the array takes about 6 s on two CPUs). Run it on any Slurm cluster whose
# nodes see this directory, or on a throwaway one: deploy/slurm/test-cluster.sh
# runs it.
#
# Environment:
#   TASKS         array tasks (default 3)
#   SBATCH_EXTRA  more sbatch options for both jobs (default
#                 "--cpus-per-task=1 --mem=1G", which fits small nodes)
#   WORK          where the jobs run and write (default a new temporary
#                 directory; kept, its path is printed)
#   TIMEOUT       seconds to wait for the jobs before giving up (default 300)
#
# tailsim must be on PATH (the jobs get this PATH through --export=ALL).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
if [ $# -eq 0 ]; then
    set -- "$repo/experiments/hockey_stick.toml" --set sim.duration=20s --set sim.warmup=2s --replications 2
fi
experiment=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
tasks=${TASKS:-3}
timeout=${TIMEOUT:-300}
read -r -a extra <<<"${SBATCH_EXTRA:---cpus-per-task=1 --mem=1G}"
work=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/tailsim-check.XXXXXX")}
mkdir -p "$work"
work=$(cd "$work" && pwd)

say() { echo "check: $*" >&2; }
# Shows a command before it runs.
show() { echo "+ $*" >&2; }
command -v tailsim >/dev/null || { say "tailsim is not on PATH"; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

show_logs() {
    for f in "$work"/tailsim-*.out; do
        [ -f "$f" ] && { echo "--- $f"; tail -n 20 "$f"; } >&2
    done
    return 0
}

# Waits until none of the jobs "$@" is queued or running; gives up at the
# deadline, or as soon as a job can never start.
deadline=$((SECONDS + timeout))
wait_jobs() {
    local queued
    while queued=$(squeue -h -j "$(IFS=,; echo "$*")" -o '%i %T %r' 2>/dev/null) && [ -n "$queued" ]; do
        if grep -q DependencyNeverSatisfied <<<"$queued"; then
            say "a dependency can never be satisfied (an array task failed):"
            echo "$queued" >&2
            scontrol show job "$1" | grep -E 'JobId=|JobState=' >&2 || true
            show_logs
            exit 1
        fi
        if [ $SECONDS -ge $deadline ]; then
            say "gave up after $timeout s; still queued:"
            echo "$queued" >&2
            show_logs
            exit 1
        fi
        sleep 0.2
    done
}

cd "$work"
show cd "$work"
say "submitting $tasks array tasks for $experiment $* in $work"
submitted=$(now)
show sbatch --parsable --array=0-$((tasks - 1)) "${extra[@]}" \
    --export=ALL,EXPERIMENT="$experiment" "$here/sweep.sbatch" "$@"
array=$(sbatch --parsable --array=0-$((tasks - 1)) "${extra[@]}" \
    --export=ALL,EXPERIMENT="$experiment" "$here/sweep.sbatch" "$@")
array=${array%%;*}
show sbatch --parsable --dependency=afterok:"$array" "${extra[@]}" \
    --export=ALL,RESULTS="results/$array" "$here/merge.sbatch"
merge=$(sbatch --parsable --dependency=afterok:"$array" "${extra[@]}" \
    --export=ALL,RESULTS="results/$array" "$here/merge.sbatch")
merge=${merge%%;*}
say "array job $array, merge job $merge (afterok:$array)"
wait_jobs "$array"
array_done=$(now)
wait_jobs "$merge"
merge_done=$(now)

merged=$work/results/$array/merged
if [ ! -f "$merged/summary.json" ]; then
    say "the merge job wrote no $merged/summary.json"
    scontrol show job "$merge" | grep -E 'JobState=' >&2 || true
    show_logs
    exit 1
fi

say "running the same sweep directly"
show tailsim sweep "$experiment" "$@" --out direct
status=0
tailsim sweep "$experiment" "$@" --out "$work/direct" >/dev/null 2>"$work/direct.err" || status=$?
# 3: an SLO failed; the results are written all the same.
if [ $status -ne 0 ] && [ $status -ne 3 ]; then
    say "tailsim sweep failed ($status):"
    cat "$work/direct.err" >&2
    exit 1
fi
show diff -r direct "results/$array/merged"
if ! diff -r "$work/direct" "$merged" >"$work/diff.txt"; then
    say "the merged results differ from the direct run:"
    head -n 20 "$work/diff.txt" >&2
    exit 1
fi
files=$(find "$merged" -type f | wc -l)
echo "array job $array: $tasks tasks in $(elapsed "$submitted" "$array_done") s from submission to the last task's end"
echo "merge job $merge: done $(elapsed "$array_done" "$merge_done") s later"
echo "merged results ($files files in $merged) are byte-identical to tailsim sweep run directly"
