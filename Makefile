# mcmsim — GNU make, driven by pkg-config. `make help` lists the targets.
# A plain `make` builds with what is installed (no root needed); demo, test, test-asan and bench
# first install missing Debian packages (make deps), then build in a sub-make so pkg-config sees them.
SHELL := /bin/bash
BUILD ?= build
PYTHON ?= /usr/bin/python3
NP ?= 2
include mk/libs.mk
PKG_CFLAGS = $(LIBS_CFLAGS)
PKG_LIBS = $(LIBS_LIBS)

OPT ?= -O2
# snprintf truncation is always deliberate here (bounded messages and paths).
WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wformat=2 -Wno-format-truncation
ifeq ($(CI),true)
  WERROR ?= -Werror
endif
ifeq ($(SANITIZE),1)
  OPT := -O1 -g -fno-omit-frame-pointer
  SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
endif
CFLAGS_ALL = -std=c11 -D_GNU_SOURCE $(OPT) -g $(WARN) $(WERROR) $(SAN) -Iinclude -I$(BUILD) \
  $(PKG_CFLAGS) $(CFLAGS)
LDFLAGS_ALL = $(SAN) $(LDFLAGS)

# Sources are grouped by layer (src/LAYER/, headers in include/LAYER/): base, core, spec, engine,
# parallel, io, cli. A layer includes only the layers below it (tests/layers.py checks it).
LAYERS := base core spec engine parallel io cli
SRC := $(filter-out src/cli/main.c,$(foreach l,$(LAYERS),$(wildcard src/$(l)/*.c)))
OBJ := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(SRC)) $(BUILD)/obj/version.o
LIB := $(BUILD)/libmcmsim.a
BIN := $(BUILD)/mcmsim
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
MPI_TEST_SRC := $(wildcard tests/mpi/mpi_*.c)
MPI_TEST_BIN := $(patsubst tests/mpi/%.c,$(BUILD)/tests/%,$(MPI_TEST_SRC))
BENCH_SRC := $(wildcard tests/bench/bench_*.c)
BENCH_BIN := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))

# Hot loops of the sampler and observers: reductions may be reassociated so they vectorise (SSE2
# baseline, one code path: the same numbers on every x86-64). model_neuron, loss and optim
# vectorise with explicit fixed-width vectors instead, identical under every target clone.
HOT := -O3 -fno-math-errno -fassociative-math -fno-signed-zeros -fno-trapping-math
$(foreach f,core/mcm core/diffusion engine/engine engine/observe,$(eval $(BUILD)/obj/$(f).o: CFLAGS_FILE = $(HOT)))
# Element-wise update loops vectorise at -O3 (no reassociation involved: same bits everywhere).
$(BUILD)/obj/core/optim.o: CFLAGS_FILE = -O3
# The reduced engine's step and draws: short fixed-size loops, square roots inline (no errno).
$(foreach f,core/reduced_step core/reduced_rng,$(eval $(BUILD)/obj/$(f).o: CFLAGS_FILE = -O3 -fno-math-errno))
# Per-file flags for hot kernels: vector math through glibc libmvec (see src/rng.c).
$(BUILD)/obj/core/rng.o: CFLAGS_FILE = -O3 -fno-math-errno -ffp-contract=off -fopenmp-simd
# The vector streams' generator loops (integers, and the exact uniform conversion).
$(BUILD)/obj/core/rngv.o: CFLAGS_FILE = -O3 -ffp-contract=off
# The floor program of bench_floor is compiled like the engine's hot kernels (and cloned per ISA).
$(BUILD)/bench/bench_floor: CFLAGS_FILE = $(HOT)

.PHONY: all bin deps demo figures test test-asan fuzz bench format format-check clean help
all: $(BIN) $(UNIT_BIN) $(MPI_TEST_BIN) $(BENCH_BIN)
bin: $(BIN)

help:
	@echo "make           build mcmsim, the tests and benchmarks with the installed libraries"
	@echo "make bin       build only $(BIN) (no cmocka needed)"
	@echo "make deps      as root: install the missing Debian 12 packages"
	@echo "make demo      install missing packages, build, run input/quickstart.ini on $(NP) ranks, plot"
	@echo "make figures   install, build, run input/figures/*.ini on $(NP) ranks, gallery in figures/"
	@echo "make test      install, build, run every test (last line: N passed, N failed)"
	@echo "make test-asan unit tests and serial CLI tests under AddressSanitizer + UBSan"
	@echo "make fuzz      fuzz the configuration reader for FUZZ_SECONDS (60) with libFuzzer"
	@echo "make bench     build and run the benchmarks in tests/bench/"
	@echo "make format    clang-format every C source; format-check only checks"
	@echo "Library flags: make SCALAPACK_LIBS=... HDF5_CFLAGS=... (README, 'Building on a cluster')"

deps:
	@bash .ci/setup-deps.sh

# The library check runs once per set of flags: the stamp's content is the flags themselves.
$(BUILD)/libs.env: FORCE
	@mkdir -p $(@D)
	@echo "$(call libs_check_env,$(LIB_NAMES))" > $@.new
	@if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi
$(BUILD)/libs.ok: $(BUILD)/libs.env
	@$(call libs_check_env,$(LIB_NAMES)) bash mk/check_libs.sh $(LIB_NAMES) RANDOM123
	@touch $@
$(BUILD)/cmocka.env: FORCE
	@mkdir -p $(@D)
	@echo "$(call libs_check_env,CMOCKA)" > $@.new
	@if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi
$(BUILD)/cmocka.ok: $(BUILD)/cmocka.env
	@$(call libs_check_env,CMOCKA) bash mk/check_libs.sh CMOCKA
	@touch $@

$(BUILD)/obj/%.o: src/%.c | $(BUILD)/libs.ok
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(CFLAGS_FILE) -MMD -MP -c $< -o $@

# The version unit is regenerated when its text changes (git state, compiler, flags).
$(BUILD)/version.c: FORCE | $(BUILD)/obj
	@bash src/base/gen_version.sh "$(CC)" "$(CFLAGS_ALL)" > $@.new
	@if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi
$(BUILD)/obj/version.o: $(BUILD)/version.c
	$(CC) $(CFLAGS_ALL) -c $< -o $@
FORCE:

$(LIB): $(OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN): src/cli/main.c $(LIB)
	$(CC) $(CFLAGS_ALL) $(CFLAGS_FILE) -MMD -MP $< $(LIB) -o $@ $(LDFLAGS_ALL) $(PKG_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB) | $(BUILD)/tests $(BUILD)/cmocka.ok
	$(CC) $(CFLAGS_ALL) $(CMOCKA_CFLAGS) -MMD -MP $< $(LIB) -o $@ $(LDFLAGS_ALL) $(PKG_LIBS) \
	  $(CMOCKA_LIBS)

$(BUILD)/tests/mpi_%: tests/mpi/mpi_%.c $(LIB) | $(BUILD)/tests
	$(CC) $(CFLAGS_ALL) -MMD -MP $< $(LIB) -o $@ $(LDFLAGS_ALL) $(PKG_LIBS)

$(BUILD)/bench/%: tests/bench/%.c $(LIB) | $(BUILD)/bench
	$(CC) $(CFLAGS_ALL) -MMD -MP $< $(LIB) -o $@ $(LDFLAGS_ALL) $(PKG_LIBS)

$(BUILD)/obj $(BUILD)/tests $(BUILD)/bench:
	@mkdir -p $@

# These install first, then build in a sub-make: its pkg-config calls see what deps installed.
demo: deps
	@$(MAKE) --no-print-directory all
	@bash tests/demo.sh $(BIN)

# The paper figures (README, "Figures"): laptop settings, a few minutes each on 2 cores.
figures: deps
	@$(MAKE) --no-print-directory bin
	@NP=$(NP) bash postprocess/figures.sh $(BIN) figures

test: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) bash tests/run_tests.sh

test-asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan SANITIZE=1 all
	@BUILD=build-asan SANITIZE=1 bash tests/run_tests.sh --asan

# The libFuzzer target of the configuration reader and the spec layer (tests/fuzz/): clang-14
# with the fuzzer, address and undefined-behaviour sanitizers over the few sources on the path
# from bytes to specs (no MPI, no HDF5), in build-fuzz/.
FUZZ_CC ?= clang-14
FUZZ_SECONDS ?= 60
FUZZ_SRC := $(wildcard src/base/cfg*.c) src/base/log.c $(wildcard src/spec/*.c) $(wildcard src/core/*.c)
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -O1 -g -fno-omit-frame-pointer \
  $(filter-out -Wno-format-truncation,$(WARN)) $(WERROR) \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Iinclude
build-fuzz/fuzz_cfg: tests/fuzz/fuzz_cfg.c $(FUZZ_SRC) $(wildcard include/*/*.h src/base/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $< $(FUZZ_SRC) -o $@ $(INIH_LIBS) $(GSL_LIBS) $(BLAS_LIBS) -lm
fuzz: build-fuzz/fuzz_cfg
	@bash tests/fuzz/run_fuzz.sh $< $(FUZZ_SECONDS)

# OpenBLAS picks its kernel from the CPU (each benchmark prints the core it picked): forcing one
# (OPENBLAS_CORETYPE) would crash with SIGILL on CPUs without the instructions it assumes.
bench: deps
	@$(MAKE) --no-print-directory all
	@for b in $(filter-out %/bench_eig,$(BENCH_BIN)); do OPENBLAS_NUM_THREADS=1 $$b || exit 1; done
	@bash tests/bench/bench_ranks.sh $(BIN)
	@bash tests/bench/bench_process.sh $(BIN)
	@bash tests/bench/bench_eig.sh $(BUILD)/bench/bench_eig

format:
	clang-format -i src/*/*.c src/*/*.h include/*/*.h tests/unit/*.c tests/mpi/*.c tests/bench/*.c tests/bench/*.h tests/fuzz/*.c
format-check:
	@clang-format --dry-run --Werror src/*/*.c src/*/*.h include/*/*.h tests/unit/*.c tests/mpi/*.c tests/bench/*.c tests/bench/*.h tests/fuzz/*.c

clean:
	rm -rf build build-asan build-fuzz

-include $(wildcard $(BUILD)/obj/*/*.d $(BUILD)/*.d $(BUILD)/tests/*.d $(BUILD)/bench/*.d)
