# tests/kernels/mbinfo/mbinfo.mk: the Multiboot information test kernel.
#
#   MBINFO_ELF         plain ELF32: the loader follows the program headers
#   MBINFO_KLUDGE_ELF  same code, header flag 16: loaded by the a.out kludge fields
#   MBINFO_ELF64       MBINFO_ELF repackaged as ELF64 (still 32-bit code), to
#                      exercise a loader's ELF64 path; QEMU -kernel refuses it

MBINFO_SRC := tests/kernels/mbinfo
MBINFO_OUT := $(BUILD)/tests/mbinfo
MBINFO_ELF := $(BUILD)/tests/mbinfo.elf
MBINFO_KLUDGE_ELF := $(BUILD)/tests/mbinfo-kludge.elf
MBINFO_ELF64 := $(BUILD)/tests/mbinfo64.elf

MBINFO_CFLAGS := $(CFLAGS32) -Ilib -MMD -MP
MBINFO_LIB_C := crc32.c fmt.c printf.c serial.c poweroff.c string.c
MBINFO_COMMON_OBJS := $(MBINFO_OUT)/mbinfo.o $(patsubst %.c,$(MBINFO_OUT)/lib/%.o,$(MBINFO_LIB_C))

$(MBINFO_OUT)/entry.o: $(MBINFO_SRC)/entry.S
	@mkdir -p $(@D)
	$(call quiet,AS32,$<)$(CC32) -m32 -Ilib -MMD -MP -c $< -o $@

$(MBINFO_OUT)/entry-kludge.o: $(MBINFO_SRC)/entry.S
	@mkdir -p $(@D)
	$(call quiet,AS32,$<)$(CC32) -m32 -DMBINFO_KLUDGE -Ilib -MMD -MP -c $< -o $@

$(MBINFO_OUT)/mbinfo.o: $(MBINFO_SRC)/mbinfo.c
	@mkdir -p $(@D)
	$(call quiet,CC32,$<)$(CC32) $(MBINFO_CFLAGS) -c $< -o $@

$(patsubst %.c,$(MBINFO_OUT)/lib/%.o,$(MBINFO_LIB_C)): $(MBINFO_OUT)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(call quiet,CC32,$<)$(CC32) $(MBINFO_CFLAGS) -c $< -o $@

# LIBGCC32: fmt.c divides 64-bit numbers when printing the memory map.
$(MBINFO_ELF): $(MBINFO_OUT)/entry.o $(MBINFO_COMMON_OBJS) $(MBINFO_SRC)/mbinfo.ld
	$(call quiet,LD32,$@)$(LD32) -m elf_i386 -T $(MBINFO_SRC)/mbinfo.ld -o $@ $(MBINFO_OUT)/entry.o $(MBINFO_COMMON_OBJS) $(LIBGCC32)

$(MBINFO_KLUDGE_ELF): $(MBINFO_OUT)/entry-kludge.o $(MBINFO_COMMON_OBJS) $(MBINFO_SRC)/mbinfo.ld
	$(call quiet,LD32,$@)$(LD32) -m elf_i386 -T $(MBINFO_SRC)/mbinfo.ld -o $@ $(MBINFO_OUT)/entry-kludge.o $(MBINFO_COMMON_OBJS) $(LIBGCC32)

$(MBINFO_ELF64): $(MBINFO_ELF)
	$(call quiet,OBJCOPY,$@)$(OBJCOPY32) -O elf64-x86-64 $< $@

.PHONY: mbinfo
mbinfo: $(MBINFO_ELF) $(MBINFO_KLUDGE_ELF) $(MBINFO_ELF64)

-include $(wildcard $(MBINFO_OUT)/*.d $(MBINFO_OUT)/lib/*.d)
