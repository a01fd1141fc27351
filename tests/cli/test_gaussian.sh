# `mcmsim gaussian`: the Gaussian linear-denoiser theory on input/spectral_bias.ini, its file
# against closed forms recomputed with numpy (tests/lib/gauss_check.py), rank-count
# independence, spectra from HDF5 files, and bad input (exit 2, no output). Sourced.
GINI=$ROOT/input/spectral_bias.ini
GCK="$PY $ROOT/tests/lib/gauss_check.py"
H5C="$PY $ROOT/tests/lib/h5check.py"
G16="--set mcm.d=16 --set gaussian.n_tau=20"

cli_expect_rc gauss:help 0 "mcmsim gaussian CONFIG" "$BIN" gaussian --help
cli_expect_rc gauss:help-with-config 0 "usage: mcmsim" "$BIN" gaussian "$GINI" --help

gout=$WORK/gauss.h5
cli_expect_rc gauss:run 0 "wrote $gout" "$BIN" gaussian "$GINI" -o "$gout"
check gauss:output-complete $H5C complete "$gout"
check gauss:no-partial-left test ! -e "$gout.partial"
cli_expect_rc gauss:table 0 "alpha (all, 256 modes) = 0.98" "$BIN" gaussian "$GINI" -o "$WORK/gauss_t.h5"
check gauss:onelayer-vs-numpy $GCK onelayer "$gout"
g2=$WORK/gauss_two.h5
cli_expect_rc gauss:twolayer 0 "wrote" "$BIN" gaussian "$GINI" -o "$g2" \
    --set gaussian.model=twolayer --set gaussian.criterion=harmonic --set gaussian.init_q=0.003
check gauss:twolayer-vs-numpy $GCK twolayer "$g2"
cli_expect_rc gauss:vp-quadrature 0 "quadrature" "$BIN" gaussian "$GINI" -o "$WORK/gauss_vp.h5" \
    --set gaussian.process=vp $G16
check gauss:vp-complete $H5C complete "$WORK/gauss_vp.h5"
mpirun_n 2 "$BIN" gaussian "$GINI" -o "$WORK/gauss_vp2.h5" --set gaussian.process=vp $G16 --quiet
check gauss:two-ranks-identical $GCK same "$WORK/gauss_vp.h5" "$WORK/gauss_vp2.h5"
cli_expect_rc gauss:dry-run 0 "nothing computed or written" "$BIN" gaussian "$GINI" -o "$WORK/gdry.h5" --dry-run
check gauss:dry-run-writes-nothing test ! -e "$WORK/gdry.h5" -a ! -e "$WORK/gdry.h5.partial"

# A spectrum read from a file gives the same theory as the same law.
for k in good nan negative empty matrix; do $GCK spectrum "$WORK/spec_$k.h5" $k; done
FS="--set gaussian.spectrum=file --set gaussian.n_tau=20"
cli_expect_rc gauss:file-spectrum 0 "wrote" "$BIN" gaussian "$GINI" -o "$WORK/gf.h5" $FS --set mcm.d=16 \
    --set gaussian.file="$WORK/spec_good.h5"
"$BIN" gaussian "$GINI" -o "$WORK/gl.h5" --set mcm.d=16 --set gaussian.n_tau=20 --quiet
check gauss:file-equals-law $GCK same "$WORK/gf.h5" "$WORK/gl.h5" 1e-13 # 1/k vs pow(k, -1)

# Bad input: exit 2 with the key and the reason, no output file.
gbad() { # gbad NAME FRAGMENT ARGS...
    local name=$1 frag=$2; shift 2
    rm -f "$WORK/gbad.h5"
    check_usage "gauss:bad-$name" "$frag" "$WORK/gbad.h5" "$BIN" gaussian "$GINI" -o "$WORK/gbad.h5" "$@"
}
gbad file-nan "holds nan at index 3, expected positive finite" $FS --set mcm.d=16 --set gaussian.file="$WORK/spec_nan.h5"
gbad file-negative "holds -0.25 at index 5" $FS --set mcm.d=16 --set gaussian.file="$WORK/spec_negative.h5"
gbad file-empty "holds 0 values, expected 1 to" $FS --set mcm.d=16 --set gaussian.file="$WORK/spec_empty.h5"
gbad file-matrix "has 2 dimension(s), expected a 1-D array" $FS --set mcm.d=16 --set gaussian.file="$WORK/spec_matrix.h5"
gbad file-missing "key 'gaussian.file': cannot read" $FS --set mcm.d=16 --set gaussian.file="$WORK/none.h5"
gbad file-no-dataset "no dataset '/x'" $FS --set mcm.d=16 --set gaussian.file="$WORK/spec_good.h5" --set gaussian.dataset=/x
gbad file-length "holds 16 variances for mcm.d = 32" $FS --set mcm.d=32 --set gaussian.file="$WORK/spec_good.h5"
gbad file-init-q "key 'gaussian.init_q': 2 values for 16 modes" $FS --set mcm.d=16 --set gaussian.file="$WORK/spec_good.h5" --set gaussian.init_q=0.1,0.2
gbad two-dims "takes one dimension (got 2)" --set mcm.d=16,32
gbad list-negative "key 'gaussian.lambdas': element 2: -1 is out of range" --set mcm.d=3 --set gaussian.spectrum=list --set gaussian.lambdas=1,-1,2
gbad list-empty "'list' needs variances in gaussian.lambdas" --set mcm.d=3 --set gaussian.spectrum=list
gbad law-underflow "mode 2 has variance 0" --set mcm.d=4 --set gaussian.spectrum=exponential --set gaussian.exponent=1000
gbad gd-twolayer "discrete GD is implemented for the linear law only" --set gaussian.model=twolayer --set gaussian.dynamics=gd
