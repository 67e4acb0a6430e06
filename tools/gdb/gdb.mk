# tools/gdb/: GDB through the hypervisor (handouts/debugging.md).
#
#   make gdb                the hypervisor in Bochs, gdb attached to it (its own stub,
#                           gdb=hv), with hv.elf's symbols (PAIR="A B": two PV test
#                           kernels, as make run)
#   make gdb-guest          the same, gdb debugging the guest kernel (gdb=guest)
#   make run-native GDB=1   the guest OS alone in QEMU TCG, gdb on QEMU's own gdbstub
#   make bochs-debug        Bochs's internal debugger, hv.elf's symbols loaded, a
#                           breakpoint on every VM exit (vmexitbp)
#   make gdb EMU=qemu-kvm   real VT-x through nested KVM, gdb on QEMU's gdbstub
#                           (checked: a clear message where the host has no VT-x)
#
# Each run chooses a free local port (never a fixed one). The console goes to
# build/gdb/console.log so that it does not mix with gdb's prompt.

GDB_DIR     := $(BUILD)/gdb
GDB_TIMEOUT ?= 3600
GDB_LAUNCH   = $(PYTHON) tools/gdb/launch.py --init $(GDB_DIR)/.gdbinit
# The hypervisor's own stub needs Bochs's COM2: auto means bochs here.
GDB_HVRUN    = --emu $(if $(filter auto,$(EMU)),bochs,$(EMU)) --boot $(BOOT) --cpu $(CPU) --timeout $(GDB_TIMEOUT) \
               --quiet --log $(GDB_DIR)/console.log
# qemu-system-x86_64's gdbstub always serves x86-64 registers, even while a
# 32-bit kernel runs: gdb must be told i386:x86-64 before it connects, or it
# refuses the 'g' reply ("Remote 'g' packet reply is too long").
GDB_HV_ARCH := i386:x86-64

.PHONY: gdb gdb-guest bochs-debug
gdb: deps-run $(RUN_IMAGES)
	@mkdir -p $(GDB_DIR)
	$(GDB_LAUNCH) --arch $(GDB_HV_ARCH) --elf $(HV_ELF) -- $(GDB_HVRUN) --gdb-stub hv \
		$(HV_ELF) $(RUN_MODULES) -- $(RUN_ARGS)

gdb-guest: deps-run all
	@mkdir -p $(GDB_DIR)
	$(GDB_LAUNCH) --arch i386 --elf $(RUN_KERNEL) -- $(GDB_HVRUN) --gdb-stub guest \
		$(HV_ELF) --module "$(RUN_KERNEL) $(GUEST_ARGS)" $(GUEST_MODULES) -- $(ARGS)

# make run-native GDB=1: the recipe in the Makefile runs $(NATIVE_RUNNER).
NATIVE_RUNNER = $(if $(filter 1,$(GDB)),$(GDB_LAUNCH) --arch i386:x86-64 --elf $(GUEST_KERNEL) -- \
                --quiet --log $(GDB_DIR)/console.log,tools/hvrun)

# Bochs's own debugger: symbols from hv.elf (nm: "ADDRESS NAME" lines, the
# format of its ldsym command), then a stop at every VM exit.
BOCHS_SYMBOLS := $(GDB_DIR)/hv.sym
$(BOCHS_SYMBOLS): $(HV_ELF)
	@mkdir -p $(@D)
	$(call quiet,NM,$@)$(NM64) $< | awk '$$2 ~ /^[TtWw]$$/ { print $$1, $$3 }' > $@

bochs-debug: deps-run all $(BOCHS_SYMBOLS)
	tools/hvrun --timeout $(GDB_TIMEOUT) --cpu $(CPU) --bochs-debug $(BOCHS_SYMBOLS) \
		$(HV_ELF) --module "$(RUN_KERNEL) $(GUEST_ARGS)" $(GUEST_MODULES) -- $(ARGS)
