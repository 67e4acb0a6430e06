# tests/kernels/hostile/hostile.mk: the hostile guest kernel, one attack per
# boot (attack=NAME; README.md here), run in every mode by
# tests/integration/hostile.py (make hostile, and make check).
#
#   HOSTILE_ELF   ELF32 Multiboot v1 kernel

HOSTILE_SRC := tests/kernels/hostile
HOSTILE_OUT := $(BUILD)/tests/hostile
HOSTILE_ELF := $(BUILD)/tests/hostile.elf

HOSTILE_CFLAGS := $(CFLAGS32) -Ilib -Itests/kernels/common -MMD -MP
HOSTILE_LIB_C := fmt.c printf.c serial.c poweroff.c string.c
HOSTILE_C := $(notdir $(wildcard $(HOSTILE_SRC)/*.c))
HOSTILE_OBJS := $(HOSTILE_OUT)/entry.o $(HOSTILE_OUT)/common/verdict.o $(HOSTILE_C:%.c=$(HOSTILE_OUT)/%.o) \
                $(HOSTILE_LIB_C:%.c=$(HOSTILE_OUT)/lib/%.o)

$(HOSTILE_OUT)/entry.o: tests/kernels/common/entry.S
	@mkdir -p $(@D)
	$(call quiet,AS32,$<)$(CC32) -m32 -Ilib -MMD -MP -c $< -o $@

$(HOSTILE_OUT)/common/%.o: tests/kernels/common/%.c
	@mkdir -p $(@D)
	$(call quiet,CC32,$<)$(CC32) $(HOSTILE_CFLAGS) -c $< -o $@

$(HOSTILE_OUT)/%.o: $(HOSTILE_SRC)/%.c
	@mkdir -p $(@D)
	$(call quiet,CC32,$<)$(CC32) $(HOSTILE_CFLAGS) -c $< -o $@

$(HOSTILE_OUT)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(call quiet,CC32,$<)$(CC32) $(HOSTILE_CFLAGS) -c $< -o $@

$(HOSTILE_ELF): $(HOSTILE_OBJS) tests/kernels/common/kernel.ld
	$(call quiet,LD32,$@)$(LD32) -m elf_i386 -T tests/kernels/common/kernel.ld -o $@ $(HOSTILE_OBJS) $(LIBGCC32)

.PHONY: hostile-kernel
hostile-kernel: $(HOSTILE_ELF)

-include $(wildcard $(HOSTILE_OUT)/*.d $(HOSTILE_OUT)/lib/*.d $(HOSTILE_OUT)/common/*.d)

# make hostile: every attack in every mode it applies to (ATTACK=substring,
# MODE=ept|shadow|depriv|patch|icelake|virtual|vshadow|vdepriv|vdelay to narrow it).
.PHONY: hostile
hostile: deps-run all $(HOSTILE_ELF)
	@$(PYTHON) tests/integration/hostile.py $(if $(ATTACK),-k $(ATTACK)) $(if $(MODE),-m $(MODE))
