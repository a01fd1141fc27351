# `mcmsim run` with observe.snapshots and `mcmsim generate` with score = model (the trained
# model of the run's snapshots): the snapshots bitwise on 1 and 2 ranks and across a checkpoint,
# the step-0 model D = alpha x against the DDIM product (and two wrong references rejected),
# linear nets on Gaussian data against the theory's weights at the same training time (and a
# shifted clock rejected), rows on 1 and 2 ranks bitwise, refusals (exit 2, no output), the
# plot. Sourced by tests/run_tests.sh.
GMC="$PY $ROOT/tests/lib/gen_model_check.py"
H5C="$PY $ROOT/tests/lib/h5check.py"
GM=$WORK/genmodel
mkdir -p "$GM"
# A K = 2 neuron model with zero output layer at step 0 (D = alpha x), trained over a time range
# on the VP (ou) process: input/simplicity_bias.ini, small.
SB=$ROOT/input/simplicity_bias.ini
SBR="--set mcm.d=16 --set run.n_seeds=2 --set train.steps_alpha=600 --set observe.n_obs=8 --set observe.n_eval=16"
SBG="--set generate.n_steps=6 --set generate.n_samples=20000 --set generate.sigma_max=80 --set generate.sigma_min=0.002"
cli_expect_rc genm:help-score-model 0 "generate.score = model the denoiser is the trained model" "$BIN" generate --help
cli_expect_rc genm:run-snapshots 0 "wrote" "$BIN" run "$SB" -o "$GM/run1.h5" $SBR
mpirun_n 2 "$BIN" run "$SB" -o "$GM/run2.h5" $SBR --quiet
check genm:snapshots-two-ranks-bitwise $H5C same "$GM/run1.h5" "$GM/run2.h5" /snapshots/theta /snapshots/step /snapshots/n_param
check genm:snapshots-described $PY -c "
import h5py, sys
f = h5py.File(sys.argv[1])
for n in ('theta', 'step', 'n_param'):
    a = f['/snapshots/' + n].attrs
    assert 'units' in a and 'description' in a, n
assert f['/snapshots/theta'].shape == (2, 8, 34), f['/snapshots/theta'].shape
assert (f['/snapshots/theta'][:, 0, 32:] == 0).all(), 'a = 0 at step 0'" "$GM/run1.h5"
# Slices of the run merged: the snapshots of the whole run (mcmsim merge joins /snapshots).
"$BIN" run "$SB" -o "$GM/s1.h5" $SBR --set run.slice=1/2 --quiet
"$BIN" run "$SB" -o "$GM/s2.h5" $SBR --set run.slice=2/2 --quiet
"$BIN" merge "$GM/merged.h5" "$GM/s1.h5" "$GM/s2.h5" --quiet
check genm:snapshots-merged-slices $H5C same "$GM/run1.h5" "$GM/merged.h5" /snapshots/theta /snapshots/step /snapshots/n_param
# A checkpoint mid-task (STOP file): the restarted run keeps the same snapshots.
mkdir -p "$GM/ck" && (cd "$GM/ck" && touch STOP &&
    "$BIN" run "$SB" -o out.h5 $SBR --set checkpoint.dir=ck --quiet >/dev/null 2>&1; echo $? > rc &&
    "$BIN" run "$SB" -o out.h5 $SBR --set checkpoint.dir=ck --restart --quiet >/dev/null 2>&1)
check genm:checkpoint-stopped test "$(cat "$GM/ck/rc")" = 3
check genm:snapshots-across-restart $H5C same "$GM/run1.h5" "$GM/ck/out.h5" /snapshots/theta /snapshots/step

# Step 0: D = alpha x exactly, so DDIM multiplies x by alpha_i alpha_{i+1} + sigma_i sigma_{i+1}
# per step: the product over 6 steps (0.419) along u, v and r, excess kurtosis 0.
G="$BIN generate $SB --set generate.run_file=$GM/run1.h5 $SBG"
cli_expect_rc genm:generate 0 "wrote" $G -o "$GM/gen1.h5"
check genm:step0-ddim-product $GMC zero "$GM/gen1.h5" exact
cli_expect_rc genm:step0-continuous-flow-rejected 1 "FAIL" $GMC zero "$GM/gen1.h5" flow
cli_expect_rc genm:step0-off-by-one-grid-rejected 1 "FAIL" $GMC zero "$GM/gen1.h5" offgrid
check genm:steps-per-row $GMC steps "$GM/gen1.h5"
mpirun_n 2 $G -o "$GM/gen2.h5" --quiet
check genm:two-ranks-bitwise $PY "$ROOT/tests/lib/gen_check.py" same "$GM/gen1.h5" "$GM/gen2.h5"

# Linear nets on Gaussian data, one W per level (10 levels, 5 replicas): the generated mode
# variances follow the theory's weights at the same training time (discrete GD with the run's
# eta) on the same levels with the same sampler, within 5 SE of the replica mean (spread over
# replicas: sampling and SGD noise); converged, the data covariance up to sigma_0, sigma_T
# (Heun on 10 levels: 4.4 % at most from the continuous closed form). A clock shifted by one
# snapshot fails.
GLIN=$WORK/genmodel/lin.ini
cat > "$GLIN" <<'INI'
[run]
seed = 2
n_seeds = 5
[mcm]
d = 6
[data]
source = gaussian
[gaussian]
spectrum = power
exponent = 1
scale = 4
basis = identity
model = onelayer
init_q = 0.01
[model]
family = linear
bias = false
[diffusion]
schedule = ve
[sweep]
t = 2, 1.3, 0.8, 0.5, 0.3, 0.2, 0.12, 0.07, 0.04, 0.02
[train]
batch = 32
steps_alpha = 6000
steps_power = 0
[optim]
kind = sgd
delta = 0.02
lr_power = 0
[observe]
n_obs = 8
n_eval = 16
status_every = 0
snapshots = true
[generate]
score = model
sampler = heun
n_samples = 10000
INI
"$BIN" run "$GLIN" -o "$GM/lin.h5" --quiet
cli_expect_rc genm:linear-generate 0 "wrote" "$BIN" generate "$GLIN" -o "$GM/glin.h5" --set generate.run_file="$GM/lin.h5"
check genm:linear-nets-theory-weights $GMC linear "$GM/glin.h5"
cli_expect_rc genm:linear-shifted-clock-rejected 1 "FAIL" $GMC linear "$GM/glin.h5" 1
check genm:linear-converged-data-covariance $GMC converged "$GM/glin.h5" 0.05

# Refusals: exit 2 naming the key, no output.
gmbad() { # gmbad NAME FRAGMENT RUNFILE ARGS...
    local name=$1 frag=$2 rf=$3; shift 3
    check_usage "genm:bad-$name" "$frag" "$GM/bad.h5" "$BIN" generate "$SB" -o "$GM/bad.h5" \
        --set generate.run_file="$rf" "$@"
}
gmbad missing-file "cannot be opened as an HDF5 file" "$GM/nonexistent.h5"
gmbad no-run-file "key 'generate.run_file': none with generate.score = model" none
"$BIN" run "$SB" -o "$GM/nosnap.h5" $SBR --set observe.snapshots=false --quiet
gmbad no-snapshots "has no /snapshots" "$GM/nosnap.h5"
"$BIN" run "$SB" -o "$GM/fixed.h5" $SBR --set train.times=fixed --quiet
gmbad fixed-time "train.times = fixed, the model was trained at a single time only" "$GM/fixed.h5"
"$BIN" run "$SB" -o "$GM/trskip.h5" $SBR --set model.skip=trainable --quiet
gmbad trainable-skip "model.skip = trainable has no time input" "$GM/trskip.h5"
"$BIN" run "$SB" -o "$GM/matched.h5" $SBR --set model.activation=matched_v --set model.K=1 --quiet
gmbad matched-activation "model.activation = matched_v is matched to the time" "$GM/matched.h5"
gmbad wrong-sampler "key 'generate.sampler': the run trained on diffusion.schedule = ou" "$GM/run1.h5" \
    --set generate.sampler=heun
"$BIN" run "$SB" -o "$GM/linmcm.h5" $SBR --set model.family=linear --quiet
gmbad linear-mcm "model.family = linear has no time input and no skip" "$GM/linmcm.h5"
check_usage genm:bad-snapshots-reduced "key 'observe.snapshots': true with train.engine = reduced" \
    "$GM/bad.h5" "$BIN" run "$SB" -o "$GM/bad.h5" $SBR --set train.engine=reduced --set model.K=1

# The simplicity-bias plot: generated kurtosis along v and variance along u against the step.
check genm:plot-gentrain "$ROOT/postprocess/mcmplot" gentrain "$GM/gen1.h5" -o "$GM/simplicity.png"
check genm:plot-nontrivial $PY "$ROOT/tests/lib/imgcheck.py" "$GM/simplicity.png"
"$BIN" generate "$SB" -o "$GM/exact.h5" $SBR --set generate.score=exact --set generate.n_samples=100 --quiet
cli_expect_rc genm:plot-needs-model-score 2 "no generate/step: not written with generate.score = model" \
    "$ROOT/postprocess/mcmplot" gentrain "$GM/exact.h5"

# input/simplicity_bias_v.ini as shipped (~5 s): the README's claim that the generated excess
# kurtosis along v is 0 within 5 SE while w is random (step 0) and clearly negative (below -0.5,
# data -1.65) once w has found v, in both replicas.
SBV=$ROOT/input/simplicity_bias_v.ini
(cd "$GM" && "$BIN" run "$SBV" --quiet && "$BIN" generate "$SBV" -o sbv_gen.h5 --quiet 2>/dev/null)
check genm:simplicity-bias-v-claim $PY -c "
import h5py, sys
g = h5py.File(sys.argv[1])
m, st = g['/generate/moments'][:], g['/generate/step'][:]
k, se = m[:, 2, 3], m[:, 2, 6]
first = st == 0
last = st == st.max()
assert first.sum() == 2 and last.sum() == 2, (first.sum(), last.sum())
assert (abs(k[first]) < 5 * se[first]).all(), ('step 0', k[first], se[first])
assert (k[last] < -0.5).all() and (k[last] < -10 * se[last]).all(), ('end', k[last], se[last])
print('kurtosis along v: step 0', k[first].round(3), 'end', k[last].round(3))" "$GM/sbv_gen.h5"
