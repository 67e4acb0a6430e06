# hvlab: one entry point for building, running, testing and grading.
# `make help` lists the targets. Every target that needs Debian packages
# runs tools/deps.sh first, which installs only what is missing.

.DEFAULT_GOAL := all
include mk/toolchain.mk

# Each part of the kit adds its sources and targets in its own fragment.
include lib/lib.mk
include hv/hv.mk
include guestos/guestos.mk
include tools/loader/loader.mk
include tests/unit/unit.mk

.PHONY: all
all: deps-build $(HV_ELF) $(GUEST_KERNEL) $(LOADER_BINS)

# Install missing Debian packages (quiet when everything is present).
.PHONY: deps deps-build
deps:
	@tools/deps.sh all
deps-build:
	@tools/deps.sh build

.PHONY: clean
clean:
	rm -rf $(BUILD)
