# tests/unit/: host unit tests of the pure modules, with cmocka.
#
#   make unit-check     build every test binary with the host compiler, run
#                       them all, and end with "unit: N passed, M failed"
#
# Each test binary is tests/unit/test_<name>.c compiled together with the
# sources it tests (unit_srcs_<name>). The hypervisor's pure modules include
# "string.h" and "fmt.h" from lib/: -iquote makes those quoted includes find
# lib/'s headers while <...> includes still get the C library's.

UNIT_BUILD := $(BUILD)/tests/unit
UNIT_CFLAGS := $(HOST_CFLAGS) -iquote hv -iquote lib -iquote tests/unit
UNIT_LDLIBS := -lcmocka
UNIT_HEADERS := $(wildcard tests/unit/*.h hv/*.h hv/*/*.h lib/*.h)

UNIT_TESTS := fmt pmm heap options boot_info ksyms mbimage entry_check guest_paging guest_paging_pae gdb_packet \
              x86_decode sensitive descriptor guest_line pic_filter exit_info pit pic lapic \
              mmio_access ioapic crc32 rtc long_mode_rules vga_regs screen_lines segment_access \
              fault_combine pci_config i8042 uart_rx evtchn_ports evtchn_interdomain pv_time_scale console_ring balloon_targets \
              direct_paging

unit_srcs_fmt := lib/fmt.c
unit_srcs_crc32 := lib/crc32.c
unit_srcs_rtc := hv/dev/rtc.c hv/dev/rtc_irq.c
unit_srcs_long_mode_rules := hv/vmx/long_mode_rules.c
unit_srcs_vga_regs := hv/dev/vga_regs.c
unit_srcs_screen_lines := hv/exit/screen_lines.c
unit_srcs_pci_config := hv/dev/pci_config.c
unit_srcs_i8042 := hv/dev/i8042.c
unit_srcs_uart_rx := hv/exit/uart_rx.c
unit_srcs_evtchn_ports := hv/pv/evtchn_ports.c
unit_srcs_evtchn_interdomain := hv/pv/evtchn_ports.c hv/pv/evtchn_interdomain.c
unit_srcs_pv_time_scale := hv/pv/pv_time_scale.c
unit_srcs_console_ring := hv/pv/console_ring.c
unit_srcs_balloon_targets := hv/boot/balloon_targets.c
unit_srcs_pmm := hv/mem/pmm.c
unit_srcs_heap := hv/mem/heap.c
unit_srcs_options := hv/boot/options.c hv/boot/balloon_targets.c
unit_srcs_boot_info := hv/boot/boot_info.c
unit_srcs_ksyms := hv/cpu/ksyms.c
unit_srcs_mbimage := lib/mbimage.c lib/fmt.c
unit_srcs_entry_check := hv/vmx/cpu_rules.c hv/check/entry_check.c hv/check/entry_check_controls.c \
                         hv/check/entry_check_host.c hv/check/entry_check_guest.c hv/check/vmcs_breaks.c \
                         hv/vmx/vmcs_fields.c tests/unit/vmcs_model.c
unit_srcs_guest_paging := hv/guest/guest_paging.c
unit_srcs_guest_paging_pae := hv/guest/guest_paging_pae.c
unit_srcs_gdb_packet := hv/gdb/gdb_packet.c
unit_srcs_x86_decode := hv/x86/x86_decode.c
# The PV kernel's note (lab 5): its own line, beside the other PV modules' lines.
UNIT_TESTS += pv_note
unit_srcs_pv_note := lib/pv_note.c
unit_srcs_direct_paging := hv/guest/direct_paging.c hv/guest/direct_paging_check.c lib/fmt.c
# Lab 6's rings, shared by the guests' front and back ends.
UNIT_TESTS += io_ring virtqueue
unit_srcs_io_ring := lib/io_ring.c
unit_srcs_virtqueue := lib/virtqueue.c
# Its two gates (own frames; the hypervisor's the VM's tables reach), on a
# frame table of the test's (machine_frames() itself takes the allocator's).
UNIT_TESTS += machine_frames
unit_srcs_machine_frames := hv/guest/machine_frames.c hv/mem/pmm.c
# Grants between PV VMs (issue 20), over direct paging.
UNIT_TESTS += grant_table
unit_srcs_grant_table := hv/pv/grant_table.c $(unit_srcs_direct_paging)
# The hypervisor's paging of a VM (issue 20): the clock and the page-ins.
UNIT_TESTS += resident_set
unit_srcs_resident_set := hv/guest/resident_set.c hv/guest/pageins.c

# Binary translation (issue 21): the translator's sources, and its harness,
# which runs 32-bit code in a 32-bit process of the kit's 32-bit compiler
# (natively, or under qemu-i386: tests/unit/bt_harness.h).
BT_SRCS := $(wildcard hv/bt/*.c) hv/x86/x86_decode.c hv/x86/sensitive.c
UNIT_TESTS += bt_block
unit_srcs_bt_block := $(BT_SRCS) tests/unit/bt_harness.c tests/unit/bt_snippets.S
BT_RUNNER := $(UNIT_BUILD)/bt_runner
unit_defs_bt_block := -DBT_RUNNER='"$(BT_RUNNER)"'
$(UNIT_BUILD)/test_bt_block: $(BT_RUNNER)
$(BT_RUNNER): tests/unit/bt_runner.c tests/unit/bt_harness_layout.h
	@mkdir -p $(@D)
	$(call quiet,CC32,$@)$(CC32) $(CFLAGS32) -static -no-pie -Wl,--build-id=none -o $@ $<

# The decoder is compared with objdump on the kit's own 32-bit programs,
# and on its 64-bit code: the hypervisor itself and the long64 kernel.
UNIT_DATA := $(GUEST_KERNEL) $(GUEST_PROGS) $(BADGUEST_ELF)
UNIT_DATA64 := $(HV_ELF) $(LONG64_OUT)/long64.elf64
unit_defs_x86_decode := -DX86_DECODE_ELVES='"$(UNIT_DATA)"' -DX86_DECODE_ELVES64='"$(UNIT_DATA64)"'
unit_srcs_sensitive := hv/x86/sensitive.c hv/x86/x86_decode.c lib/elf_code.c
unit_srcs_descriptor := hv/x86/descriptor.c
unit_srcs_segment_access := hv/x86/segment_access.c
unit_srcs_fault_combine := hv/x86/fault_combine.c
unit_srcs_guest_line := hv/exit/guest_line.c
unit_srcs_pic_filter := hv/exit/pic_filter.c
unit_srcs_pic := hv/dev/pic.c
unit_srcs_exit_info := hv/vmx/exit_info.c lib/fmt.c
unit_srcs_pit := hv/dev/pit.c hv/dev/pit_counter.c
unit_srcs_lapic := hv/dev/lapic.c hv/dev/lapic_priority.c hv/dev/lapic_timer.c
# The I/O APIC's test hands its messages to the local APIC, as the hypervisor will.
unit_srcs_ioapic := hv/dev/ioapic.c $(unit_srcs_lapic)
unit_srcs_mmio_access := hv/x86/mmio_access.c hv/x86/x86_decode.c
unit_defs_sensitive := $(unit_defs_x86_decode)

# lib/fmt.c defines snprintf and vsnprintf; linked as they are, they would
# also replace the C library's inside cmocka. The fmt test renames them.
unit_defs_fmt := -Dsnprintf=fmt_snprintf -Dvsnprintf=fmt_vsnprintf
unit_defs_mbimage := $(unit_defs_fmt)
unit_defs_exit_info := $(unit_defs_fmt)
unit_defs_direct_paging := $(unit_defs_fmt)
unit_defs_grant_table := $(unit_defs_fmt)
# devices='s default is this tree's (hv/hv.mk).
unit_defs_options := -DDEVICES_DEFAULT=DEVICES_$(HV_DEVICES_DEFAULT)
$(UNIT_BUILD)/test_options: $(BUILD)/hv/devices-default.$(HV_DEVICES_DEFAULT)

# A student tree's stubs call panic(): the host's fails the running test
# (unit.h: cmocka goes on with the next) and, in a fuzzer, aborts.
HOST_PANIC := tests/unit/host_panic.c

# A student tree (mk/lab.mk) leaves out the tests of modules that hold a
# later lab's stubs: they panic whatever the student writes in this lab.
later_lab_tests = $(strip $(foreach t,$(1),$(if $(filter $(LATER_LAB_SOURCES),$($(2)$(t))),$(t))))
UNIT_LEFT_OUT := $(call later_lab_tests,$(UNIT_TESTS),unit_srcs_)
UNIT_TESTS := $(filter-out $(UNIT_LEFT_OUT),$(UNIT_TESTS))
UNIT_TEST_BINS := $(UNIT_TESTS:%=$(UNIT_BUILD)/test_%)

define UNIT_TEST_RULE
$(UNIT_BUILD)/test_$(1): tests/unit/test_$(1).c $(unit_srcs_$(1)) $(HOST_PANIC) $(UNIT_HEADERS)
	@mkdir -p $$(@D)
	$$(call quiet,HOSTCC,$$@)$(HOSTCC) $(UNIT_CFLAGS) $(unit_defs_$(1)) -o $$@ tests/unit/test_$(1).c $(unit_srcs_$(1)) $(HOST_PANIC) $(UNIT_LDLIBS)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call UNIT_TEST_RULE,$(t))))

.PHONY: unit-check
unit-check: $(UNIT_TEST_BINS) $(UNIT_DATA) $(UNIT_DATA64)
	$(if $(UNIT_LEFT_OUT),@echo "unit: left out in this lab $(STUDENT_LAB) student tree (labs not reached yet): $(UNIT_LEFT_OUT)")
	@sh tests/unit/run.sh $(UNIT_TEST_BINS)
