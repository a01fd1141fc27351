# The wall-time parser of the job scripts (jobs/lib/walltime.sh) on every SLURM format, on its
# own (no scheduler needed). Sourced by tests/run_tests.sh.
source "$ROOT/jobs/lib/walltime.sh"
wt_ok=1 wt_bad=
while read -r t want; do
    got=$(slurm_seconds "$t" 2>/dev/null) || got=error
    [ "$got" = "$want" ] || { wt_ok=0; wt_bad="$wt_bad $t->$got(want $want)"; }
done <<'CASES'
45 2700
05 300
0 0
30:00 1800
05:30 330
1:02:03 3723
08:09:07 29347
1-0 86400
1-00 86400
2-12 216000
1-00:00 86400
1-02:03 93780
1-00:00:00 86400
2-12:30:15 217815
UNLIMITED 0
INFINITE 0
1-2-3 error
12:34:56:78 error
-5 error
1h error
CASES
[ "$wt_ok" -eq 1 ] && pass slurm:walltime-formats || fail slurm:walltime-formats "$wt_bad"
# The limit given to mcmsim: the job minus the margin; half a job the margin would eat.
[ "$(mcmsim_time_limit 86400 300)" = 86100 ] && [ "$(mcmsim_time_limit 59 54)" = 5 ] \
    && [ "$(mcmsim_time_limit 60 300)" = 30 ] && [ -z "$(mcmsim_time_limit 0 300)" ] \
    && pass slurm:time-limit-margin || fail slurm:time-limit-margin "$(mcmsim_time_limit 59 54)"
# A deliberately wrong parser (the old run.slurm's: every field times 60) fails the 1-day case.
old=$(echo 1-00:00:00 | awk -F'[-:]' '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
[ "$old" != "$(slurm_seconds 1-00:00:00)" ] && pass slurm:walltime-old-parser-differs \
    || fail slurm:walltime-old-parser-differs "$old"
