# `mcmsim generate` under AddressSanitizer + UBSan (make test-asan): every score, sampler,
# teleportation and trajectory path once at small sizes; exit 0 and a complete file. Sourced.
GA=$WORK/gen_asan.ini
printf '[mcm]\nd = 8\n[run]\nn_seeds = 2\n[generate]\nn_samples = 200\nn_steps = 8\nn_write = 2\n' > "$GA"
ga_run() { # ga_run NAME ARGS...
    local name=$1; shift
    cli_expect_rc "gen-asan:$name" 0 "wrote" "$BIN" generate "$GA" -o "$WORK/gen_asan.h5" "$@"
}
ga_run exact-heun
ga_run exact-teleport --set generate.sigma_skip=1
ga_run coupled-euler --set mcm.coupling=sign --set generate.sampler=euler
ga_run gaussian-ddim --set generate.score=gaussian --set generate.sampler=ddim --set generate.sigma_skip=0.5
ga_run linear-vp --set generate.data=gaussian --set generate.score=linear --set generate.sampler=ddim --set gaussian.process=vp
check_usage gen-asan:bad-linear "linear is the trained denoiser of the [gaussian] theory" "$WORK/gen_asan_bad.h5" "$BIN" generate "$GA" -o "$WORK/gen_asan_bad.h5" --set generate.score=linear
