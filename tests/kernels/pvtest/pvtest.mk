# tests/kernels/pvtest/pvtest.mk: the PV test kernel (lab 5, cpu=pv), one
# case per boot (case=NAME; pvtest.h), judged by
# tests/integration/pv_cases.py. Linked at 0xC0100000, loaded at 1 MiB
# (pvtest.ld); its Multiboot entry only says it needs cpu=pv.
#
#   PVTEST_ELF   ELF32 Multiboot v1 kernel with the PV note

PVTEST_SRC := tests/kernels/pvtest
PVTEST_OUT := $(BUILD)/tests/pvtest
PVTEST_ELF := $(BUILD)/tests/pvtest.elf

PVTEST_CFLAGS := $(CFLAGS32) -Ilib -Itests/kernels/common -MMD -MP
PVTEST_LIB_C := fmt.c printf.c serial.c string.c io_ring.c virtqueue.c
# The split console's transport, the guest OS's (guestos/kernel/pv/): the
# split-front and split-back cases play one end over the same code.
PVTEST_GUEST_C := console_front_transport.c console_back_transport.c
PVTEST_C := $(notdir $(wildcard $(PVTEST_SRC)/*.c))
PVTEST_OBJS := $(PVTEST_OUT)/entry.o $(PVTEST_OUT)/common/verdict.o $(PVTEST_C:%.c=$(PVTEST_OUT)/%.o) \
               $(PVTEST_LIB_C:%.c=$(PVTEST_OUT)/lib/%.o) $(PVTEST_GUEST_C:%.c=$(PVTEST_OUT)/guest/%.o)

$(PVTEST_OUT)/entry.o: $(PVTEST_SRC)/entry.S
	@mkdir -p $(@D)
	$(call quiet,AS32,$<)$(CC32) -m32 -Ilib -Itests/kernels/common -MMD -MP -c $< -o $@

$(PVTEST_OUT)/common/%.o: tests/kernels/common/%.c
	@mkdir -p $(@D)
	$(call quiet,CC32,$<)$(CC32) $(PVTEST_CFLAGS) -c $< -o $@

$(PVTEST_OUT)/%.o: $(PVTEST_SRC)/%.c
	@mkdir -p $(@D)
	$(call quiet,CC32,$<)$(CC32) $(PVTEST_CFLAGS) -c $< -o $@

# A student tree's stubs in lib/ (its rings: lab 6) leave helpers and
# parameters unused: mk/lab.mk's LAB_STUB_CFLAGS, for those objects only.
$(patsubst lib/%.c,$(PVTEST_OUT)/lib/%.o,$(filter lib/%,$(LAB_STUBBED))): PVTEST_CFLAGS += $(LAB_STUB_CFLAGS)

$(PVTEST_OUT)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(call quiet,CC32,$<)$(CC32) $(PVTEST_CFLAGS) -c $< -o $@

$(PVTEST_OUT)/guest/%.o: guestos/kernel/pv/%.c
	@mkdir -p $(@D)
	$(call quiet,CC32,$<)$(CC32) $(PVTEST_CFLAGS) -c $< -o $@

$(PVTEST_ELF): $(PVTEST_OBJS) $(PVTEST_SRC)/pvtest.ld
	$(call quiet,LD32,$@)$(LD32) -m elf_i386 -T $(PVTEST_SRC)/pvtest.ld -o $@ $(PVTEST_OBJS) $(LIBGCC32)

.PHONY: pvtest-kernel
pvtest-kernel: $(PVTEST_ELF)

-include $(wildcard $(PVTEST_OUT)/*.d $(PVTEST_OUT)/lib/*.d $(PVTEST_OUT)/common/*.d $(PVTEST_OUT)/guest/*.d)
