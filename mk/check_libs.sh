#!/usr/bin/env bash
# mk/check_libs.sh LIB... — can the compiler build and link against each library with the flags
# make resolved (mk/libs.mk passes them in the environment)? Prints, per missing library, the
# Debian package, the pkg-config module and the make variables that override it; exit 1 if any.
# Libraries: MPI SCALAPACK HDF5 BLAS GSL INIH RANDOM123 CMOCKA.
set -u
tmp=$(mktemp -d /tmp/mcmsim-libs.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
errors=0

# lib -> Debian package | header | symbol for the link test ('-' for header-only)
spec() {
    case $1 in
    MPI) echo "libopenmpi-dev|mpi.h|MPI_Init" ;;
    SCALAPACK) echo "libscalapack-openmpi-dev|-|pdsyevd_" ;;
    HDF5) echo "libhdf5-openmpi-dev|hdf5.h|H5Pset_fapl_mpio" ;;
    BLAS) echo "libopenblas-dev|cblas.h|cblas_ddot" ;;
    GSL) echo "libgsl-dev|gsl/gsl_sf_gamma.h|gsl_sf_lngamma" ;;
    INIH) echo "libinih-dev|ini.h|ini_parse_stream" ;;
    RANDOM123) echo "librandom123-dev|Random123/philox.h|-" ;;
    CMOCKA) echo "libcmocka-dev|-|_cmocka_run_group_tests" ;;
    esac
}
var() { eval "printf '%s' \"\${$1:-}\""; }

report() { # lib what-failed compiler-output
    local lib=$1 pc src deb
    pc=$(var "${lib}_PC") src=$(var "${lib}_SRC") deb=$(spec "$lib" | cut -d'|' -f1)
    echo "mcmsim build: $lib: $2" >&2
    if [ "$lib" = RANDOM123 ]; then
        echo "  install Debian package $deb, or give RANDOM123_CFLAGS=-I/path/to/include" >&2
    else
        local how="flags from pkg-config module '$pc'"
        [[ $src == *user* ]] && how="flags given on the command line"
        [[ $src == *pc* ]] && ! $PKG_CONFIG --exists "$pc" 2>/dev/null &&
            how="pkg-config module '$pc' not found (PKG_CONFIG_PATH?)"
        echo "  used: $how" >&2
        echo "  install Debian package $deb, or give ${lib}_PC=<module> or" \
            "${lib}_CFLAGS=... ${lib}_LIBS=... on the make command line" >&2
    fi
    sed -n '1,4s/^/    | /p' "$3" >&2
    errors=$((errors + 1))
}

check() { # lib
    local lib=$1 deb hdr sym cflags libs
    IFS='|' read -r deb hdr sym <<<"$(spec "$lib")"
    # Parallel HDF5 and ScaLAPACK headers and libraries need MPI's; GSL and ScaLAPACK need a BLAS.
    cflags="$(var "${lib}_CFLAGS") ${MPI_CFLAGS:-}"
    libs="$(var "${lib}_LIBS") ${BLAS_LIBS:-} ${MPI_LIBS:-} -lm"
    if [ "$hdr" != - ]; then
        printf '#include <%s>\nint main(void) { return 0; }\n' "$hdr" >"$tmp/h.c"
        if ! $CC $cflags -c "$tmp/h.c" -o "$tmp/h.o" 2>"$tmp/err"; then
            report "$lib" "cannot compile #include <$hdr>" "$tmp/err"
            return
        fi
    fi
    if [ "$lib" = HDF5 ]; then
        printf '#include <hdf5.h>\n#ifndef H5_HAVE_PARALLEL\n#error serial HDF5\n#endif\n' >"$tmp/p.c"
        if ! $CC $cflags -c "$tmp/p.c" -o "$tmp/p.o" 2>"$tmp/err"; then
            report HDF5 "this HDF5 is serial; mcmsim needs parallel (MPI-IO) HDF5" "$tmp/err"
            return
        fi
    fi
    if [ "$sym" != - ]; then
        printf 'char %s(void);\nint main(void) { return (int)%s(); }\n' "$sym" "$sym" >"$tmp/l.c"
        if ! $CC "$tmp/l.c" -o "$tmp/l" $libs 2>"$tmp/err"; then
            report "$lib" "cannot link $sym with '$(var "${lib}_LIBS")'" "$tmp/err"
        fi
    fi
}

if ! command -v "${CC%% *}" >/dev/null 2>&1; then
    echo "mcmsim build: compiler '$CC' not found: install Debian package libopenmpi-dev" \
        "(mpicc), load your MPI module, or give CC=<MPI C compiler>" >&2
    exit 1
fi
for lib in "$@"; do check "$lib"; done
[ "$errors" -eq 0 ] || echo "mcmsim build: $errors librar$([ $errors = 1 ] && echo y || echo ies) missing" \
    "(README, 'Building on a cluster'; as root, 'make deps' installs Debian's)" >&2
[ "$errors" -eq 0 ]
