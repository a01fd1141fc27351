# End-to-end training tests of `mcmsim run` (serial; also under ASan). Sourced.
TRAIN=$ROOT/tests/cli/train_small.ini
TC="$PY $ROOT/tests/lib/train_check.py"
H5C="$PY $ROOT/tests/lib/h5check.py"

tr=$WORK/train.h5
cli_expect_rc train:single-neuron 0 "wrote $tr" "$BIN" run "$TRAIN" -o "$tr"
check train:output-complete $H5C complete "$tr"
check train:u-learned-v-hidden $TC u_learned_v_hidden "$tr"
corr_args=(--set train.steps_alpha=60 --set mcm.d=200 --set run.n_seeds=12)
cli_expect_rc train:correlated 0 "wrote" "$BIN" run "$TRAIN" -o "$WORK/corr.h5" --set mcm.coupling=sign "${corr_args[@]}"
check train:correlated-top-eigenvector $TC correlated_mixture "$WORK/corr.h5"
# The wrong variant: independent latents leave v hidden, and the same check fails.
"$BIN" run "$TRAIN" -o "$WORK/corr_none.h5" --quiet "${corr_args[@]}"
check train:correlated-check-rejects-independent bash -c '! "$@"' _ $TC correlated_mixture "$WORK/corr_none.h5"
cli_expect_rc train:dry-run 0 "nothing computed or written" "$BIN" run "$TRAIN" -o "$WORK/dry.h5" --dry-run
check train:order "$BIN" run "$TRAIN" -o "$WORK/rev.h5" --set mcm.d=200,100 --quiet
check train:task-order-irrelevant $TC same_by_id "$tr" "$WORK/rev.h5"
check train:sweep "$BIN" run "$TRAIN" -o "$WORK/sweep.h5" --set sweep.beta_v=1,10 --set train.steps_alpha=2 --quiet
check train:sweep-tasks $TC sweep "$WORK/sweep.h5" 12

# Every family, loss, optimiser and data mode runs end to end into a complete file.
small="--set mcm.d=12 --set run.n_seeds=1 --set train.steps_alpha=3 --quiet"
for variant in \
    "neuron-k3-trainable:--set model.K=3 --set model.train_a=true --set model.skip=trainable --set model.init2=small" \
    "twolayer-batch:--set model.family=twolayer --set model.K=4 --set train.batch=8 --set optim.kind=sgd" \
    "mlp-adam:--set model.family=mlp --set model.K=8 --set model.L=3 --set train.batch=16 --set optim.kind=adam --set optim.delta=1e-3 --set optim.lr_power=0 --set model.skip=trainable" \
    "linear:--set model.family=linear --set optim.kind=sgd --set train.batch=4" \
    "symlinear:--set model.family=symlinear --set model.K=2 --set model.init2=small --set optim.kind=sgd" \
    "eps-loss-times-range:--set train.loss=eps --set train.times=range --set train.t_min=0.2 --set train.t_max=1" \
    "score-loss-times-list:--set train.loss=score --set train.times=list --set train.t_list=0.25,0.5,1 --set train.t_weight=sigma2" \
    "finite-frozen:--set train.data=finite --set train.n_train_alpha=2 --set train.noise=frozen --set train.batch=3" \
    "matched-v-cosine:--set model.activation=matched_v --set model.act_scale=1 --set optim.schedule=cosine" \
    "hermite-step-decay:--set model.activation=hermite --set model.hermite_k=3 --set optim.schedule=step --set optim.step_every=10 --set optim.weight_decay=0.01"; do
    name=${variant%%:*}; args=${variant#*:}
    # shellcheck disable=SC2086
    check "train:$name" "$BIN" run "$TRAIN" -o "$WORK/v_$name.h5" $small $args
    check "train:$name-complete" $H5C complete "$WORK/v_$name.h5"
done
# A model with nothing to watch (linear: no rows) must not stop early at step 0.
check train:linear-runs-full-budget $PY -c "
import h5py
f = h5py.File('$WORK/v_linear.h5')
steps, budget = f['summary/steps'][0], 3 * 12
assert steps == budget, 'linear model took %d steps, expected the budget %d' % (steps, budget)"
cli_expect_rc train:status-line 0 "status: " "$BIN" run "$TRAIN" -o "$WORK/status.h5" --set observe.status_every=1e-6 --set mcm.d=100 --set run.n_seeds=1 --set scaling.early_stop=false
check train:quiet-silences-status bash -c "! '$BIN' run '$TRAIN' -o '$WORK/status_q.h5' --quiet --set observe.status_every=1e-6 --set mcm.d=100 --set run.n_seeds=1 | grep -q status"
