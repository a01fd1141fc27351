# A private single-node SLURM for the tests: munged, slurmctld and slurmd on localhost, every
# file (key, sockets, state, spool, logs, pid files) under one temporary directory, its own
# ports, SlurmUser=root. Sourced by tests/slurm/test_slurm.sh (or by hand):
#   slurm_start DIR   -> exports SLURM_CONF; 0 when the node is idle within 30 s
#   slurm_stop        -> stops the daemons it started, by their pids (never by name)
# Needs Debian's slurm-wlm and munge (make deps installs them) and root.
SLURM_PIDS=()

slurm_conf() { # slurm_conf DIR HOST PORT CPUS
    local d=$1 host=$2 port=$3 cpus=$4
    cat > "$d/slurm.conf" <<CONF
ClusterName=mcmtest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SrunPortRange=$((port + 2))-$((port + 40))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$d/munge/munge.socket.2
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd.pid
SlurmctldLogFile=$d/slurmctld.log
SlurmdLogFile=$d/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
MinJobAge=600
KillWait=5
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=30
MessageTimeout=20
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
}

slurm_start() {
    local d=$1 host port i
    host=$(hostname -s)
    mkdir -p "$d/munge" "$d/state" "$d/spool"
    chmod 700 "$d/munge"
    dd if=/dev/urandom of="$d/munge.key" bs=1024 count=1 status=none
    chmod 400 "$d/munge.key"
    munged -F --force --socket="$d/munge/munge.socket.2" --key-file="$d/munge.key" \
        --pid-file="$d/munged.pid" --log-file="$d/munged.log" --seed-file="$d/munged.seed" \
        > "$d/munged.out" 2>&1 &
    SLURM_PIDS+=($!)
    for i in $(seq 50); do [ -S "$d/munge/munge.socket.2" ] && break; sleep 0.1; done
    # Ports: a block of 41 from the pid, away from the well-known 6817-6819.
    port=$((20000 + ($$ % 400) * 100))
    slurm_conf "$d" "$host" "$port" "${SLURM_TEST_CPUS:-4}"
    export SLURM_CONF=$d/slurm.conf
    slurmctld -D -i -f "$SLURM_CONF" > "$d/slurmctld.out" 2>&1 &
    SLURM_PIDS+=($!)
    slurmd -D -f "$SLURM_CONF" > "$d/slurmd.out" 2>&1 &
    SLURM_PIDS+=($!)
    for i in $(seq 60); do
        sinfo -h -o %T 2>/dev/null | grep -qx idle && return 0
        sleep 0.5
    done
    echo "slurm_start: the node did not become idle; logs in $d" >&2
    return 1
}

slurm_stop() {
    local p i
    # Daemons in reverse order of start: slurmd, slurmctld, munged; TERM, then KILL after 10 s.
    for ((i = ${#SLURM_PIDS[@]} - 1; i >= 0; i--)); do
        p=${SLURM_PIDS[$i]}
        kill -TERM "$p" 2>/dev/null || continue
        for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    SLURM_PIDS=()
}

# slurm_wait_jobs TIMEOUT JOBID...: until none of the jobs is pending or running; 1 on timeout.
slurm_wait_jobs() {
    local t=$1 left; shift
    local end=$((SECONDS + t))
    while [ $SECONDS -lt $end ]; do
        left=$(squeue -h -j "$(IFS=,; echo "$*")" -o %i 2>/dev/null | wc -l)
        [ "$left" -eq 0 ] && return 0
        sleep 1
    done
    return 1
}
