# The build for cluster users (README, "Building on a cluster"). Sourced by run_tests.sh.
# A plain `make` installs nothing; every library's flags can be given by hand instead of
# pkg-config; a missing library is named with its Debian package and the variables to set.
BT=$WORK/build_test
mkdir -p "$BT"
bmake() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -C "$ROOT" "$@"; }

# 1. `make` and `make bin` build only: no package installation in their recipes.
out=$(bmake -n all BUILD="$BT/n" 2>&1)
if grep -q "setup-deps" <<<"$out"; then fail build:plain-make-installs-nothing "make -n all runs setup-deps"
else pass build:plain-make-installs-nothing; fi
out=$(bmake -n test BUILD="$BT/n" 2>&1)
if grep -q "setup-deps" <<<"$out"; then pass build:make-test-installs
else fail build:make-test-installs "make -n test does not run setup-deps"; fi

# 2. Flags given by hand, pkg-config disabled (PKG_CONFIG=false), cmocka absent: make bin builds.
MA=$(uname -m)-linux-gnu
# -O0 for speed; WERROR= since gcc 12 warns falsely at -O0 about the target clones of model_neuron.
hand=(PKG_CONFIG=false CMOCKA_PC=none OPT=-O0 WERROR= MPI_CFLAGS= MPI_LIBS=
    SCALAPACK_CFLAGS= "SCALAPACK_LIBS=-L/usr/lib/$MA/openblas-pthread -lscalapack-openmpi -llapack"
    HDF5_CFLAGS=-I/usr/include/hdf5/openmpi "HDF5_LIBS=-L/usr/lib/$MA/hdf5/openmpi -lhdf5"
    BLAS_CFLAGS= "BLAS_LIBS=-L/usr/lib/$MA/openblas-pthread -lblas"
    GSL_CFLAGS= GSL_LIBS=-lgsl INIH_CFLAGS= INIH_LIBS=-linih)
if out=$(bmake -j2 bin BUILD="$BT/hand" "${hand[@]}" 2>&1); then
    pass build:flags-by-hand
    n_user=$(grep -o "_SRC='useruser'" "$BT/hand/libs.env" | wc -l)
    if [ "$n_user" -eq 6 ]; then pass build:flags-by-hand-used
    else fail build:flags-by-hand-used "$n_user of 6 libraries took the hand-given flags"; fi
    cli_expect_rc build:flags-by-hand-runs 0 "wrote" "$BT/hand/mcmsim" stats "$ROOT/tests/cli/small.ini" -o "$BT/hand.h5"
else
    fail build:flags-by-hand "make bin with hand-given flags failed"; echo "$out" | tail -n 15 | sed 's/^/    /'
fi

# 3. A missing library: named with its package, its module and the variables; nothing compiled.
expect_rc 2 "HDF5: cannot compile #include <hdf5.h>" bmake bin BUILD="$BT/miss" HDF5_PC=hdf5-nosuch
for frag in "pkg-config module 'hdf5-nosuch' not found" "libhdf5-openmpi-dev" \
    "HDF5_CFLAGS=... HDF5_LIBS=..." "1 library missing"; do
    grep -qF -- "$frag" <<<"$EXPECT_OUT" || EXPECT_WHY="${EXPECT_WHY:-output lacks '$frag'}"
done
[ -z "$(find "$BT/miss" -name '*.o' 2>/dev/null)" ] || EXPECT_WHY="${EXPECT_WHY:-objects were compiled}"
expect_report build:missing-library-named
expect_rc 2 "cannot link pdsyevd_ with '-lscalapack-nosuch'" bmake bin BUILD="$BT/miss2" \
    SCALAPACK_LIBS=-lscalapack-nosuch
grep -qF "flags given on the command line" <<<"$EXPECT_OUT" || EXPECT_WHY="${EXPECT_WHY:-no origin}"
expect_report build:bad-hand-flags-named
expect_rc 2 "compiler 'mpicc-nosuch' not found" bmake bin BUILD="$BT/miss3" CC=mpicc-nosuch
expect_report build:missing-compiler-named

# 4. Build scripts live with the build; no OpenBLAS kernel is forced anywhere.
if ls "$ROOT"/tests/*.sh 2>/dev/null | grep -v -e run_tests.sh -e demo.sh | grep -q .; then
    fail build:scripts-with-the-build "build scripts in tests/: $(ls "$ROOT"/tests/*.sh)"
else pass build:scripts-with-the-build; fi
forced=$(grep -rnE '^[^#]*OPENBLAS_CORETYPE=' "$ROOT"/Makefile "$ROOT"/mk "$ROOT"/tests/bench \
    "$ROOT"/jobs "$ROOT"/.ci 2>/dev/null)
if [ -n "$forced" ]; then fail build:no-forced-openblas-core "$forced"; else pass build:no-forced-openblas-core; fi
out=$(BENCH_BANNER_ONLY=1 OPENBLAS_NUM_THREADS=1 timeout 60 "$ROOT/$BUILD/bench/bench_model" 2>&1)
if grep -qE "OpenBLAS core [A-Za-z0-9]+" <<<"$out" && ! grep -q "none loaded" <<<"$out"; then
    pass build:bench-prints-openblas-core
else fail build:bench-prints-openblas-core "first line: $out"; fi
rm -rf "$BT"
