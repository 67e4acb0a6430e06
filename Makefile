# hvlab: one entry point for building, running, testing and grading.
# `make help` lists the targets and the variables they take.
# Targets that need Debian packages run tools/deps.sh first, which is silent
# when everything is present and installs only what is missing.

.DEFAULT_GOAL := all
include mk/toolchain.mk

# Each part of the kit adds its sources and targets in its own fragment.
include lib/lib.mk
include hv/hv.mk
include guestos/guestos.mk
include tools/loader/loader.mk
include tests/kernels/mbinfo/mbinfo.mk
include tests/kernels/long64/long64.mk
include tests/kernels/badguest/badguest.mk
include tests/kernels/hostile/hostile.mk
include tests/kernels/conform/conform.mk
include tests/kernels/pvtest/pvtest.mk
include tests/unit/unit.mk                   # after the kernels: it reads their names
include tests/fuzz/fuzz.mk                   # after unit.mk: it reads its source lists
include grading/grading.mk
include grading/skeleton.mk
include handouts/handouts.mk
include tools/gdb/gdb.mk

# Run options (make run EMU=qemu ARGS="mem=shadow" ...).
EMU     ?= auto
BOOT    ?= fast
ARGS    ?=
GUEST_ARGS ?= test=all
TIMEOUT ?= 120
CPU     ?= tigerlake
HVRUN   := tools/hvrun --emu $(EMU) --timeout $(TIMEOUT) --cpu $(CPU)

DEPS = @CC64="$(CC64)" CC32="$(CC32)" LD64="$(LD64)" LD32="$(LD32)" tools/deps.sh

IMAGES := $(HV_ELF) $(GUEST_KERNEL) $(GUEST_PV_KERNEL) $(GUEST_PROGS) $(LOADER_BINS)
# The guest's programs (tests, benchmarks) reach it as Multiboot modules.
GUEST_MODULES = $(foreach p,$(GUEST_PROGS),--module $(p))

# The images are built by a second make, started once the packages are in
# place (the first one read the makefiles before tools/deps.sh ran). It is
# given a phony goal with a recipe, never the files themselves: make would
# say "'build/hv/hv.elf' is up to date." for every file named as a goal.
# The images no lab changes (grading/kitbuild.py): the grader makes them
# once for a class and copies them into every submission's tree.
KIT_IMAGES := $(GUEST_KERNEL) $(GUEST_PV_KERNEL) $(GUEST_PROGS) $(LOADER_BINS) $(MBINFO_ELF) $(MBINFO_KLUDGE_ELF) $(MBINFO_SHAPES) \
              $(BADGUEST_ELF) $(HOSTILE_ELF) $(CONFORM_ELF) $(PVTEST_ELF)

.PHONY: all images kit-images kit-images-files
all: deps-build
	@$(MAKE) --no-print-directory images
images: $(IMAGES)
	@:
kit-images: deps-build
	@$(MAKE) --no-print-directory kit-images-files
kit-images-files: $(KIT_IMAGES)
	@:

.PHONY: help
help:
	@echo "hvlab make targets:"
	@echo "  make run          build everything, boot the hypervisor with the guest OS in Bochs"
	@echo "  make run-native   boot the guest OS alone (no hypervisor) in QEMU TCG"
	@echo "                    (its tests by default; ARGS=\"bench=all\" runs its benchmarks)"
	@echo "  make gdb          the hypervisor in Bochs with gdb attached to it (its own stub, COM2)"
	@echo "  make gdb-guest    the same, gdb debugging the guest kernel (breakpoints, stepi, VM exits;"
	@echo "                    ARGS=\"mem=shadow cpu=deprivileged [patch=1]\": lab 3's ring-1 guest, monitor depriv)"
	@echo "  make bochs-debug  Bochs's internal debugger, hv.elf's symbols loaded, a stop at every VM exit"
	@echo "  make check        every test: unit, tools, site, boot routes, runner, hypervisor, labs, grader"
	@echo "                    (a student tree: its labs' tests; a 'left out' line names the rest)"
	@echo "  make hostile      the hostile guest kernel's attacks in every mode, each run classified"
	@echo "                    (ATTACK=substring, MODE=ept|shadow|depriv|patch|bt|icelake|virtual|vshadow|vdepriv|vbt|vdelay|paged;"
	@echo "                    hv/containment.md)"
	@echo "  make bench        benchmarks (boot, the guest OS in each mode, lab 4's virtual timer, the inter-VM"
	@echo "                    pipe, the pseudo page fault's gain);"
	@echo "                    figures to the terminal and to RESULTS (JSON)"
	@echo "  make pv-fuzz      the PV hypercall fuzzer: PV_FUZZ_CALLS (10^6) random hypercalls per seed of"
	@echo "                    PV_FUZZ_SEEDS (1; comma-separated), each result checked (make bench runs it too;"
	@echo "                    PV_FUZZ_PEER=1: beside a partner VM, the calls between VMs)"
	@echo "  make bench-figures  the README's and handouts' quoted figures from the last make bench"
	@echo "  make grade        grade the lab tests (LAB=N, TEST=\"lab1-cpuid ...\", JOBS=n, TIMEOUT=s): a table"
	@echo "                    ending in Score: X/Y, Gradescope RESULTS (JSON) and JUNIT (XML);"
	@echo "                    EMU=qemu-kvm: under QEMU with KVM, real VT-x, where the host has it"
	@echo "  make grade-class  grade a whole class: LAB=N SUBMISSIONS=dir (folders or archives, one per student);"
	@echo "                    CLASS_OUT/scores.csv (default build/class), each student's results.json and logs;"
	@echo "                    PARALLEL=n submissions at once"
	@echo "  make gradescope   build/gradescope/autograder.zip (LAB=N: graded on lab N's student tree)"
	@echo "  make kit-images   the guest OS, loader and test kernels alone: the images no lab changes,"
	@echo "                    which the grader makes once for a class (grading/kitbuild.py)"
	@echo "  make skeleton     LAB=N DEST=DIR: write the student tree for lab N"
	@echo "                    (STEP=K: with the steps 1..K of its handout solved, labs/labN/steps.toml)"
	@echo "  make check-labs   prove every lab's skeleton builds, passes earlier labs, fails its own tests"
	@echo "  make check-steps  prove each handout step's tree passes exactly the tests of its steps (LAB=N)"
	@echo "  make check-bugs   prove every planted bug (labs/labN/bugs.toml) loses points (LAB=N: one lab)"
	@echo "  make fuzz         fuzz every parser of guest or user bytes (libFuzzer, ASan, UBSan),"
	@echo "                    10^6 runs each (FUZZ_RUNS=n); crash files in build/fuzz/crashes/"
	@echo "  make handin       pack the committed work: build/handin-<user>-<date>.zip"
	@echo "  make handouts     the course site: build/handouts/index.html, a page per handout (pandoc),"
	@echo "                    figures (Graphviz) and plots of make bench's figures (matplotlib) inline"
	@echo "  make site-check   every page of the site in headless Chromium: missing images, broken links"
	@echo "  make compile_commands.json  the compilation database for clangd (the build's flags, from make -n)"
	@echo "  make hv-deps      the hypervisor's module graph: circles, levels, folders, arrows that run up"
	@echo "                    (HVDEPS_ARGS=\"--json\" or \"--dot FILE\"; limits in hv/layers.toml)"
	@echo "  make all          build the hypervisor, the guest OS and the fast loader"
	@echo "  make deps         install the Debian packages the kit needs (apt-get)"
	@echo "  make clean        remove build/"
	@echo "variables:"
	@echo "  EMU=auto|bochs|qemu|qemu-kvm  emulator (default auto: qemu-kvm where the host has Intel"
	@echo "                            VT-x and nested KVM, else bochs; make gdb, gdb-guest: bochs;"
	@echo "                            make grade: bochs unless EMU is given)"
	@echo "  BOOT=fast|grub|kernel     loader: the kit's raw-disk loader, a GRUB ISO, QEMU -kernel"
	@echo "  ARGS=\"...\"                the hypervisor's options for make run (mem=ept|shadow, vmcheck=1,"
	@echo "                            cpu=deprivileged patch=1 (or bt=1), cpu=pv, scan=1, resident=768 pagein=100 (the"
	@echo "                            hypervisor pages the VM; GUEST_ARGS=\"apf=1 test=apf\"), ...: hv/README.md), the guest's"
	@echo "                            for make run-native (test=..., bench=...); vms=2 (two VMs) needs a"
	@echo "                            second group of modules, a guest kernel and its programs: tools/hvrun"
	@echo "                            (hv/README.md, \"Several VMs\")"
	@echo "  GUEST_ARGS=\"...\"          the guest's command line under make run (default test=all: its tests)"
	@echo "  PAIR=\"A B\", PAIR_ARGS=     make run, make gdb: two PV VMs, the PV test kernel's cases A and B"
	@echo "                            (each with PAIR_ARGS), instead of the guest OS (lab 6)"
	@echo "  TIMEOUT=seconds           stop a run that has not powered off (default $(TIMEOUT);"
	@echo "                            make grade: each test's own limit unless given)"
	@echo "  NATIVE_EMU=, NATIVE_BOOT=  emulator and loader of run-native (default qemu, kernel)"
	@echo "  GDB=1                     make run-native: gdb attached to QEMU's gdbstub (handouts/debugging.md)"
	@echo "  CPU=model                 Bochs CPU model (default tigerlake; core2_penryn_t9600: VMX without EPT)"
	@echo "  CROSS64=, CROSS32=        toolchain prefixes (default x86_64-linux-gnu-, i686-linux-gnu-)"
	@echo "  RESULTS=path              where make bench / make grade write their JSON"
	@echo "  JUNIT=path                where make grade writes JUnit XML (default build/grade/junit.xml)"
	@echo "  LAB=N, TEST=names, JOBS=n  make grade: one lab, some tests, runs in parallel (default: cores)"
	@echo "  GRADE_ARGS=\"...\"          more options for grading/grade.py (--timeout S, --show-hidden ...)"
	@echo "  PLOT_PYTHON=path          the Python with matplotlib that draws make handouts' plots"
	@echo "                            (default /usr/bin/python3, Debian's)"
	@echo "  V=1                       print each build command in full (by default one line a step:"
	@echo "                            \"  CC      hv/exit.c\")"

# The guest kernel of make run, make gdb and make gdb-guest: the guest OS,
# or its PV build where ARGS say cpu=pv (lab 5), the only mode it runs in.
RUN_KERNEL = $(if $(filter cpu=pv,$(ARGS)),$(GUEST_PV_KERNEL),$(GUEST_KERNEL))
# PAIR="A B" (lab 6): two PV VMs instead, the PV test kernel's case A in vm0
# and case B in vm1, each with PAIR_ARGS (make run PAIR="pipe-ring-send
# pipe-ring-recv" PAIR_ARGS="hold=0").
PAIR ?=
PAIR_ARGS ?=
RUN_MODULES = $(if $(PAIR),$(foreach c,$(wordlist 1,2,$(PAIR)),--module "$(PVTEST_ELF) case=$(c) $(PAIR_ARGS)"),\
                --module "$(RUN_KERNEL) $(GUEST_ARGS)" $(GUEST_MODULES))
RUN_ARGS = $(if $(PAIR),cpu=pv vms=2 guestmem=4) $(ARGS)
RUN_IMAGES = all $(if $(PAIR),pvtest-kernel)

.PHONY: run
run: deps-run $(RUN_IMAGES)
	$(HVRUN) --boot $(BOOT) $(HV_ELF) $(RUN_MODULES) -- $(RUN_ARGS)

# The guest OS alone, by default in QEMU TCG through QEMU's own Multiboot
# loader (make run-native NATIVE_EMU=bochs NATIVE_BOOT=fast works too).
NATIVE_EMU  ?= qemu
NATIVE_BOOT ?= kernel
.PHONY: run-native
run-native: deps-run all
	$(NATIVE_RUNNER) --emu $(NATIVE_EMU) --boot $(NATIVE_BOOT) --timeout $(TIMEOUT) $(GUEST_MODULES) $(GUEST_KERNEL) -- $(or $(ARGS),test=all)

.PHONY: check check-images
check: deps-check all
	@$(MAKE) --no-print-directory check-images
	@$(PYTHON) tests/run_checks.py
check-images: $(UNIT_TEST_BINS) $(MBINFO_ELF) $(MBINFO_KLUDGE_ELF) $(MBINFO_SHAPES) $(BADGUEST_ELF) $(HOSTILE_ELF) $(CONFORM_ELF) $(LONG64_ELF) $(PVTEST_ELF)
	@:

RESULTS ?= $(BUILD)/bench/results.json
.PHONY: bench
bench: deps-run all badguest pvtest-kernel
	@$(PYTHON) tests/bench/boot.py --results $(RESULTS)
	@$(PYTHON) tests/bench/guest.py --results $(RESULTS)
	@$(PYTHON) tests/bench/timer.py --results $(RESULTS)
	@$(PYTHON) tests/bench/pvfuzz.py --results $(RESULTS) --calls $(PV_FUZZ_CALLS) --seeds $(PV_FUZZ_SEEDS)
	@$(PYTHON) tests/bench/pipe.py --results $(RESULTS)
	@$(PYTHON) tests/bench/apf.py --results $(RESULTS)
	@$(PYTHON) tests/bench/split.py --results $(RESULTS)

# The PV hypercall fuzzer alone (tests/bench/pvfuzz.py; make bench runs it
# too): PV_FUZZ_CALLS random hypercalls per seed, in Bochs.
PV_FUZZ_CALLS ?= 1000000
PV_FUZZ_SEEDS ?= 1
PV_FUZZ_PEER ?=
.PHONY: pv-fuzz
pv-fuzz: deps-run all pvtest-kernel
	@$(PYTHON) tests/bench/pvfuzz.py --calls $(PV_FUZZ_CALLS) --seeds $(PV_FUZZ_SEEDS) $(if $(PV_FUZZ_PEER),--peer)

# The figures the README and handouts quote (tools/benchfigures.py): taken
# from the last make bench of the reference tree, kept in handouts/bench.json.
.PHONY: bench-figures
bench-figures:
	@$(PYTHON) tools/benchfigures.py --update $(RESULTS)

# clangd's and editors' compilation database: every file with the flags the
# build gives it (tools/compiledb.py reads them from make -n).
.PHONY: compile_commands.json
compile_commands.json:
	@$(PYTHON) tools/compiledb.py --build $(BUILD) --out $@

# Install missing Debian packages (silent when everything is present).
.PHONY: deps deps-build deps-run deps-check deps-docs
deps:
	$(DEPS) all
deps-build:
	$(DEPS) build
deps-run:
	$(DEPS) run
deps-check:
	$(DEPS) check
deps-docs:
	$(DEPS) docs

.PHONY: clean
clean:
	rm -rf $(BUILD)
