#!/usr/bin/env bash
# Tear down the cluster of slurm_up.sh: cancel its jobs, stop its daemons (by their pid
# files in STATE_DIR, never by name), then remove STATE_DIR. Safe to run twice, or after
# a slurm_up.sh that failed half-way.
#
#   tests/cluster/slurm_down.sh [STATE_DIR]      (default /tmp/nnbench-slurm)
set -uo pipefail

STATE=${1:-${NNBENCH_SLURM_DIR:-/tmp/nnbench-slurm}}
export PATH=$PATH:/usr/sbin SLURM_CONF=$STATE/etc/slurm.conf
[[ -d $STATE ]] || exit 0

# alive PID: running (a zombie is not: a container's init may never reap the daemons)
alive() {
    local stat
    stat=$(ps -o stat= -p "$1" 2>/dev/null) && [[ $stat != Z* ]]
}
# stop_pidfile FILE: TERM the process, wait up to 15 s, then KILL it
stop_pidfile() {
    local pid
    pid=$(cat "$1" 2>/dev/null) || return 0
    [[ $pid =~ ^[0-9]+$ ]] && alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 30); do alive "$pid" || return 0; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null
}

[[ -e $SLURM_CONF ]] && timeout 10 scancel --full --quiet --user=root 2>/dev/null
for daemon in slurmd slurmctld slurmdbd mysqld; do
    stop_pidfile "$STATE/run/$daemon.pid"
done
[[ -e $STATE/run/munged.ours ]] && stop_pidfile /run/munge/munged.pid
[[ $(readlink /etc/slurm/slurm.conf 2>/dev/null) == "$SLURM_CONF" ]] && rm -f /etc/slurm/slurm.conf
rm -rf "$STATE"
echo "slurm_down: cluster in $STATE stopped and removed"
