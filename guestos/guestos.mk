# guestos/: the toy guest OS, a 32-bit Multiboot v1 kernel (ELF32).
GUEST_KERNEL := $(BUILD)/guestos/kernel.elf

GUEST_KERNEL_SRCS := $(wildcard guestos/kernel/*.c guestos/kernel/*.S)
GUEST_LIB_SRCS := lib/fmt.c lib/printf.c lib/serial.c lib/string.c lib/poweroff.c
GUEST_OBJS := $(patsubst %,$(BUILD)/guestos/%.o,$(GUEST_KERNEL_SRCS) $(GUEST_LIB_SRCS))

$(BUILD)/guestos/%.c.o: %.c
	@mkdir -p $(@D)
	$(CC32) $(CFLAGS32) -MMD -MP -c $< -o $@

$(BUILD)/guestos/%.S.o: %.S
	@mkdir -p $(@D)
	$(CC32) $(CFLAGS32) -MMD -MP -c $< -o $@

$(GUEST_KERNEL): $(GUEST_OBJS) guestos/kernel/kernel.ld
	$(LD32) -nostdlib -static -z max-page-size=0x1000 -T guestos/kernel/kernel.ld \
		-o $@ $(GUEST_OBJS) $(LIBGCC32)

-include $(GUEST_OBJS:.o=.d)
