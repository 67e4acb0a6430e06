# tests/fuzz/: libFuzzer targets for every parser that takes guest or user
# bytes (tests/fuzz/README.md says what each feeds to which module).
#
#   make fuzz         each target for FUZZ_RUNS executions (default 10^6)
#   make fuzz-check   each target for FUZZ_CHECK_RUNS (a few seconds each;
#                     part of make check), ending in "fuzz: N passed, M failed"
#
# Each target is tests/fuzz/fuzz_<name>.c built with clang's libFuzzer,
# AddressSanitizer and UndefinedBehaviorSanitizer (which aborts, so that
# libFuzzer keeps the input), linked with the kit's own module sources
# unchanged, as tests/unit/unit.mk links them. Everything a run writes (the
# corpus it grows, crash files, logs) goes under build/fuzz/.

FUZZ_BUILD := $(BUILD)/fuzz
FUZZCC ?= clang-14
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS := -std=gnu11 $(WARN) -O1 -g -fno-omit-frame-pointer $(FUZZ_SAN) \
               -iquote hv -iquote lib -iquote tests/unit -iquote tests/fuzz \
               -Dsnprintf=fmt_snprintf -Dvsnprintf=fmt_vsnprintf $(UNUSED_AS_WARNINGS)
FUZZ_RUNS ?= 1000000
FUZZ_CHECK_RUNS ?= 50000

FUZZ_TARGETS := x86_decode sensitive mbimage boot_info gdb_packet options entry_check \
                guest_paging guest_paging_pae descriptor guest_line pic_filter pit pic lapic ioapic rtc screen segment_access \
                pci_config i8042 pv_events direct_paging

# The formatter prints the parsers' messages. The options target fuzzes it
# (its input reaches it as %.*s), so it links it with libFuzzer's tracing;
# the others link FUZZ_FMT, built without: its per-character comparisons
# took two thirds of the entry checker's time and guide nothing there.
FUZZ_FMT := $(FUZZ_BUILD)/fmt.o
# Direct paging's dp_check, which the fuzzer runs after every call, built
# without libFuzzer's tracing too: its comparisons over every frame were
# three quarters of the target's time, and they guide nothing.
FUZZ_DP_CHECK := $(FUZZ_BUILD)/direct_paging_check.o

fuzz_srcs_x86_decode := hv/x86/x86_decode.c
fuzz_srcs_sensitive := $(unit_srcs_sensitive)
fuzz_srcs_mbimage := lib/mbimage.c $(FUZZ_FMT)
fuzz_srcs_boot_info := hv/boot/boot_info.c $(FUZZ_FMT)
fuzz_srcs_gdb_packet := $(unit_srcs_gdb_packet)
fuzz_srcs_options := hv/boot/options.c hv/boot/balloon_targets.c lib/fmt.c
fuzz_srcs_entry_check := $(unit_srcs_entry_check) $(FUZZ_FMT)
fuzz_srcs_guest_paging := $(unit_srcs_guest_paging)
fuzz_srcs_guest_paging_pae := $(unit_srcs_guest_paging_pae)
fuzz_srcs_descriptor := $(unit_srcs_descriptor)
fuzz_srcs_guest_line := hv/exit/guest_line.c
fuzz_srcs_pic_filter := hv/exit/pic_filter.c
fuzz_srcs_pit := $(unit_srcs_pit)
fuzz_srcs_pic := hv/dev/pic.c
fuzz_srcs_lapic := $(unit_srcs_lapic)
fuzz_srcs_ioapic := hv/dev/ioapic.c
fuzz_srcs_rtc := $(unit_srcs_rtc)
fuzz_srcs_screen := $(unit_srcs_vga_regs) $(unit_srcs_screen_lines)
fuzz_srcs_segment_access := $(unit_srcs_segment_access)
fuzz_srcs_pci_config := $(unit_srcs_pci_config)
fuzz_srcs_i8042 := $(unit_srcs_i8042)
fuzz_srcs_pv_events := $(unit_srcs_evtchn_interdomain) $(unit_srcs_console_ring)
fuzz_srcs_direct_paging := hv/guest/direct_paging.c $(FUZZ_DP_CHECK) $(FUZZ_FMT)

# The PV kernel's note (lab 5): its own lines, beside the other PV modules'.
FUZZ_TARGETS += pv_note
fuzz_srcs_pv_note := lib/pv_note.c
fuzz_flags_pv_note := -max_len=2048
fuzz_seeds_pv_note := $(FUZZ_BUILD)/seeds/elf

# Lab 6's rings: both designs in one target, each side hostile in turn.
FUZZ_TARGETS += rings
fuzz_srcs_rings := $(unit_srcs_io_ring) $(unit_srcs_virtqueue)
fuzz_flags_rings := -max_len=1024

# Grants between PV VMs (issue 20), over direct paging: a script of ops.
FUZZ_TARGETS += grant_table
fuzz_srcs_grant_table := hv/pv/grant_table.c hv/guest/direct_paging.c $(FUZZ_DP_CHECK) $(FUZZ_FMT)
fuzz_flags_grant_table := -max_len=384

# The hypervisor's paging of a VM (issue 20): the clock and the page-ins.
FUZZ_TARGETS += resident_set
fuzz_srcs_resident_set := $(unit_srcs_resident_set)
fuzz_flags_resident_set := -max_len=512

# The binary translator's block translation (issue 21), on any guest code.
FUZZ_TARGETS += bt_block
fuzz_srcs_bt_block := $(BT_SRCS)
fuzz_flags_bt_block := -max_len=512

# A student tree leaves out the fuzzers of later labs' modules, as unit.mk does.
FUZZ_LEFT_OUT := $(call later_lab_tests,$(FUZZ_TARGETS),fuzz_srcs_)
FUZZ_TARGETS := $(filter-out $(FUZZ_LEFT_OUT),$(FUZZ_TARGETS))
FUZZ_BINS := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)

# How long one input may be: short where the time a run takes grows with
# it (the decoder runs at every offset, the scanner sweeps the whole file;
# the ELF seeds are under 1 KiB), a VMCS's worth for the checker, a
# descriptor's for ring compression, more than a packet buffer for the
# GDB receiver, a hundred-odd port accesses for the PIT, and a script of a
# hundred-odd operations for the local APIC and for the I/O APIC; thirty-odd
# steps for the screen, each look of which hashes every row (longer
# scripts made it the slowest target of make check by far).
fuzz_flags_x86_decode := -max_len=32
fuzz_flags_sensitive := -max_len=1024
fuzz_flags_mbimage := -max_len=4096
fuzz_flags_boot_info := -max_len=4096
fuzz_flags_gdb_packet := -max_len=10000
fuzz_flags_options := -max_len=256
fuzz_flags_entry_check := -max_len=1024
fuzz_flags_guest_paging := -max_len=4096
fuzz_flags_guest_paging_pae := -max_len=4096
fuzz_flags_descriptor := -max_len=12
fuzz_flags_guest_line := -max_len=512
fuzz_flags_pic_filter := -max_len=256
fuzz_flags_pit := -max_len=512
fuzz_flags_pic := -max_len=512
fuzz_flags_lapic := -max_len=1024
fuzz_flags_ioapic := -max_len=512
fuzz_flags_rtc := -max_len=512
fuzz_flags_screen := -max_len=96
fuzz_flags_segment_access := -max_len=25
fuzz_flags_pci_config := -max_len=512
fuzz_flags_i8042 := -max_len=512
fuzz_flags_pv_events := -max_len=1024
fuzz_flags_direct_paging := -max_len=384

# Seeds: small files checked in under tests/fuzz/corpus/<name>/, and for the
# ELF parsers, the kit's own kernels and programs cut down by mkseed.py.
FUZZ_ELF_SEEDS_FROM := $(GUEST_KERNEL) $(HV_ELF) $(BADGUEST_ELF) $(MBINFO_ELF) $(MBINFO_KLUDGE_ELF) \
                       $(MBINFO_LOW8K_ELF) $(MBINFO_HIGH_ELF) \
                       $(filter %/helper_hello.elf %/privileged.elf,$(GUEST_PROGS))
FUZZ_ELF_SEEDS := $(foreach f,$(FUZZ_ELF_SEEDS_FROM),$(FUZZ_BUILD)/seeds/elf/$(notdir $(f)))
fuzz_seeds_sensitive := $(FUZZ_BUILD)/seeds/elf
fuzz_seeds_mbimage := $(FUZZ_BUILD)/seeds/elf

$(FUZZ_FMT): lib/fmt.c lib/fmt.h
	@mkdir -p $(@D)
	$(call quiet,FUZZCC,$<)$(FUZZCC) $(FUZZ_CFLAGS) -c -o $@ lib/fmt.c

$(FUZZ_DP_CHECK): hv/guest/direct_paging_check.c hv/guest/direct_paging.h hv/guest/guest_paging.h lib/pv_abi.h
	@mkdir -p $(@D)
	$(call quiet,FUZZCC,$<)$(FUZZCC) $(FUZZ_CFLAGS) -c -o $@ $<

define FUZZ_TARGET_RULE
$(FUZZ_BUILD)/fuzz_$(1): tests/fuzz/fuzz_$(1).c $(fuzz_srcs_$(1)) $(HOST_PANIC) tests/fuzz/fuzz.h $(UNIT_HEADERS)
	@mkdir -p $$(@D)
	$$(call quiet,FUZZCC,$$@)$(FUZZCC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $$@ tests/fuzz/fuzz_$(1).c $(fuzz_srcs_$(1)) $(HOST_PANIC)
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call FUZZ_TARGET_RULE,$(t))))

define FUZZ_SEED_RULE
$(FUZZ_BUILD)/seeds/elf/$(notdir $(1)): $(1) tests/fuzz/mkseed.py
	@mkdir -p $$(@D)
	$$(call quiet,SEED,$$@)$(PYTHON) tests/fuzz/mkseed.py $(1) $$@
endef
$(foreach f,$(FUZZ_ELF_SEEDS_FROM),$(eval $(call FUZZ_SEED_RULE,$(f))))

# One "name flags seed-dirs" argument per target for the runner.
FUZZ_RUN_ARGS = $(foreach t,$(FUZZ_TARGETS),'$(t) $(fuzz_flags_$(t)) $(wildcard tests/fuzz/corpus/$(t)) $(fuzz_seeds_$(t))')

.PHONY: fuzz fuzz-check fuzz-run
fuzz: deps-check
	@$(MAKE) --no-print-directory fuzz-run RUNS=$(FUZZ_RUNS)
fuzz-check: deps-check
	@$(MAKE) --no-print-directory fuzz-run RUNS=$(FUZZ_CHECK_RUNS)
fuzz-run: $(FUZZ_BINS) $(FUZZ_ELF_SEEDS)
	$(if $(FUZZ_LEFT_OUT),@echo "fuzz: left out in this lab $(STUDENT_LAB) student tree (labs not reached yet): $(FUZZ_LEFT_OUT)")
	@$(PYTHON) tests/fuzz/run.py --build $(FUZZ_BUILD) --runs $(RUNS) $(FUZZ_RUN_ARGS)
