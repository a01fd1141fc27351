# Sourced by the job scripts (and tests/slurm/test_walltime.sh): SLURM time strings in seconds.
#
# slurm_seconds TIME prints the seconds of a SLURM time limit in any format sbatch --time and
# squeue %l/%L use: MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS (1-00:00:00 = 86400), and 0
# for UNLIMITED / INFINITE / NOT_SET (no limit). Anything else: a message on stderr, status 2.
# Plain bash arithmetic with 10# so that 08 and 09 are not read as octal.
slurm_seconds() {
    local t=${1:-} d=0 rest h=0 m=0 s=0
    case "$t" in
        UNLIMITED | INFINITE | NOT_SET | infinite | unlimited) echo 0; return 0 ;;
    esac
    if ! [[ "$t" =~ ^([0-9]+-)?[0-9]+(:[0-9]+){0,2}$ ]]; then
        echo "slurm_seconds: '$t' is not a SLURM time, expected MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS or UNLIMITED" >&2
        return 2
    fi
    rest=$t
    if [[ "$rest" == *-* ]]; then
        d=$((10#${rest%%-*}))
        rest=${rest#*-}
        IFS=: read -r h m s <<< "$rest" # with days the first field is hours
    else
        local a b c
        IFS=: read -r a b c <<< "$rest"
        if [ -n "$c" ]; then h=$a m=$b s=$c      # HH:MM:SS
        elif [ -n "$b" ]; then m=$a s=$b         # MM:SS
        else m=$a; fi                            # MM
    fi
    echo $(( ((10#$d * 24 + 10#${h:-0}) * 60 + 10#${m:-0}) * 60 + 10#${s:-0} ))
}

# mcmsim_time_limit SECONDS MARGIN prints the --time-limit to give mcmsim in a job of SECONDS
# (0: unlimited, prints nothing): SECONDS - MARGIN, or half the job when the margin would eat
# all of it (the run still checkpoints before it is killed), at least 1.
mcmsim_time_limit() {
    local total=$1 margin=$2
    [ "$total" -gt 0 ] || return 0
    if [ "$total" -gt "$margin" ]; then echo $((total - margin)); else echo $((total / 2 > 0 ? total / 2 : 1)); fi
}
