# `mcmsim run` on Gaussian data (data.source = gaussian): input/spectral_bias.ini at d = 64,
# its /gaussian/sgd next to /gaussian/theory (tests/lib/gsgd_check.py): the layout and the
# self-description, SGD within its noise of the gradient flow, the emergence exponent alpha of
# SGD in a band around 1 (and a single trained level, which loses the spectral bias, outside
# it), W = P P^T, the theory equal to `mcmsim gaussian`'s, 1 vs 2 ranks, the random basis on
# 1, 2 and 4 ranks, bad input (exit 2, no output). Sourced by tests/run_tests.sh.
GINI=$ROOT/input/spectral_bias.ini
GSC="$PY $ROOT/tests/lib/gsgd_check.py"
GS64="--set mcm.d=64 --set train.steps_alpha=5000 --set observe.n_obs=40 --set observe.n_eval=64"
GSD=$WORK/gsgd
mkdir -p "$GSD"

for np in 1 2 4; do
    check "gsgd:basis-orthogonal-np$np" mpirun_n $np "$ROOT/$BUILD/tests/mpi_gbasis" 150 16 "$GSD/basis_$np.bin"
done
check gsgd:basis-same-on-any-grid "$PY" -c "
import numpy as np
a = [np.fromfile('$GSD/basis_%d.bin' % p) for p in (1, 2, 4)]
assert max(np.abs(x - a[0]).max() for x in a) < 1e-12, 'bases differ between rank counts'"

# SGD next to the theory, one layer (random basis, 5 levels, B = 64).
g1=$GSD/lin.h5
cli_expect_rc gsgd:run 0 "alpha (all modes): SGD" "$BIN" run "$GINI" -o "$g1" $GS64
check gsgd:layout $GSC layout "$g1"
check gsgd:flow $GSC flow "$g1"
check gsgd:alpha-near-one $GSC alpha "$g1" 0.9 1.1
"$BIN" gaussian "$GINI" -o "$GSD/theory.h5" --set mcm.d=64 --quiet
check gsgd:theory-equals-gaussian-command $GSC theory "$g1" "$GSD/theory.h5"
mpirun_n 2 "$BIN" run "$GINI" -o "$GSD/lin2.h5" $GS64 --quiet
check gsgd:two-ranks-same $GSC close "$g1" "$GSD/lin2.h5" 1e-9
# A deliberately wrong estimator, the emergence of the weights at the one level sigma = 1
# (time constants 1 / (2 (1 + lambda)): hardly any spectral bias), must fail the same band.
if $GSC alpha "$g1" 0.9 1.1 weight >/dev/null 2>&1; then fail gsgd:alpha-rejects-weight-estimator "accepted"
else pass gsgd:alpha-rejects-weight-estimator; fi

# W = P P^T (two-layer logistic law), identity basis, online SGD with B = 1 at a smaller step.
g2=$GSD/sym.h5
cli_expect_rc gsgd:symlinear 0 "wrote" "$BIN" run "$GINI" -o "$g2" $GS64 --set model.family=symlinear \
    --set model.K=64 --set gaussian.model=twolayer --set gaussian.basis=identity
check gsgd:symlinear-layout $GSC layout "$g2"
check gsgd:symlinear-alpha $GSC alpha "$g2" 0.9 1.1

# Dry runs: the memory estimate, nothing written; the large input of the cluster.
cli_expect_rc gsgd:dry-run 0 "nothing computed or written" "$BIN" run "$GINI" -o "$GSD/dry.h5" --dry-run
check gsgd:dry-run-writes-nothing test ! -e "$GSD/dry.h5" -a ! -e "$GSD/dry.h5.partial"
cli_expect_rc gsgd:large-dry-run 0 "memory" "$BIN" run "$ROOT/input/spectral_bias_large.ini" \
    -o "$GSD/large.h5" --dry-run

# Bad input: exit 2 with the key, no output.
$PY "$ROOT/tests/lib/gauss_check.py" spectrum "$GSD/spec_nan.h5" nan
$PY "$ROOT/tests/lib/gauss_check.py" spectrum "$GSD/spec_empty.h5" empty
check_usage gsgd:bad-file-nan "holds nan at index 3, expected positive finite" "$GSD/bad.h5" \
    "$BIN" run "$GINI" -o "$GSD/bad.h5" --set mcm.d=16 --set gaussian.spectrum=file \
    --set gaussian.file="$GSD/spec_nan.h5"
check_usage gsgd:bad-file-empty "holds 0 values" "$GSD/bad.h5" \
    "$BIN" run "$GINI" -o "$GSD/bad.h5" --set mcm.d=16 --set gaussian.spectrum=file \
    --set gaussian.file="$GSD/spec_empty.h5"
check_usage gsgd:bad-stats "'gaussian' is read by 'mcmsim run' and 'mcmsim gaussian' only" \
    "$GSD/bad.h5" "$BIN" stats "$GINI" -o "$GSD/bad.h5"

# A STOP file: checkpoint (the eigenbasis series travel in it), exit 3; --restart ends with
# /gaussian/sgd bitwise equal to the uninterrupted run's.
mkdir -p "$GSD/stop" && touch "$GSD/stop/STOP"
(cd "$GSD/stop" && "$BIN" run "$GINI" -o out.h5 $GS64 --set checkpoint.dir=. --quiet >/dev/null 2>&1); rc=$?
[ "$rc" -eq 3 ] && [ -e "$GSD/stop/CONTINUE" ] && pass gsgd:stop-exit-3 || fail gsgd:stop-exit-3 "exit $rc"
(cd "$GSD/stop" && "$BIN" run "$GINI" -o out.h5 $GS64 --set checkpoint.dir=. --restart --quiet >/dev/null 2>&1)
check gsgd:restart-identical $GSC close "$g1" "$GSD/stop/out.h5" 0

# The three plots: per-mode learning curves, tau* vs lambda with alpha, KL vs tau.
check gsgd:plot $PY "$ROOT/postprocess/plot_gauss.py" "$g1" -o "$GSD/plot.png"
check gsgd:plot-is-png bash -c "[ \$(stat -c %s '$GSD/plot.png') -gt 40000 ] && head -c 8 '$GSD/plot.png' | grep -q PNG"
check gsgd:plot-theory-only $PY "$ROOT/postprocess/plot_gauss.py" "$GSD/theory.h5" -o "$GSD/plot_t.png"

# spectrum = empirical: the sample covariance (PDSYEVD) of MCM samples and of a user data set
# as the spectrum, its eigenvectors as the basis (issue 12: the Gaussian equivalent of data).
cli_expect_rc gsgd:empirical-mcm 0 "wrote" "$BIN" gaussian "$GINI" -o "$GSD/emp_mcm.h5" --set mcm.d=64 \
    --set gaussian.spectrum=empirical --set gaussian.n_empirical=6400 --set mcm.beta_u=5
check gsgd:empirical-mcm-bbp $GSC empirical "$GSD/emp_mcm.h5" 5
$GSC planted "$GSD/planted.h5"
EMP="--set mcm.d=8 --set gaussian.spectrum=empirical --set data.file=$GSD/planted.h5 --set data.dataset=x"
cli_expect_rc gsgd:empirical-file-run 0 "empirical eigen basis" "$BIN" run "$GINI" -o "$GSD/emp_run.h5" $EMP \
    --set train.steps_alpha=2000 --set observe.n_obs=20
check gsgd:empirical-file-spectrum $GSC planted-check "$GSD/emp_run.h5"
check gsgd:empirical-file-layout $GSC layout "$GSD/emp_run.h5"
mpirun_n 2 "$BIN" run "$GINI" -o "$GSD/emp_run2.h5" $EMP --set train.steps_alpha=2000 --set observe.n_obs=20 --quiet
check gsgd:empirical-two-ranks $GSC close "$GSD/emp_run.h5" "$GSD/emp_run2.h5" 1e-9
check_usage gsgd:bad-empirical-singular "leave the sample covariance singular" "$GSD/bad.h5" \
    "$BIN" run "$GINI" -o "$GSD/bad.h5" $EMP --set gaussian.n_empirical=5

# Finite training sets (gaussian-theory.md §2.1, §5): n = 2 d samples per replica, shared by its
# levels. Full-batch GD (gaussian.sgd_batch = full) is GD on the set's second moment S: every
# observation equals that closed form and the end S (S + sigma^2)^-1 to 1e-8 relative, while
# the population optimum (a deliberately wrong reference) fails the same check; u_k^T S u_k has
# mean lambda_k and variance 2 lambda_k^2 / n (lambda_k^2 / n must fail); mini-batch SGD with
# the noise redrawn settles at the finite-set optimum, not at the population one.
GFIN="--set mcm.d=32 --set train.data=finite --set train.n_train_alpha=2 --set observe.n_eval=16"
GFGD="$GFIN --set sweep.t=0.5,1 --set run.n_seeds=8 --set gaussian.sgd_batch=full --set train.steps_alpha=4000 --set observe.n_obs=30"
cli_expect_rc gsgd:finite-full-batch 0 "full-batch GD on the loss averaged exactly" "$BIN" run "$GINI" \
    -o "$GSD/fgd.h5" $GFGD
check gsgd:finite-full-batch-layout $GSC layout "$GSD/fgd.h5"
check gsgd:finite-gd-is-empirical-gd $GSC finite-gd "$GSD/fgd.h5"
if $GSC finite-gd "$GSD/fgd.h5" population >/dev/null 2>&1; then fail gsgd:finite-gd-rejects-population "accepted"
else pass gsgd:finite-gd-rejects-population; fi
check gsgd:finite-spectrum-chi2 $GSC finite-spectrum "$GSD/fgd.h5"
if $GSC finite-spectrum "$GSD/fgd.h5" 0.5 >/dev/null 2>&1; then fail gsgd:finite-spectrum-rejects-half-variance "accepted"
else pass gsgd:finite-spectrum-rejects-half-variance; fi
mpirun_n 2 "$BIN" run "$GINI" -o "$GSD/fgd2.h5" $GFGD --quiet
check gsgd:finite-two-ranks-same $GSC close "$GSD/fgd.h5" "$GSD/fgd2.h5" 1e-9
cli_expect_rc gsgd:finite-sgd 0 "finite training set of 64 samples" "$BIN" run "$GINI" -o "$GSD/fsgd.h5" \
    $GFIN --set sweep.t=none --set run.n_seeds=4 --set train.batch=64 --set train.steps_alpha=10000 \
    --set observe.n_obs=300
check gsgd:finite-sgd-settles-at-empirical $GSC finite-sgd "$GSD/fsgd.h5" finite 0.3
if $GSC finite-sgd "$GSD/fsgd.h5" population 0.3 >/dev/null 2>&1; then fail gsgd:finite-sgd-rejects-population "accepted"
else pass gsgd:finite-sgd-rejects-population; fi
check_usage gsgd:bad-finite-bias "the finite-set theory is the bias-free one" "$GSD/bad.h5" \
    "$BIN" run "$GINI" -o "$GSD/bad.h5" $GFIN --set model.bias=true
check_usage gsgd:bad-full-frozen "averages the loss over the noise" "$GSD/bad.h5" \
    "$BIN" run "$GINI" -o "$GSD/bad.h5" $GFGD --set train.noise=frozen

# The stationary fluctuation of online mini-batch SGD at one level (§5.3), d = 16, B = 4,
# eta = 0.1: the measured variance of u_k^T W u_k over 16 replicas equals the exact
# discrete-time prediction /gaussian/sgd/stationary_var within 5 SE; the small-eta form
# eta rho / B (a factor ~2.7 here), B doubled and the residual without sigma^2 W W^T must fail.
GST="--set mcm.d=16 --set train.batch=4 --set optim.delta=0.1 --set sweep.t=none --set diffusion.t=1 --set run.n_seeds=16 --set train.steps_alpha=100000 --set observe.n_obs=200 --set observe.n_eval=8"
mpirun_n 2 "$BIN" run "$GINI" -o "$GSD/stat.h5" $GST --quiet
check gsgd:stationary-variance $GSC stationary "$GSD/stat.h5"
for v in lead batch2 nosigma; do
    if $GSC stationary "$GSD/stat.h5" $v >/dev/null 2>&1; then fail gsgd:stationary-rejects-$v "accepted"
    else pass gsgd:stationary-rejects-$v; fi
done

# Sampled levels with EDM weighting and preconditioning (gaussian.precond = edm): one shared V,
# ln sigma ~ N(p_mean, p_std^2) per sample, D = c_skip x + c_out V c_in x, weight w(sigma). gf is
# the shared map's exact flow (recomputed independently by the check to 1e-9); SGD's replica
# mean follows it within its noise; the law without w(sigma) is rejected.
GPC0="--set mcm.d=16 --set gaussian.precond=edm --set diffusion.t=1 --set train.steps_alpha=10000 --set observe.n_obs=40 --set observe.n_eval=16 --set gaussian.tau_max=1000"
GPC="$GPC0 --set sweep.t=none"
mpirun_n 2 "$BIN" run "$GINI" -o "$GSD/pc.h5" $GPC --set run.n_seeds=8 --quiet
check gsgd:precond-layout $GSC layout "$GSD/pc.h5"
check gsgd:precond-follows-shared-flow $GSC shared "$GSD/pc.h5"
if $GSC shared "$GSD/pc.h5" noweight >/dev/null 2>&1; then fail gsgd:precond-rejects-unweighted "accepted"
else pass gsgd:precond-rejects-unweighted; fi
cli_expect_rc gsgd:precond-symlinear 0 "wrote" "$BIN" run "$GINI" -o "$GSD/pcs.h5" $GPC --set run.n_seeds=2 \
    --set model.family=symlinear --set model.K=16 --set gaussian.model=twolayer --set gaussian.init_q=0.1
check gsgd:precond-symlinear-layout $GSC layout "$GSD/pcs.h5"
check_usage gsgd:bad-precond-levels "samples the levels from p(ln sigma) for one shared V" "$GSD/bad.h5" \
    "$BIN" run "$GINI" -o "$GSD/bad.h5" $GPC0 --set sweep.t=0.5,1

# Not aligned (gaussian.sgd_init = model): the generated variances by the time-ordered PF-ODE
# of U^T W U (core/gpfode.h). W(0) = 0 under full-batch GD stays aligned: the PF-ODE equals the
# per-mode closed form to its integration error; a random start: the diagonal readout misses
# while the off-diagonal part lasts and agrees once GD has removed it; 1 vs 2 ranks.
GNA="--set mcm.d=16 --set gaussian.sgd_init=model --set gaussian.init_q=0 --set gaussian.sgd_batch=full --set train.steps_alpha=3000 --set observe.n_obs=30 --set observe.n_eval=16"
cli_expect_rc gsgd:ode-run 0 "wrote" "$BIN" run "$GINI" -o "$GSD/na0.h5" $GNA
check gsgd:ode-layout $GSC layout "$GSD/na0.h5"
check gsgd:ode-aligned-equals-closed-form $GSC ode "$GSD/na0.h5" aligned
mpirun_n 2 "$BIN" run "$GINI" -o "$GSD/na0b.h5" $GNA --quiet
check gsgd:ode-two-ranks-same $GSC close "$GSD/na0.h5" "$GSD/na0b.h5" 1e-9
"$BIN" run "$GINI" -o "$GSD/na1.h5" $GNA --set model.init2=small --set model.init2_scale=0.5 --quiet
check gsgd:ode-nonaligned $GSC ode "$GSD/na1.h5" nonaligned
