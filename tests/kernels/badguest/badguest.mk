# tests/kernels/badguest/badguest.mk: the misbehaving guest kernel that the
# hypervisor's exit handlers are tested with (tests/integration/hv_cases.py).
#
#   BADGUEST_ELF   ELF32 Multiboot v1 kernel; its command line says what to do (do=NAME)

BADGUEST_SRC := tests/kernels/badguest
BADGUEST_OUT := $(BUILD)/tests/badguest
BADGUEST_ELF := $(BUILD)/tests/badguest.elf

KERNELS_COMMON := tests/kernels/common
BADGUEST_CFLAGS := $(CFLAGS32) -Ilib -I$(KERNELS_COMMON) -MMD -MP
BADGUEST_LIB_C := fmt.c printf.c serial.c poweroff.c string.c
BADGUEST_OBJS := $(BADGUEST_OUT)/entry.o $(BADGUEST_OUT)/badguest.o $(BADGUEST_OUT)/fuzz.o $(BADGUEST_OUT)/ptfuzz.o $(BADGUEST_OUT)/ring3.o $(BADGUEST_OUT)/ticks.o \
                 $(patsubst %.c,$(BADGUEST_OUT)/lib/%.o,$(BADGUEST_LIB_C))

$(BADGUEST_OUT)/entry.o: $(KERNELS_COMMON)/entry.S
	@mkdir -p $(@D)
	$(call quiet,AS32,$<)$(CC32) -m32 -Ilib -MMD -MP -c $< -o $@

$(BADGUEST_OUT)/%.o: $(BADGUEST_SRC)/%.c
	@mkdir -p $(@D)
	$(call quiet,CC32,$<)$(CC32) $(BADGUEST_CFLAGS) -c $< -o $@

$(patsubst %.c,$(BADGUEST_OUT)/lib/%.o,$(BADGUEST_LIB_C)): $(BADGUEST_OUT)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(call quiet,CC32,$<)$(CC32) $(BADGUEST_CFLAGS) -c $< -o $@

# LIBGCC32: fmt.c divides 64-bit numbers (the MSR values).
$(BADGUEST_ELF): $(BADGUEST_OBJS) $(KERNELS_COMMON)/kernel.ld
	$(call quiet,LD32,$@)$(LD32) -m elf_i386 -T $(KERNELS_COMMON)/kernel.ld -o $@ $(BADGUEST_OBJS) $(LIBGCC32)

.PHONY: badguest
badguest: $(BADGUEST_ELF)

-include $(wildcard $(BADGUEST_OUT)/*.d $(BADGUEST_OUT)/lib/*.d)
