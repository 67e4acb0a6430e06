# tests/kernels/mbinfo/mbinfo.mk: the Multiboot information test kernel.
#
#   MBINFO_ELF         plain ELF32: the loader follows the program headers
#   MBINFO_KLUDGE_ELF  same code, header flag 16: loaded by the a.out kludge fields
#   MBINFO_ELF64       MBINFO_ELF repackaged as ELF64 (still 32-bit code), to
#                      exercise a loader's ELF64 path; QEMU -kernel refuses it
# The shapes a PC kernel comes in, for the loaders' tolerance (QEMU -kernel's):
#   MBINFO_LOW8K_ELF   linked and loaded at 0x8000, below 1 MiB, over where the
#                      hypervisor's boot information goes unless it moves it
#   MBINFO_LOW64K_ELF  linked and loaded at 0x10000
#   MBINFO_HIGH_ELF    loaded at 1 MiB, linked at 0xC0100000, e_entry physical
#                      (Linux-style): it turns paging on itself
#   MBINFO_KLUDGE_BIN  MBINFO_KLUDGE_ELF as a flat binary: only the a.out
#                      kludge fields say where it goes

MBINFO_SRC := tests/kernels/mbinfo
MBINFO_OUT := $(BUILD)/tests/mbinfo
MBINFO_ELF := $(BUILD)/tests/mbinfo.elf
MBINFO_KLUDGE_ELF := $(BUILD)/tests/mbinfo-kludge.elf
MBINFO_ELF64 := $(BUILD)/tests/mbinfo64.elf
MBINFO_LOW8K_ELF := $(BUILD)/tests/mbinfo-low8k.elf
MBINFO_LOW64K_ELF := $(BUILD)/tests/mbinfo-low64k.elf
MBINFO_HIGH_ELF := $(BUILD)/tests/mbinfo-high.elf
MBINFO_KLUDGE_BIN := $(BUILD)/tests/mbinfo-kludge.bin
MBINFO_SHAPES := $(MBINFO_LOW8K_ELF) $(MBINFO_LOW64K_ELF) $(MBINFO_HIGH_ELF) $(MBINFO_KLUDGE_BIN)

MBINFO_CFLAGS := $(CFLAGS32) -Ilib -MMD -MP
MBINFO_LIB_C := crc32.c fmt.c printf.c serial.c poweroff.c string.c
MBINFO_COMMON_OBJS := $(MBINFO_OUT)/mbinfo.o $(patsubst %.c,$(MBINFO_OUT)/lib/%.o,$(MBINFO_LIB_C))

$(MBINFO_OUT)/entry.o: $(MBINFO_SRC)/entry.S
	@mkdir -p $(@D)
	$(call quiet,AS32,$<)$(CC32) -m32 -Ilib -MMD -MP -c $< -o $@

$(MBINFO_OUT)/entry-kludge.o: $(MBINFO_SRC)/entry.S
	@mkdir -p $(@D)
	$(call quiet,AS32,$<)$(CC32) -m32 -DMBINFO_KLUDGE -Ilib -MMD -MP -c $< -o $@

$(MBINFO_OUT)/entry-high.o: $(MBINFO_SRC)/entry.S
	@mkdir -p $(@D)
	$(call quiet,AS32,$<)$(CC32) -m32 -DMBINFO_HIGH -Ilib -MMD -MP -c $< -o $@

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

# mbinfo_link(output, entry object, ld options)
mbinfo_link = $(call quiet,LD32,$(1))$(LD32) -m elf_i386 -T $(MBINFO_SRC)/mbinfo.ld $(3) -o $(1) $(2) $(MBINFO_COMMON_OBJS) $(LIBGCC32)

$(MBINFO_LOW8K_ELF): $(MBINFO_OUT)/entry.o $(MBINFO_COMMON_OBJS) $(MBINFO_SRC)/mbinfo.ld
	$(call mbinfo_link,$@,$(MBINFO_OUT)/entry.o,--defsym=__mbinfo_base=0x8000)

$(MBINFO_LOW64K_ELF): $(MBINFO_OUT)/entry.o $(MBINFO_COMMON_OBJS) $(MBINFO_SRC)/mbinfo.ld
	$(call mbinfo_link,$@,$(MBINFO_OUT)/entry.o,--defsym=__mbinfo_base=0x10000)

$(MBINFO_HIGH_ELF): $(MBINFO_OUT)/entry-high.o $(MBINFO_COMMON_OBJS) $(MBINFO_SRC)/mbinfo.ld
	$(call mbinfo_link,$@,$(MBINFO_OUT)/entry-high.o,--defsym=__mbinfo_offset=0xC0000000)

$(MBINFO_KLUDGE_BIN): $(MBINFO_KLUDGE_ELF)
	$(call quiet,OBJCOPY,$@)$(OBJCOPY32) -O binary $< $@

$(MBINFO_ELF64): $(MBINFO_ELF)
	$(call quiet,OBJCOPY,$@)$(OBJCOPY32) -O elf64-x86-64 $< $@

.PHONY: mbinfo
mbinfo: $(MBINFO_ELF) $(MBINFO_KLUDGE_ELF) $(MBINFO_ELF64) $(MBINFO_SHAPES)

-include $(wildcard $(MBINFO_OUT)/*.d $(MBINFO_OUT)/lib/*.d)
