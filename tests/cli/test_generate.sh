# `mcmsim generate`: PF-ODE samples against analytic answers (tests/lib/gen_check.py, 5 SE),
# teleportation, rank-count independence, bad input (exit 2, no output). Sourced.
GCHK="$PY $ROOT/tests/lib/gen_check.py"
H5C="$PY $ROOT/tests/lib/h5check.py"
GEN=$WORK/gen.ini
cat > "$GEN" <<'INI'
[run]
seed = 11
[mcm]
d = 16
beta_u = 2
beta_v = 5
[generate]
n_steps = 80
n_samples = 20000
INI

cli_expect_rc gen:help 0 "mcmsim generate CONFIG" "$BIN" generate --help
cli_expect_rc gen:exact 0 "wrote $WORK/gen_ex.h5" "$BIN" generate "$GEN" -o "$WORK/gen_ex.h5"
check gen:output-complete $H5C complete "$WORK/gen_ex.h5"
check gen:exact-score-var-u-kurt-v $GCHK mcm "$WORK/gen_ex.h5" exact
"$BIN" generate "$GEN" -o "$WORK/gen_ga.h5" --set generate.score=gaussian --quiet
check gen:gaussian-score-kurt-v-zero $GCHK mcm "$WORK/gen_ga.h5" gauss
# Deliberately wrong: the Gaussian score's samples do not pass the exact-score check.
cli_expect_rc gen:wrong-score-detected 1 "FAIL" $GCHK mcm "$WORK/gen_ga.h5" exact
"$BIN" generate "$GEN" -o "$WORK/gen_vp.h5" --set generate.sampler=ddim --set generate.n_steps=400 --quiet
check gen:exact-score-vp-ddim $GCHK mcm "$WORK/gen_vp.h5" exact
"$BIN" generate "$GEN" -o "$WORK/gen_co.h5" --set mcm.coupling=sign --set generate.n_samples=10000 --quiet
check gen:coupled-latents-exact $GCHK mcm "$WORK/gen_co.h5" exact

# Gaussian data: generated variance per mode = sigma_T^2 (lambda + sigma_0^2) / (lambda + sigma_T^2).
GG="--set generate.data=gaussian --set generate.score=gaussian --set gaussian.spectrum=power --set gaussian.scale=4"
"$BIN" generate "$GEN" -o "$WORK/gen_gd.h5" $GG --set generate.n_steps=160 --set generate.sigma_max=3 --quiet
check gen:gauss-modes-closed-form $GCHK modes "$WORK/gen_gd.h5"
# With sigma_max = 3 the finite-sigma correction is resolved: the data variance lambda fails.
cli_expect_rc gen:gauss-modes-lambda-fails 1 "FAIL" $GCHK modes "$WORK/gen_gd.h5" data
"$BIN" generate "$GEN" -o "$WORK/gen_dd.h5" $GG --set generate.sampler=ddim --set generate.n_steps=400 --set generate.sigma_max=3 --quiet
check gen:ddim-modes-closed-form $GCHK modes "$WORK/gen_dd.h5"
"$BIN" generate "$GEN" -o "$WORK/gen_tg.h5" $GG --set generate.n_steps=160 --set generate.sigma_max=3 --set generate.sigma_skip=0.5 --quiet
check gen:gauss-teleport-no-change $GCHK modes "$WORK/gen_tg.h5"

# Trajectories of Gaussian data follow §4.1 level by level (Heun, 160 steps), exactly (to
# roundoff) where teleported, and the x0 estimate is the Gaussian shrinkage of the state; a
# coarse 10-step Heun run fails the same check.
TW="--set generate.n_write=4 --set generate.n_samples=4"
"$BIN" generate "$GEN" -o "$WORK/gen_tj.h5" $GG $TW --set generate.n_steps=160 --quiet
check gen:trajectory-closed-form $GCHK traj_gauss "$WORK/gen_tj.h5" 1e-3
"$BIN" generate "$GEN" -o "$WORK/gen_tj1.h5" $GG $TW --set generate.n_steps=10 --set generate.sigma_skip=0.002 --quiet
check gen:trajectory-teleported-exact $GCHK traj_gauss "$WORK/gen_tj1.h5" 1e-12
"$BIN" generate "$GEN" -o "$WORK/gen_tj2.h5" $GG $TW --set generate.n_steps=10 --quiet
cli_expect_rc gen:trajectory-coarse-detected 1 "FAIL" $GCHK traj_gauss "$WORK/gen_tj2.h5" 1e-3

# Kicks (§4.3): with Gaussian data the response is the transfer sqrt((lambda + sigma_0^2) /
# (lambda + sigma^2)); with the exact MCM score it is Gaussian along u but not along v (the
# fourth cumulant commits late and sharply), which the same check detects.
KW="--set generate.n_write=2 --set generate.n_samples=2 --set generate.kick=true"
"$BIN" generate "$GEN" -o "$WORK/gen_kg.h5" $GG $KW --quiet
check gen:kick-gaussian-transfer $GCHK kick "$WORK/gen_kg.h5" 2e-3 0,1
# DDIM (first order): the VP transfer sqrt((1 + s^2) / (1 + s_0^2)) sqrt((lambda + s_0^2) /
# (lambda + s^2)) in levels s = sigma_t / alpha_t, 1.2e-2 at 400 steps, 2.3e-2 at 200.
"$BIN" generate "$GEN" -o "$WORK/gen_kd.h5" $GG $KW --set generate.sampler=ddim --set generate.n_steps=400 --quiet
check gen:kick-ddim-vp-transfer $GCHK kick "$WORK/gen_kd.h5" 1.5e-2 0,1,2
# /generate/kick_theory holds that transfer (the file's own reference, equal to the formula);
# without its VP factor (the EDM transfer) the DDIM kicks fail the same check.
check gen:kick-theory-edm $GCHK kick_theory "$WORK/gen_kg.h5" 2e-3 0,1
check gen:kick-theory-ddim $GCHK kick_theory "$WORK/gen_kd.h5" 1.5e-2 0,1,2
cli_expect_rc gen:kick-theory-ddim-edm-form-rejected 1 "FAIL" $GCHK kick_theory "$WORK/gen_kd.h5" 1.5e-2 0,1,2 edm
"$BIN" generate "$GEN" -o "$WORK/gen_km.h5" $KW --quiet
check gen:kick-mcm-u-gaussian $GCHK kick "$WORK/gen_km.h5" 2e-3 1
cli_expect_rc gen:kick-mcm-v-not-gaussian 1 "FAIL" $GCHK kick "$WORK/gen_km.h5" 2e-2 2

# Painters (§4.3): the x0 estimate along e_0, e_1, e_last (Gaussian data) commits, i.e. reaches
# 1/sqrt(2) of its final value, at sigma = sqrt(lambda + 2 sigma_0^2) in every sample, up to the
# sampler's error: order 2 for Heun, 1 for Euler as n_steps doubles; DDIM in sigma_t / alpha_t.
# Deliberately wrong: the exact MCM score commits along v much later than its Gaussian clone
# (the fourth cumulant), while along u it follows the clone; coarse Euler misses the tolerance.
CW="--set generate.n_write=4 --set generate.n_samples=4"
for smp in heun euler; do
    for n in 40 80 160; do
        "$BIN" generate "$GEN" -o "$WORK/gen_c$smp$n.h5" $GG $CW --set generate.sampler=$smp --set generate.n_steps=$n --quiet
    done
done
check gen:commit-closed-form $GCHK commit "$WORK/gen_cheun160.h5" 1e-3 0,1,2
check gen:commit-heun-order-2 $GCHK commit_order 2 "$WORK"/gen_cheun{40,80,160}.h5
check gen:commit-euler-order-1 $GCHK commit_order 1 "$WORK"/gen_ceuler{40,80,160}.h5
cli_expect_rc gen:commit-coarse-euler-detected 1 "FAIL" $GCHK commit "$WORK/gen_ceuler40.h5" 1e-3 0,1,2
for n in 200 400; do
    "$BIN" generate "$GEN" -o "$WORK/gen_cddim$n.h5" $GG $CW --set generate.sampler=ddim --set generate.n_steps=$n --quiet
done
check gen:commit-ddim-closed-form $GCHK commit "$WORK/gen_cddim400.h5" 1e-2 0,1,2
check gen:commit-ddim-order-1 $GCHK commit_order 1 "$WORK"/gen_cddim{200,400}.h5
"$BIN" generate "$GEN" -o "$WORK/gen_cmcm.h5" $CW --set generate.n_steps=160 --quiet
check gen:commit-mcm-u-gaussian $GCHK commit "$WORK/gen_cmcm.h5" 1e-3 1
cli_expect_rc gen:commit-mcm-v-not-gaussian 1 "FAIL" $GCHK commit "$WORK/gen_cmcm.h5" 2e-2 2

# The [gaussian] theory's linear denoisers (score = linear): at the optimum the data covariance
# up to sigma_0, sigma_T; during training (tau = 0.3, 3) lambda~_k(tau) of gaussian-theory.md
# §3.2 (one layer, with Ei) and §3.3 (W = P P^T), VP through DDIM; a checkpoint is not the optimum.
GL="--set generate.data=gaussian --set gaussian.spectrum=power --set gaussian.scale=4 --set generate.score=linear"
GL160="$GL --set generate.n_steps=160"
"$BIN" generate "$GEN" -o "$WORK/gen_l0.h5" $GL160 --quiet
check gen:linear-optimum-theory $GCHK modes "$WORK/gen_l0.h5"
check gen:linear-optimum-data-covariance $GCHK modes "$WORK/gen_l0.h5" data
for tau in 0.3 3; do
    "$BIN" generate "$GEN" -o "$WORK/gen_l$tau.h5" $GL160 --set generate.tau=$tau --quiet
    check gen:linear-tau$tau-lambda-tilde $GCHK modes "$WORK/gen_l$tau.h5"
done
cli_expect_rc gen:linear-checkpoint-not-optimum 1 "FAIL" $GCHK modes_vs "$WORK/gen_l3.h5" "$WORK/gen_l0.h5"
"$BIN" generate "$GEN" -o "$WORK/gen_l2.h5" $GL160 --set generate.tau=3 --set gaussian.model=twolayer --quiet
check gen:linear-twolayer-lambda-tilde $GCHK modes "$WORK/gen_l2.h5"
"$BIN" generate "$GEN" -o "$WORK/gen_lv.h5" $GL --set generate.tau=3 --set gaussian.process=vp \
    --set generate.sampler=ddim --set generate.n_steps=800 --set generate.n_samples=10000 --quiet
check gen:linear-vp-ddim-lambda-tilde $GCHK modes "$WORK/gen_lv.h5"

# Teleportation with the exact MCM score: kurt(v) between exact and 0, monotone in sigma_skip.
curve=("$WORK/gen_ex.h5")
for s in 10 2 1 0.5 0.25 0.1 0.002; do
    "$BIN" generate "$GEN" -o "$WORK/gen_sk$s.h5" --set generate.sigma_skip=$s --quiet
    curve+=("$WORK/gen_sk$s.h5")
done
check gen:teleport-curve-monotone $GCHK curve "${curve[@]}"
$GCHK curve "${curve[@]}" | sed 's/^/    /'
# EDM's N = 18 grid (n_steps = 17): skipping k = 4 levels jumps to sigma 19.352, NFE 2 (17 - 4).
cli_expect_rc gen:skip-steps-nfe 0 "|    26     8" "$BIN" generate "$GEN" -o "$WORK/gen_k.h5" \
    --set generate.n_steps=17 --set generate.skip_steps=4 --set generate.n_samples=10
check gen:skip-steps-level $PY -c "import h5py,sys; a=h5py.File(sys.argv[1])['/generate'].attrs['sigma_skip']; sys.exit(int(abs(a-19.352)>1e-3))" "$WORK/gen_k.h5"
cli_expect_rc gen:nfe-saved 0 "|    76    84" "$BIN" generate "$GEN" -o "$WORK/gen_n.h5" --set generate.sigma_skip=2 --set generate.n_samples=10

# Rank-count independence: 3 tasks on 1 and 2 ranks, bitwise.
R3="--set run.n_seeds=3 --set generate.n_samples=2000 --set generate.n_write=3 --quiet"
"$BIN" generate "$GEN" -o "$WORK/gen_r1.h5" $R3
mpirun_n 2 "$BIN" generate "$GEN" -o "$WORK/gen_r2.h5" $R3
check gen:two-ranks-bitwise $GCHK same "$WORK/gen_r1.h5" "$WORK/gen_r2.h5"
mpirun_n 4 "$BIN" generate "$GEN" -o "$WORK/gen_r4.h5" $R3 --set generate.sigma_skip=1
"$BIN" generate "$GEN" -o "$WORK/gen_r1s.h5" $R3 --set generate.sigma_skip=1
check gen:four-ranks-idle-bitwise $GCHK same "$WORK/gen_r1s.h5" "$WORK/gen_r4.h5"
check gen:trajectories $GCHK traj "$WORK/gen_r4.h5"
cli_expect_rc gen:dry-run 0 "nothing computed or written" "$BIN" generate "$GEN" -o "$WORK/gen_dry.h5" --dry-run
check gen:dry-run-writes-nothing test ! -e "$WORK/gen_dry.h5" -a ! -e "$WORK/gen_dry.h5.partial"

# Bad input: exit 2 with file:line, the key and the reason, no output file.
genbad() { # genbad NAME FRAGMENT ARGS...
    local name=$1 frag=$2; shift 2
    check_usage "gen:bad-$name" "$frag" "$WORK/gen_bad.h5" "$BIN" generate "$GEN" -o "$WORK/gen_bad.h5" "$@"
}
genbad linear-mcm "key 'generate.score': linear is the trained denoiser of the [gaussian] theory" --set generate.score=linear
genbad linear-flowmatch "key 'gaussian.model': flowmatch trains a velocity" --set generate.score=linear --set generate.data=gaussian --set gaussian.model=flowmatch
genbad linear-process "key 'gaussian.process': the linear denoisers were trained on the edm process" --set generate.score=linear --set generate.data=gaussian --set generate.sampler=ddim
genbad linear-init-q "key 'gaussian.init_q': 2 values for mcm.d = 16" --set generate.score=linear --set generate.data=gaussian --set gaussian.init_q=0.1,0.2
genbad threshold "key 'generate.score': no exact score for this MCM" --set mcm.coupling=threshold
genbad random-spikes "key 'generate.data': the MCM's Gaussian clone" --set mcm.spikes=random
genbad file-spectrum "key 'gaussian.spectrum': generate needs the spectrum" --set generate.data=gaussian --set gaussian.spectrum=file --set gaussian.file=x.h5
genbad sigma-order "key 'generate.sigma_max': 0.001 is not above" --set generate.sigma_max=0.001
genbad skip-range "key 'generate.sigma_skip': 100 lies outside" --set generate.sigma_skip=100
genbad skip-both "key 'generate.skip_steps': 2 steps and generate.sigma_skip = 1" --set generate.skip_steps=2 --set generate.sigma_skip=1
genbad skip-beyond "key 'generate.skip_steps': 90 is beyond the schedule's generate.n_steps = 80" --set generate.skip_steps=90
