#!/usr/bin/env bash
# Bring up a single-node SLURM cluster on this machine, from Debian 12's packages
# (slurm-wlm slurmdbd munge mariadb-server), as root and without systemd: every daemon
# is started directly. For tests and trials only: one node with this machine's CPUs
# and memory, partition `$SLURM_PARTITION`, account `$SLURM_ACCOUNT`.
#
#   tests/cluster/slurm_up.sh [STATE_DIR]      (default /tmp/nnbench-slurm)
#   export SLURM_CONF=STATE_DIR/etc/slurm.conf  (the script prints this line last)
#   tests/cluster/slurm_down.sh [STATE_DIR]
#
# Its config, logs, spool and database live in STATE_DIR; /etc/slurm/slurm.conf becomes a
# link to its config (the script refuses to run where that file exists: a real cluster).
# Exits non-zero naming the daemon that did not come up, with the tail of its log.
set -euo pipefail

STATE=${1:-${NNBENCH_SLURM_DIR:-/tmp/nnbench-slurm}}
CLUSTER=${SLURM_CLUSTER:-nnbench}
PARTITION=${SLURM_PARTITION:-debug}
ACCOUNT=${SLURM_ACCOUNT:-nnbench}
DB_PORT=${NNBENCH_SLURM_DB_PORT:-3307}  # not 3306: leave a MariaDB of the machine alone
DB_PASSWORD=nnbench-slurm-test          # a throwaway database on 127.0.0.1 only

die() { echo "slurm_up: $*" >&2; exit 1; }
# fail naming the daemon, with its log's tail
daemon_failed() {
    echo "slurm_up: $1 did not come up; last lines of $2:" >&2
    tail -n 25 "$2" >&2 2>/dev/null || echo "(no log written)" >&2
    exit 1
}
# wait_for SECONDS COMMAND...: poll until COMMAND succeeds
wait_for() {
    local deadline=$((SECONDS + $1)); shift
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || return 1
        sleep 0.5
    done
}

[[ $(id -u) == 0 ]] || die "must run as root (the daemons and munge need it)"
for binary in munged mariadbd mariadb-install-db slurmdbd slurmctld slurmd sacctmgr sbatch; do
    command -v "$binary" >/dev/null || PATH=$PATH:/usr/sbin command -v "$binary" >/dev/null \
        || die "$binary not found: apt-get install slurm-wlm slurmdbd munge mariadb-server"
done
export PATH=$PATH:/usr/sbin
[[ -e $STATE/etc/slurm.conf ]] && die "$STATE already holds a cluster: run slurm_down.sh $STATE first"
# The job step of the executor plugin runs srun with the SLURM_* variables removed, SLURM_CONF
# too, so srun reads the default path: it must lead here, and must not be a real cluster's.
[[ -e /etc/slurm/slurm.conf || -L /etc/slurm/slurm.conf ]] \
    && die "/etc/slurm/slurm.conf exists: this machine has a SLURM config; not overwriting it"

mkdir -p "$STATE"/{etc,log,run,spool/slurmctld,spool/slurmd,mysql}
chmod 755 "$STATE"
LOG=$STATE/log

# 1. munge: the credentials every SLURM daemon and client checks (its default socket)
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge
[[ -s /etc/munge/munge.key ]] || { mungekey --create --force && chown munge:munge /etc/munge/munge.key; }
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    runuser -u munge -- munged --force >"$LOG/munged.out" 2>&1 || true
    touch "$STATE/run/munged.ours"  # slurm_down.sh stops only a munged started here
    wait_for 10 bash -c 'munge -n | unmunge' || daemon_failed munged /var/log/munge/munged.log
fi

# 2. MariaDB: sacct (which the executor plugin uses for job states) needs accounting storage
mariadb-install-db --user=root --datadir="$STATE/mysql" --auth-root-authentication-method=socket \
    --skip-test-db >"$LOG/mariadb-install.log" 2>&1 || daemon_failed "mariadb-install-db" "$LOG/mariadb-install.log"
mariadbd --user=root --datadir="$STATE/mysql" --socket="$STATE/run/mysqld.sock" --pid-file="$STATE/run/mysqld.pid" \
    --port="$DB_PORT" --bind-address=127.0.0.1 --skip-name-resolve --innodb-buffer-pool-size=64M \
    --log-error="$LOG/mariadbd.log" >/dev/null 2>&1 &
wait_for 30 mariadb-admin --socket="$STATE/run/mysqld.sock" ping || daemon_failed mariadbd "$LOG/mariadbd.log"
mariadb --socket="$STATE/run/mysqld.sock" <<SQL
CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
SQL

# 3. the configs: one node as `slurmd -C` sees this machine
cat >"$STATE/etc/slurmdbd.conf" <<EOF
AuthType=auth/munge
DbdHost=localhost
SlurmUser=root
LogFile=$LOG/slurmdbd.log
PidFile=$STATE/run/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=$DB_PASSWORD
StorageLoc=slurm_acct_db
EOF
chmod 600 "$STATE/etc/slurmdbd.conf"

NODE=$(slurmd -C | head -n 1)
NODE_NAME=$(sed -n 's/^NodeName=\([^ ]*\).*/\1/p' <<<"$NODE")
CPUS=$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$NODE")
MEMORY=$(sed -n 's/.* RealMemory=\([0-9]*\).*/\1/p' <<<"$NODE")
cat >"$STATE/etc/slurm.conf" <<EOF
ClusterName=$CLUSTER
SlurmctldHost=$NODE_NAME
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/spool/slurmctld
SlurmdSpoolDir=$STATE/spool/slurmd
SlurmctldPidFile=$STATE/run/slurmctld.pid
SlurmdPidFile=$STATE/run/slurmd.pid
SlurmctldLogFile=$LOG/slurmctld.log
SlurmdLogFile=$LOG/slurmd.log
# no systemd, no cgroup delegation in a container: track processes by their parent
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# without a default, a job that asks for no memory takes the whole node
DefMemPerCPU=1000
# memory limits without cgroups: the step's RSS is sampled every second and a step
# over its request is killed (the job ends OUT_OF_MEMORY)
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=task=1
JobAcctGatherParams=OverMemoryKill
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStorageEnforce=associations,limits
# the executor plugin names the rule of a job in its comment
AccountingStoreFlags=job_comment
JobCompType=jobcomp/none
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,bf_interval=2
MinJobAge=300
MaxArraySize=1001
$NODE State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE_NAME Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$STATE/etc/slurm.conf
mkdir -p /etc/slurm
ln -s "$SLURM_CONF" /etc/slurm/slurm.conf  # slurm_down.sh removes this link (and only a link)

# 4. slurmdbd, then the cluster, the account and root's association in it
slurmdbd >"$LOG/slurmdbd.out" 2>&1 || daemon_failed slurmdbd "$LOG/slurmdbd.log"
wait_for 30 sacctmgr -n list cluster || daemon_failed slurmdbd "$LOG/slurmdbd.log"
sacctmgr -i add cluster "$CLUSTER" >/dev/null
sacctmgr -i add account "$ACCOUNT" Cluster="$CLUSTER" Description=nnbench Organization=nnbench >/dev/null
sacctmgr -i add user root Account="$ACCOUNT" Cluster="$CLUSTER" DefaultAccount="$ACCOUNT" >/dev/null

# 5. the controller and the node
slurmctld >"$LOG/slurmctld.out" 2>&1 || daemon_failed slurmctld "$LOG/slurmctld.log"
wait_for 30 scontrol ping || daemon_failed slurmctld "$LOG/slurmctld.log"
slurmd >"$LOG/slurmd.out" 2>&1 || daemon_failed slurmd "$LOG/slurmd.log"
node_idle() { sinfo -h -N -n "$NODE_NAME" -o %t | grep -qE '^(idle|mix|alloc)'; }
wait_for 30 node_idle || daemon_failed "slurmd (node $NODE_NAME not idle: $(sinfo -h -N -o %t))" "$LOG/slurmd.log"

echo "slurm_up: cluster $CLUSTER up: node $NODE_NAME ($CPUS CPUs, $MEMORY MB), partition $PARTITION, account $ACCOUNT"
echo "export SLURM_CONF=$SLURM_CONF"
