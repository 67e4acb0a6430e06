# tools/loader/loader.mk: the fast raw-disk boot loader (tools/loader/README.md).
#
#   $(BUILD)/loader/boot.bin    the 512-byte boot sector (16-bit)
#   $(BUILD)/loader/stage2.bin  stage2, a flat binary loaded at 0x8000
# tools/mkimage.py --loader-dir $(LOADER_OUT) puts both on a disk image.
# The .elf files next to them carry the symbols (gdb), the .sym files the
# same for Bochs's debugger.

LOADER_SRC := tools/loader
LOADER_OUT := $(BUILD)/loader
LOADER_BINS := $(LOADER_OUT)/boot.bin $(LOADER_OUT)/stage2.bin
MKIMAGE := tools/mkimage.py

LOADER_CFLAGS := $(CFLAGS32) -I$(LOADER_SRC) -Ilib -MMD -MP
LOADER_ASFLAGS := -m32 -I$(LOADER_SRC) -Ilib -MMD -MP

# stage2: entry.S first (its .text16 starts the binary; the linker script
# places it anyway), then the C part and the lib/ code it uses.
LOADER_STAGE2_C := main.c ata.c memmap.c manifest.c bootinfo.c panic.c
LOADER_LIB_C := fmt.c printf.c serial.c poweroff.c string.c mbimage.c
LOADER_STAGE2_OBJS := $(LOADER_OUT)/entry.o \
    $(patsubst %.c,$(LOADER_OUT)/%.o,$(LOADER_STAGE2_C)) \
    $(patsubst %.c,$(LOADER_OUT)/lib/%.o,$(LOADER_LIB_C))

$(LOADER_OUT)/boot.o $(LOADER_OUT)/entry.o: $(LOADER_OUT)/%.o: $(LOADER_SRC)/%.S
	@mkdir -p $(@D)
	$(call quiet,AS32,$<)$(CC32) $(LOADER_ASFLAGS) -c $< -o $@

$(patsubst %.c,$(LOADER_OUT)/%.o,$(LOADER_STAGE2_C)): $(LOADER_OUT)/%.o: $(LOADER_SRC)/%.c
	@mkdir -p $(@D)
	$(call quiet,CC32,$<)$(CC32) $(LOADER_CFLAGS) -c $< -o $@

$(patsubst %.c,$(LOADER_OUT)/lib/%.o,$(LOADER_LIB_C)): $(LOADER_OUT)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(call quiet,CC32,$<)$(CC32) $(LOADER_CFLAGS) -c $< -o $@

# The linker script takes its addresses from layout.h through cpp
# (-undef: otherwise cpp turns the word i386 into 1).
$(LOADER_OUT)/stage2.ld: $(LOADER_SRC)/stage2.ld.S $(LOADER_SRC)/layout.h $(LOADER_SRC)/loader.mk
	@mkdir -p $(@D)
	$(call quiet,CPP,$@)$(CC32) -E -P -undef -x c -D__ASSEMBLER__ -I$(LOADER_SRC) $< -o $@

$(LOADER_OUT)/boot.elf: $(LOADER_OUT)/boot.o
	$(call quiet,LD32,$@)$(LD32) -m elf_i386 -Ttext=0x7C00 -e start -o $@ $<

# LIBGCC32: fmt.c divides 64-bit numbers when printing them.
$(LOADER_OUT)/stage2.elf: $(LOADER_STAGE2_OBJS) $(LOADER_OUT)/stage2.ld
	$(call quiet,LD32,$@)$(LD32) -m elf_i386 -T $(LOADER_OUT)/stage2.ld -o $@ $(LOADER_STAGE2_OBJS) $(LIBGCC32)

# The .sym file ("address name" lines) is for Bochs's debugger: ldsym global "FILE".
$(LOADER_OUT)/%.bin: $(LOADER_OUT)/%.elf
	$(call quiet,OBJCOPY,$@)$(OBJCOPY32) -O binary $< $@
	$(Q)$(NM32) -n $< | awk '{ print $$1, $$3 }' > $(@:.bin=.sym)

.PHONY: loader
loader: $(LOADER_BINS)

-include $(wildcard $(LOADER_OUT)/*.d $(LOADER_OUT)/lib/*.d)
