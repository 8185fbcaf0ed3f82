#!/usr/bin/env bash
# A throwaway single-node Slurm cluster on this machine, to try the sbatch
# scripts in deploy/slurm/ before submitting them to a real one (the test
# suite runs it too, in tests/integration/slurm.rs).
#
#   deploy/slurm/test-cluster.sh              # start, run deploy/slurm/check.sh, stop
#   deploy/slurm/test-cluster.sh -- bash      # start, run a command (here a shell), stop
#   deploy/slurm/test-cluster.sh --hold       # start, print SLURM_CONF, stop when stdin closes
#
# It writes a slurm.conf for one node with --cpus CPUs (default 2), starts
# munged, slurmctld and slurmd in the foreground of this script, waits until
# sinfo shows the node idle, and runs the command with SLURM_CONF set, so
# sbatch, squeue, scancel and scontrol talk to this cluster. On exit (also
# on failure or Ctrl-C) it cancels the cluster's jobs and stops every
# daemon it started, by process id.
#
# Everything lives in one directory (--dir, default a new temporary one,
# removed at the end unless --keep): slurm.conf, the munge key and socket,
# the spool directories and the logs. Nothing in /etc or /run is read or
# written, the system's munge and Slurm services are left alone, and the
# ports are the first free pair from --port (default 16817).
#
# Needs Debian's slurm-wlm and munge (apt-get install slurm-wlm munge).
# Written for Slurm 22.05 (Debian bookworm) and a machine without systemd or
# cgroups: proctrack/linuxproc, task/none, no accounting. Tested as root.
#
# Options:
#   --dir DIR      keep the cluster's state in DIR (created if needed; kept)
#   --cpus N       CPUs of the node (default 2)
#   --port P       first port to try for slurmctld; slurmd gets the next one
#   --timeout S    give up when the cluster is not up after S seconds (default 60)
#   --keep         keep the temporary directory (its path is printed)
#   --hold         instead of a command: print SLURM_CONF=... and "ready",
#                  then wait until standard input closes
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir='' cpus=2 port=16817 timeout=60 keep=0 hold=0
while [ $# -gt 0 ]; do
    case $1 in
        --dir) dir=$2; keep=1; shift 2 ;;
        --cpus) cpus=$2; shift 2 ;;
        --port) port=$2; shift 2 ;;
        --timeout) timeout=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        --hold) hold=1; shift ;;
        --) shift; break ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) break ;;
    esac
done
if [ $# -eq 0 ] && [ $hold -eq 0 ]; then
    set -- "$here/check.sh"
fi

say() { echo "test-cluster: $*" >&2; }
die() { say "$*"; exit 1; }

for tool in munged slurmctld slurmd sbatch sinfo squeue scontrol scancel; do
    command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] ||
        die "$tool is missing; install Debian's slurm-wlm and munge (apt-get install slurm-wlm munge)"
done
PATH=$PATH:/usr/sbin

if [ -z "$dir" ]; then
    dir=$(mktemp -d "${TMPDIR:-/tmp}/tailsim-slurm.XXXXXX")
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
conf=$dir/slurm.conf
user=$(id -un)
node=$(hostname -s)

pids=()   # daemons, in start order
names=()
stop_all() {
    local status=$?
    trap - EXIT INT TERM
    if [ -n "${SLURM_CONF:-}" ] && [ -S "$dir/munge/munge.socket" ]; then
        # Jobs first, so no slurmstepd outlives its slurmd.
        local jobs
        jobs=$(timeout 10 squeue -h -o %F 2>/dev/null | sort -u | tr '\n' ' ' || true)
        if [ -n "${jobs// /}" ]; then
            # shellcheck disable=SC2086
            timeout 10 scancel $jobs 2>/dev/null || true
            local i
            for ((i = 0; i < 100; i++)); do
                [ -z "$(timeout 5 squeue -h -o %i 2>/dev/null || true)" ] && break
                sleep 0.1
            done
        fi
    fi
    local k pid
    for ((k = ${#pids[@]} - 1; k >= 0; k--)); do
        pid=${pids[k]}
        kill -TERM "$pid" 2>/dev/null || continue
        for ((i = 0; i < 100; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            say "${names[k]} (pid $pid) did not stop on SIGTERM; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    if [ ${#pids[@]} -gt 0 ]; then
        say "stopped ${names[*]} (pids ${pids[*]})"
    fi
    if [ $keep -eq 0 ]; then
        rm -rf "$dir"
    else
        say "state and logs kept in $dir"
    fi
    exit "$status"
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Waits until "$@" succeeds, at most until the deadline; $what names it.
deadline=$((SECONDS + timeout))
wait_for() {
    local what=$1
    shift
    until "$@" >/dev/null 2>&1; do
        if [ $SECONDS -ge $deadline ]; then
            say "gave up after $timeout s waiting for $what; the logs:"
            tail -n 20 "$dir"/log/*.log >&2 || true
            exit 1
        fi
        for k in "${!pids[@]}"; do
            kill -0 "${pids[k]}" 2>/dev/null || {
                say "${names[k]} exited while waiting for $what; its log:"
                tail -n 30 "$dir/log/${names[k]}.log" >&2 || true
                exit 1
            }
        done
        sleep 0.2
    done
}

# Two free TCP ports: nothing answers a connection to them.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for ((try = 0; try < 50; try++)); do
    if port_free "$port" && port_free $((port + 1)); then break; fi
    port=$((port + 2))
done

mkdir -p "$dir/munge" "$dir/spool/ctld" "$dir/spool/d" "$dir/log"
# munged wants its socket directory searchable by everyone and its key
# readable by its owner only.
chmod 755 "$dir" "$dir/munge"
if [ ! -f "$dir/munge/munge.key" ]; then
    (umask 077 && head -c 1024 /dev/urandom >"$dir/munge/munge.key")
fi
chmod 400 "$dir/munge/munge.key"

memory_mb=$(awk '/^MemTotal:/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)
cat >"$conf" <<CONF
# Written by deploy/slurm/test-cluster.sh: one node, no systemd, no cgroups.
ClusterName=tailsim-test
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
CredType=cred/munge
# cred_expire also sets how long a requeued job waits before it may start
# again (default 120 s).
AuthInfo=socket=$dir/munge/munge.socket,cred_expire=5
StateSaveLocation=$dir/spool/ctld
SlurmdSpoolDir=$dir/spool/d
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
MailProg=/bin/true
SchedulerType=sched/builtin
# Run the scheduler every second, so a requeued job starts as soon as it may.
SchedulerParameters=sched_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
# Keep finished jobs visible to scontrol for 10 minutes.
MinJobAge=600
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory_mb State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF

start() {
    local name=$1
    shift
    "$@" >"$dir/log/$name.log" 2>&1 &
    pids+=($!)
    names+=("$name")
}

start munged munged --foreground --force \
    --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/munge/munged.pid" --seed-file="$dir/munge/munged.seed"
wait_for "munged's socket" test -S "$dir/munge/munge.socket"

export SLURM_CONF=$conf
start slurmctld slurmctld -D -f "$conf"
wait_for "slurmctld to answer" scontrol ping
start slurmd slurmd -D -f "$conf" -N "$node"
node_idle() { [ "$(sinfo -h -n "$node" -o %T)" = idle ]; }
wait_for "node $node to be idle" node_idle
say "cluster up in $dir: node $node, $cpus CPUs, slurmctld on port $port (pids ${pids[*]})"

if [ $hold -eq 1 ]; then
    echo "SLURM_CONF=$conf"
    echo "ready"
    while IFS= read -r _; do :; done
    exit 0
fi
"$@"
