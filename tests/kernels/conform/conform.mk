# tests/kernels/conform/conform.mk: the conformance guest kernel (issue 21):
# what a ring-0 kernel must see of the CPU whatever runs it (natively, VT-x,
# ring 1, patched, translated): self-modifying code, faults in every kind of
# instruction a translator rewrites, the sensitive instructions, indirect
# control flow. tests/integration/conform_cases.py runs it in every mode.
#
#   CONFORM_ELF   ELF32 Multiboot v1 kernel; its command line says what to do (do=NAME)

CONFORM_SRC := tests/kernels/conform
CONFORM_OUT := $(BUILD)/tests/conform
CONFORM_ELF := $(BUILD)/tests/conform.elf

CONFORM_CFLAGS := $(CFLAGS32) -Ilib -Itests/kernels/common -MMD -MP
CONFORM_LIB_C := fmt.c printf.c serial.c poweroff.c string.c
CONFORM_C := $(notdir $(wildcard $(CONFORM_SRC)/*.c))
CONFORM_S := $(notdir $(wildcard $(CONFORM_SRC)/*.S))
CONFORM_OBJS := $(CONFORM_OUT)/entry.o $(CONFORM_OUT)/common/verdict.o $(CONFORM_C:%.c=$(CONFORM_OUT)/%.o) $(CONFORM_S:%.S=$(CONFORM_OUT)/%.o) \
                $(CONFORM_LIB_C:%.c=$(CONFORM_OUT)/lib/%.o)

$(CONFORM_OUT)/entry.o: tests/kernels/common/entry.S
	@mkdir -p $(@D)
	$(call quiet,AS32,$<)$(CC32) -m32 -Ilib -MMD -MP -c $< -o $@

$(CONFORM_OUT)/common/%.o: tests/kernels/common/%.c
	@mkdir -p $(@D)
	$(call quiet,CC32,$<)$(CC32) $(CONFORM_CFLAGS) -c $< -o $@

$(CONFORM_OUT)/%.o: $(CONFORM_SRC)/%.S
	@mkdir -p $(@D)
	$(call quiet,AS32,$<)$(CC32) -m32 -Ilib -MMD -MP -c $< -o $@

$(CONFORM_OUT)/%.o: $(CONFORM_SRC)/%.c
	@mkdir -p $(@D)
	$(call quiet,CC32,$<)$(CC32) $(CONFORM_CFLAGS) -c $< -o $@

$(CONFORM_OUT)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(call quiet,CC32,$<)$(CC32) $(CONFORM_CFLAGS) -c $< -o $@

$(CONFORM_ELF): $(CONFORM_OBJS) tests/kernels/common/kernel.ld
	$(call quiet,LD32,$@)$(LD32) -m elf_i386 -T tests/kernels/common/kernel.ld -o $@ $(CONFORM_OBJS) $(LIBGCC32)

.PHONY: conform-kernel
conform-kernel: $(CONFORM_ELF)

-include $(wildcard $(CONFORM_OUT)/*.d $(CONFORM_OUT)/lib/*.d $(CONFORM_OUT)/common/*.d)
