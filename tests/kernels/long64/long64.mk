# tests/kernels/long64/long64.mk: the long64 test kernel, a 32-bit Multiboot
# kernel that switches to long mode as a PC kernel does (entry.S) and checks
# in 64-bit mode what a 64-bit kernel needs (long64.c; probe_strio.c: string
# I/O through 4-level paging, probe=strio; probe_mmio.c: the APICs' MMIO
# from 64-bit code, probe=mmio, with probe_mmio_forms.S).
#
#   LONG64_ELF  ELF32 (what QEMU's -kernel and the hypervisor load), made
#               from the x86-64 link by objcopy

LONG64_SRC := tests/kernels/long64
LONG64_OUT := $(BUILD)/tests/long64
LONG64_ELF := $(BUILD)/tests/long64.elf

LONG64_CFLAGS := $(CFLAGS64) -Ilib -Itests/kernels/common -MMD -MP
LONG64_LIB_C := fmt.c printf.c serial.c poweroff.c string.c
LONG64_C := long64.c probe_strio.c probe_mmio.c
LONG64_S := entry.S probe_mmio_forms.S
LONG64_OBJS := $(patsubst %.S,$(LONG64_OUT)/%.o,$(LONG64_S)) $(patsubst %.c,$(LONG64_OUT)/%.o,$(LONG64_C)) $(patsubst %.c,$(LONG64_OUT)/lib/%.o,$(LONG64_LIB_C))

$(patsubst %.S,$(LONG64_OUT)/%.o,$(LONG64_S)): $(LONG64_OUT)/%.o: $(LONG64_SRC)/%.S
	@mkdir -p $(@D)
	$(call quiet,AS,$<)$(CC64) $(LONG64_CFLAGS) -c $< -o $@

$(patsubst %.c,$(LONG64_OUT)/%.o,$(LONG64_C)): $(LONG64_OUT)/%.o: $(LONG64_SRC)/%.c
	@mkdir -p $(@D)
	$(call quiet,CC,$<)$(CC64) $(LONG64_CFLAGS) -c $< -o $@

$(patsubst %.c,$(LONG64_OUT)/lib/%.o,$(LONG64_LIB_C)): $(LONG64_OUT)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(call quiet,CC,$<)$(CC64) $(LONG64_CFLAGS) -c $< -o $@

$(LONG64_OUT)/long64.elf64: $(LONG64_OBJS) $(LONG64_SRC)/long64.ld
	$(call quiet,LD,$@)$(LD64) -m elf_x86_64 -T $(LONG64_SRC)/long64.ld -o $@ $(LONG64_OBJS)

$(LONG64_ELF): $(LONG64_OUT)/long64.elf64
	$(call quiet,OBJCOPY,$@)$(OBJCOPY64) -O elf32-i386 $< $@

.PHONY: long64
long64: $(LONG64_ELF)

-include $(wildcard $(LONG64_OUT)/*.d $(LONG64_OUT)/lib/*.d)
