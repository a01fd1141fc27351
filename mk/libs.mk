# mk/libs.mk — compiler and library flags of mcmsim, each overridable on the make command line.
#
# Defaults come from pkg-config with Debian 12's module names. On a cluster (environment modules,
# Spack, vendor MPI) give what differs, for example
#   make CC=mpicc SCALAPACK_PC=scalapack HDF5_CFLAGS="-I$HDF5_DIR/include" HDF5_LIBS="-L$HDF5_DIR/lib -lhdf5"
# A *_CFLAGS or *_LIBS given by hand replaces pkg-config for that library; a *_PC names another
# pkg-config module. mk/check_libs.sh tests the result once per set of flags and names what is
# missing (README, "Building on a cluster").

# The MPI compiler wrapper: make's built-in default (cc) becomes mpicc; CC=... overrides it.
ifeq ($(origin CC),default)
  CC := mpicc
endif
PKG_CONFIG ?= pkg-config

MPI_PC ?= ompi
SCALAPACK_PC ?= scalapack-openmpi
HDF5_PC ?= hdf5-openmpi
BLAS_PC ?= blas
GSL_PC ?= gsl
INIH_PC ?= inih
CMOCKA_PC ?= cmocka

# pc_flags(VAR, --cflags|--libs, MODULE): VAR keeps a value given by the user, else pkg-config's;
# VAR_SRC records which (check_libs.sh checks the pkg-config module only when it was used).
define pc_flags
ifeq ($$(origin $(1)),undefined)
  $(1) := $$(shell $$(PKG_CONFIG) $(2) $(3) 2>/dev/null)
  $(1)_SRC := pc
else
  $(1)_SRC := user
endif
endef
$(eval $(call pc_flags,MPI_CFLAGS,--cflags,$(MPI_PC)))
$(eval $(call pc_flags,MPI_LIBS,--libs,$(MPI_PC)))
$(eval $(call pc_flags,SCALAPACK_CFLAGS,--cflags,$(SCALAPACK_PC)))
$(eval $(call pc_flags,SCALAPACK_LIBS,--libs,$(SCALAPACK_PC)))
$(eval $(call pc_flags,HDF5_CFLAGS,--cflags,$(HDF5_PC)))
$(eval $(call pc_flags,HDF5_LIBS,--libs,$(HDF5_PC)))
$(eval $(call pc_flags,BLAS_CFLAGS,--cflags,$(BLAS_PC)))
$(eval $(call pc_flags,BLAS_LIBS,--libs,$(BLAS_PC)))
$(eval $(call pc_flags,GSL_CFLAGS,--cflags,$(GSL_PC)))
# GSL's CBLAS calls go to OpenBLAS (BLAS_LIBS): take GSL's search path and -lgsl, never -lgslcblas.
$(eval $(call pc_flags,GSL_LIBS,--libs-only-L,$(GSL_PC)))
ifeq ($(GSL_LIBS_SRC),pc)
  GSL_LIBS += -lgsl
endif
$(eval $(call pc_flags,INIH_CFLAGS,--cflags,$(INIH_PC)))
$(eval $(call pc_flags,INIH_LIBS,--libs,$(INIH_PC)))
# Random123 is header-only (no pkg-config module): point RANDOM123_CFLAGS at its include folder.
RANDOM123_CFLAGS ?=
$(eval $(call pc_flags,CMOCKA_CFLAGS,--cflags,$(CMOCKA_PC)))
$(eval $(call pc_flags,CMOCKA_LIBS,--libs,$(CMOCKA_PC)))

LIB_NAMES := MPI SCALAPACK HDF5 BLAS GSL INIH
LIBS_CFLAGS = $(foreach l,$(LIB_NAMES),$($(l)_CFLAGS)) $(RANDOM123_CFLAGS)
LIBS_LIBS = $(SCALAPACK_LIBS) $(HDF5_LIBS) $(GSL_LIBS) $(INIH_LIBS) $(BLAS_LIBS) $(MPI_LIBS) -lm

# What check_libs.sh needs: per library its module, its flags, and where they came from. The
# text is also the stamp's content, so the check reruns whenever a flag changes.
libs_check_env = CC='$(CC)' PKG_CONFIG='$(PKG_CONFIG)' RANDOM123_CFLAGS='$(RANDOM123_CFLAGS)' \
  $(foreach l,$(1),$(l)_PC='$($(l)_PC)' $(l)_CFLAGS='$(strip $($(l)_CFLAGS))' \
    $(l)_LIBS='$(strip $($(l)_LIBS))' $(l)_SRC='$($(l)_CFLAGS_SRC)$($(l)_LIBS_SRC)')
