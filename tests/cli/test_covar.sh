# The distributed covariance engine (`mcmsim covar`): PCA vs BBP, the population covariance,
# grid independence, clones, user data sets and their errors. Sourced by tests/run_tests.sh.
CC="$PY $ROOT/tests/lib/covar_check.py"
CV=$WORK/covar
mkdir -p "$CV"
q="--quiet"

# The shipped study runs as is (acceptance), then a denser replica set checks BBP.
check covar:pca-bbp-ini mpirun_n 2 "$BIN" covar "$ROOT/input/pca_bbp.ini" -o "$CV/pca.h5" $q
check covar:pca-bbp-ini-physics $CC bbp "$CV/pca.h5"
check covar:bbp-16-replicas mpirun_n 2 "$BIN" covar "$ROOT/input/pca_bbp.ini" -o "$CV/bbp.h5" $q \
    --set mcm.d=400 --set run.n_seeds=16 --set covar.alpha=0.25,0.5,3,6,16
check covar:bbp-16-replicas-physics $CC bbp "$CV/bbp.h5"
# Coupled latents (nu = sign lambda) tilt the population spike toward v (V5): BBP for the top
# eigenpair of the exact (u, v) block.
check covar:bbp-coupled mpirun_n 2 "$BIN" covar "$ROOT/input/pca_bbp.ini" -o "$CV/bbp_c.h5" $q \
    --set mcm.d=400 --set run.n_seeds=16 --set covar.alpha=0.1,3,16 --set mcm.coupling=sign
check covar:bbp-coupled-physics $CC bbp "$CV/bbp_c.h5"
# A wrong spike strength in the theory column must fail the same check (the test can fail).
check covar:bbp-check-can-fail mpirun_n 2 "$BIN" covar "$ROOT/input/pca_bbp.ini" -o "$CV/bbp_wrong.h5" $q \
    --set mcm.d=400 --set run.n_seeds=8 --set covar.alpha=4,16 --set mcm.beta_u=1.6
check covar:bbp-wrong-beta-detected $PY -c "
import h5py, subprocess, sys
f = h5py.File('$CV/bbp_wrong.h5', 'r+')
f['config'].attrs['mcm.beta_u'] = b'1'   # pretend the data had beta_u = 1
f['covar/bbp_overlap2'][...] = [((1 - 1/a) / (1 + 1/a)) for a in f['covar/alpha'][()]]
f['covar/bbp_lambda'][...] = [2 * (1 + 1/a) for a in f['covar/alpha'][()]]
f.close()
r = subprocess.run(['$PY', '$ROOT/tests/lib/covar_check.py', 'bbp', '$CV/bbp_wrong.h5'])
sys.exit(0 if r.returncode == 1 else 1)"

# Sample covariance vs the population covariance, independent and sign-coupled latents.
pop="--set mcm.d=30 --set run.n_seeds=1 --set covar.save_matrix=true --set covar.block=1000"
# shellcheck disable=SC2086
check covar:popcov-independent mpirun_n 2 "$BIN" covar "$ROOT/input/pca_bbp.ini" -o "$CV/pop_i.h5" $q $pop --set mcm.beta_u=3 --set covar.alpha=700
check covar:popcov-independent-physics $CC popcov "$CV/pop_i.h5"
# shellcheck disable=SC2086
check covar:popcov-coupled mpirun_n 2 "$BIN" covar "$ROOT/input/pca_bbp.ini" -o "$CV/pop_c.h5" $q $pop --set mcm.beta_u=3 --set mcm.coupling=sign --set covar.alpha=700
check covar:popcov-coupled-physics $CC popcov "$CV/pop_c.h5"
check covar:popcov-detects-coupling $PY -c "
import h5py, shutil, subprocess, sys
shutil.copy('$CV/pop_c.h5', '$CV/pop_x.h5')
f = h5py.File('$CV/pop_x.h5', 'r+'); f['config'].attrs['mcm.coupling'] = b'independent'; f.close()
r = subprocess.run(['$PY', '$ROOT/tests/lib/covar_check.py', 'popcov', '$CV/pop_x.h5'])
sys.exit(0 if r.returncode == 1 else 1)"

# Grids 1x1, 1x2, 2x1, 2x2 and two groups of 1x1: the same spectra to rounding.
grid="--set mcm.d=150 --set run.n_seeds=2 --set covar.alpha=0.5,3 --set covar.block_size=16 --set covar.block=100"
# shellcheck disable=SC2086
check covar:grid-1x1 mpirun_n 1 "$BIN" covar "$ROOT/input/pca_bbp.ini" -o "$CV/g11.h5" $q $grid
# shellcheck disable=SC2086
check covar:grid-1x2 mpirun_n 2 "$BIN" covar "$ROOT/input/pca_bbp.ini" -o "$CV/g12.h5" $q $grid
# shellcheck disable=SC2086
check covar:grid-2x1-pdsyevr mpirun_n 2 "$BIN" covar "$ROOT/input/pca_bbp.ini" -o "$CV/g21.h5" $q $grid \
    --set covar.grid_rows=2 --set covar.grid_cols=1 --set covar.solver=pdsyevr
# shellcheck disable=SC2086
check covar:grid-2x2 mpirun_n 4 "$BIN" covar "$ROOT/input/pca_bbp.ini" -o "$CV/g22.h5" $q $grid
# shellcheck disable=SC2086
check covar:groups-2 mpirun_n 2 "$BIN" covar "$ROOT/input/pca_bbp.ini" -o "$CV/gg.h5" $q $grid --set covar.groups=2
check covar:grids-agree $CC grids 1e-11 "$CV/g11.h5" "$CV/g12.h5" "$CV/g21.h5" "$CV/g22.h5" "$CV/gg.h5"

# Clone samples of the covariance (Gaussian and mean clone).
# shellcheck disable=SC2086
check covar:clones mpirun_n 2 "$BIN" covar "$ROOT/input/pca_bbp.ini" -o "$CV/cl.h5" $q $pop --set clone.n_samples=20000 --set covar.alpha=50
check covar:clones-physics $CC clone "$CV/cl.h5"

# A user data set: the samples of task 0 written by `mcmsim sample` give the same covariance
# as drawing them from the MCM; a float32 copy agrees to single precision.
ud="--set mcm.d=40 --set run.n_seeds=1"
# shellcheck disable=SC2086
check covar:userdata-make mpirun_n 2 "$BIN" sample "$ROOT/input/pca_bbp.ini" -o "$CV/ud.h5" $q $ud --set sample.n=2000
check covar:userdata-float32 $PY -c "
import h5py, numpy as np
s = h5py.File('$CV/ud.h5', 'r')
with h5py.File('$CV/ud32.h5', 'w') as f:
    f['x'] = s['samples/x0'][()].astype(np.float32)
    for k in 'muv': f['spikes/' + k] = s['model/' + k][()]
    f['x3'] = np.zeros((4, 40, 2)); f['xi'] = np.zeros((100, 40), dtype=np.int32)
    x = np.ones((100, 40)); x[57, 3] = np.nan; f['xnan'] = x"
udc="--set data.dataset=/samples/x0 --set data.spikes=/model --set covar.alpha=none"
# shellcheck disable=SC2086
check covar:userdata-run mpirun_n 2 "$BIN" covar "$ROOT/input/pca_bbp.ini" -o "$CV/ud_cov.h5" $q $ud $udc --set data.file="$CV/ud.h5"
# shellcheck disable=SC2086
check covar:userdata-mcm mpirun_n 2 "$BIN" covar "$ROOT/input/pca_bbp.ini" -o "$CV/ud_mcm.h5" $q $ud --set covar.alpha=50
check covar:userdata-equals-mcm $CC same_data "$CV/ud_cov.h5" "$CV/ud_mcm.h5" 1e-13
# shellcheck disable=SC2086
check covar:userdata-float32-run mpirun_n 2 "$BIN" covar "$ROOT/input/pca_bbp.ini" -o "$CV/ud32_cov.h5" $q $ud \
    --set data.file="$CV/ud32.h5" --set data.dataset=x --set data.spikes=spikes --set covar.alpha=none
check covar:userdata-float32-close $CC same_data "$CV/ud32_cov.h5" "$CV/ud_mcm.h5" 1e-5

# Bad user data and bad grids: exit 2, the reason, no output file.
bad() { # bad NAME FRAGMENT SETTINGS...
    local name=$1 frag=$2; shift 2
    check_usage "covar:bad-$name" "$frag" "$CV/bad.h5" mpirun_n 2 "$BIN" covar "$ROOT/input/pca_bbp.ini" -o "$CV/bad.h5" $q $ud "$@"
}
bad missing-file "cannot read" --set data.file="$CV/nope.h5"
bad not-hdf5 "is not an HDF5 file" --set data.file="$ROOT/README.md"
bad missing-dataset "no dataset '/nope'" --set data.file="$CV/ud32.h5" --set data.dataset=/nope
bad wrong-rank "has 3 dimension(s)" --set data.file="$CV/ud32.h5" --set data.dataset=x3
bad integer "is not a float or double array" --set data.file="$CV/ud32.h5" --set data.dataset=xi
bad nan "non-finite value at row 57, column 3" --set data.file="$CV/ud32.h5" --set data.dataset=xnan
bad d-mismatch "key 'mcm.d'" --set data.file="$CV/ud32.h5" --set data.dataset=x --set mcm.d=41
bad too-many-rows "key 'covar.alpha'" --set data.file="$CV/ud32.h5" --set data.dataset=x --set covar.alpha=100
bad spikes "key 'data.spikes'" --set data.file="$CV/ud32.h5" --set data.dataset=x --set data.spikes=/nope
bad no-alpha "key 'covar.alpha'" --set covar.alpha=none
bad k-too-large "key 'covar.k'" --set covar.k=41
bad grid-shape "key 'covar.grid_rows'" --set covar.grid_rows=3 --set covar.grid_cols=1
bad grid-half "key 'covar.grid_rows'" --set covar.grid_rows=2
bad groups "key 'covar.groups'" --set covar.groups=3
bad save-groups "key 'covar.save_matrix'" --set covar.groups=2 --set covar.save_matrix=true
bad block-size "key 'covar.block_size'" --set covar.block_size=0
# 64 x 4096 base tasks (allowed) x 7 sample sizes: refused before the tasks are made.
check_usage covar:bad-too-many-tasks "covariance tasks, expected at most 1048576" "$CV/bad.h5" \
    mpirun_n 2 "$BIN" covar "$ROOT/input/pca_bbp.ini" -o "$CV/bad.h5" $q --set run.n_seeds=4096 \
    --set "mcm.d=$(seq -s, 10 73)"

# --dry-run: memory per rank for the grid, nothing written.
check covar:dry-run-memory bash -c "out=\$(mpirun -np 2 --oversubscribe '$BIN' covar '$ROOT/input/pca_bbp.ini' -o '$CV/dry.h5' --dry-run --set mcm.d=4096); grep -q 'memory per rank' <<< \"\$out\" && grep -q '1 x 2' <<< \"\$out\" && [ ! -e '$CV/dry.h5' ]"

# Postprocessing of covar output.
check covar:plot-pca "$ROOT/postprocess/mcmplot" pca "$CV/pca.h5" -o "$CV/pca.png"
check covar:plot-pca-png test -s "$CV/pca.png"
check covar:plot-pca-refuses-run-file bash -c "! '$ROOT/postprocess/mcmplot' pca '$CV/ud.h5' >/dev/null 2>&1"
