# guestos/: the toy guest OS, a 32-bit Multiboot v1 kernel (ELF32), and its
# user programs (tests, benchmarks), each an ELF32 file passed as a module.
GUEST_KERNEL := $(BUILD)/guestos/kernel.elf

GUEST_KERNEL_SRCS := $(wildcard guestos/kernel/*.c guestos/kernel/*.S)
GUEST_LIB_SRCS := lib/fmt.c lib/printf.c lib/serial.c lib/string.c lib/poweroff.c
GUEST_OBJS := $(patsubst %,$(BUILD)/guestos/%.o,$(GUEST_KERNEL_SRCS) $(GUEST_LIB_SRCS))

$(BUILD)/guestos/%.c.o: %.c
	@mkdir -p $(@D)
	$(call quiet,CC32,$<)$(CC32) $(CFLAGS32) -MMD -MP -c $< -o $@

$(BUILD)/guestos/%.S.o: %.S
	@mkdir -p $(@D)
	$(call quiet,AS32,$<)$(CC32) $(CFLAGS32) -MMD -MP -c $< -o $@

$(GUEST_KERNEL): $(GUEST_OBJS) $(BUILD)/guestos/kernel.ld
	$(call quiet,LD32,$@)$(LD32) -nostdlib -static -z max-page-size=0x1000 -T $(BUILD)/guestos/kernel.ld \
		-o $@ $(GUEST_OBJS) $(LIBGCC32)

# The linker script, through the C preprocessor (the PV kernel's has a note).
$(BUILD)/guestos/kernel.ld $(BUILD)/guestos-pv/kernel.ld: $(BUILD)/%/kernel.ld: guestos/kernel/kernel.ld
	@mkdir -p $(@D)
	$(call quiet,CPP,$@)$(CC32) -E -P -x c $(if $(findstring guestos-pv,$*),-DGUESTOS_PV) -o $@ $<

# The PV build (plat.h): the same sources with -DGUESTOS_PV, the platform
# files of guestos/kernel/pv/ instead of boot.S, and their console and
# power-off instead of lib/serial.c and lib/poweroff.c, and lib/io_ring.c and
# virtqueue.c for the split console (pv/console_front.c, console_back.c). Built always, beside
# the native kernel: it runs only under the hypervisor's cpu=pv.
GUEST_PV_KERNEL := $(BUILD)/guestos-pv/kernel.elf
GUEST_PV_SRCS := $(filter-out guestos/kernel/boot.S,$(GUEST_KERNEL_SRCS)) \
                 $(wildcard guestos/kernel/pv/*.c guestos/kernel/pv/*.S) \
                 $(filter-out lib/serial.c lib/poweroff.c,$(GUEST_LIB_SRCS)) lib/io_ring.c lib/virtqueue.c
GUEST_PV_OBJS := $(patsubst %,$(BUILD)/guestos-pv/%.o,$(GUEST_PV_SRCS))

# A student tree's stubs in lib/ and the kernel (lab 6's io_ring.c and split
# console: mk/lab.mk's LAB_STUBBED) leave helpers and parameters unused:
# LAB_STUB_CFLAGS for those objects only.
$(patsubst %.c,$(BUILD)/guestos-pv/%.c.o,$(filter lib/% guestos/kernel/%,$(LAB_STUBBED))) \
$(patsubst %.c,$(BUILD)/guestos/%.c.o,$(filter guestos/kernel/%,$(LAB_STUBBED))): CFLAGS32 += $(LAB_STUB_CFLAGS)

$(BUILD)/guestos-pv/%.c.o: %.c
	@mkdir -p $(@D)
	$(call quiet,CC32,$<)$(CC32) $(CFLAGS32) -DGUESTOS_PV -MMD -MP -c $< -o $@

$(BUILD)/guestos-pv/%.S.o: %.S
	@mkdir -p $(@D)
	$(call quiet,AS32,$<)$(CC32) $(CFLAGS32) -DGUESTOS_PV -MMD -MP -c $< -o $@

$(GUEST_PV_KERNEL): $(GUEST_PV_OBJS) $(BUILD)/guestos-pv/kernel.ld
	$(call quiet,LD32,$@)$(LD32) -nostdlib -static -z max-page-size=0x1000 -T $(BUILD)/guestos-pv/kernel.ld \
		-o $@ $(GUEST_PV_OBJS) $(LIBGCC32)

# User programs: guestos/user/NAME.c -> $(BUILD)/guestos/user/NAME.elf, each
# linked with the user library (guestos/user/lib/) and lib/fmt.c, string.c.
GUEST_ULIB_SRCS := $(wildcard guestos/user/lib/*.c guestos/user/lib/*.S) lib/fmt.c lib/string.c
GUEST_ULIB_OBJS := $(patsubst %,$(BUILD)/guestos/uobj/%.o,$(GUEST_ULIB_SRCS))
GUEST_PROG_SRCS := $(wildcard guestos/user/*.c)
GUEST_PROGS := $(patsubst guestos/user/%.c,$(BUILD)/guestos/user/%.elf,$(GUEST_PROG_SRCS))
GUEST_PROG_OBJS := $(patsubst %,$(BUILD)/guestos/uobj/%.o,$(GUEST_PROG_SRCS))
GUEST_UCFLAGS = $(CFLAGS32) -Iguestos/user/lib

# Objects made only through the pattern rules below: keep them (make would
# delete them as intermediate files and rebuild every time).
.SECONDARY: $(GUEST_ULIB_OBJS) $(GUEST_PROG_OBJS)

$(BUILD)/guestos/uobj/%.c.o: %.c
	@mkdir -p $(@D)
	$(call quiet,CC32,$<)$(CC32) $(GUEST_UCFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/guestos/uobj/%.S.o: %.S
	@mkdir -p $(@D)
	$(call quiet,AS32,$<)$(CC32) $(GUEST_UCFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/guestos/user/%.elf: $(BUILD)/guestos/uobj/guestos/user/%.c.o $(GUEST_ULIB_OBJS) guestos/user/lib/user.ld
	@mkdir -p $(@D)
	$(call quiet,LD32,$@)$(LD32) -nostdlib -static -z max-page-size=0x1000 -T guestos/user/lib/user.ld \
		-o $@ $< $(GUEST_ULIB_OBJS) $(LIBGCC32)

.PHONY: guest-progs
guest-progs: $(GUEST_PROGS)

-include $(GUEST_OBJS:.o=.d) $(GUEST_PV_OBJS:.o=.d) $(GUEST_ULIB_OBJS:.o=.d) $(GUEST_PROG_OBJS:.o=.d)
