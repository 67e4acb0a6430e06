# hv/: the hypervisor, a 64-bit Multiboot v1 kernel (see hv/README.md).
#
#   make build/hv/hv.elf
#
# Linked twice so that panics print function names: the first link has an
# empty symbol table; tools/ksyms.py turns its function symbols into a table
# that the second link embeds (in .ksyms, after all code and data, so no
# function moves), and then checks that no function did move.

HV_ELF := $(BUILD)/hv/hv.elf

# hv/'s top (main.c, boot.S, exit.c) and its folders, one level deep
# (hv/layers.toml); each object lands under build/hv/ at its source's path.
HV_SRCS := $(wildcard hv/*.c hv/*.S hv/*/*.c hv/*/*.S)
HV_OBJS := $(patsubst hv/%,$(BUILD)/hv/%.o,$(HV_SRCS)) \
           $(patsubst lib/%,$(BUILD)/hv/lib/%.o,$(LIB_SRCS))
HV_LDSCRIPT := hv/linker.ld
HV_CPPFLAGS := -Ihv -Ilib
# Silence binutils >= 2.39's warning about the deliberate RWX segment, where
# the linker knows the option (older ones neither warn nor know it).
HV_LDFLAGS := -nostdlib -static -z max-page-size=0x1000 -T $(HV_LDSCRIPT) \
              $(shell $(LD64) --help 2>/dev/null | grep -q no-warn-rwx-segments && echo --no-warn-rwx-segments)

# devices='s default (hv/boot/options.c): virtual where lab 4 is done (the
# reference, the trees of labs 5 and later), machine in the trees of labs 1-4.
# The stamp names it, so that options.c compiles again when a build is copied
# into a tree of the other kind (grading/kitbuild.py copies objects).
HV_DEVICES_DEFAULT := $(if $(filter 1 2 3 4,$(STUDENT_LAB)),MACHINE,VIRTUAL)
$(BUILD)/hv/boot/options.c.o: CFLAGS64 += -DDEVICES_DEFAULT=DEVICES_$(HV_DEVICES_DEFAULT)
$(BUILD)/hv/boot/options.c.o: $(BUILD)/hv/devices-default.$(HV_DEVICES_DEFAULT)
$(BUILD)/hv/devices-default.%:
	@mkdir -p $(@D)
	@rm -f $(BUILD)/hv/devices-default.* && touch $@

$(BUILD)/hv/%.c.o: hv/%.c
	@mkdir -p $(@D)
	$(call quiet,CC,$<)$(CC64) $(CFLAGS64) $(HV_CPPFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/hv/%.S.o: hv/%.S
	@mkdir -p $(@D)
	$(call quiet,AS,$<)$(CC64) $(CFLAGS64) $(HV_CPPFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/hv/lib/%.c.o: lib/%.c
	@mkdir -p $(@D)
	$(call quiet,CC,$<)$(CC64) $(CFLAGS64) $(HV_CPPFLAGS) -MMD -MP -c $< -o $@

# The symbol tables: empty for the first link, real for the second.
$(BUILD)/hv/ksyms_empty.S: tools/ksyms.py
	@mkdir -p $(@D)
	$(call quiet,KSYMS,$@)$(PYTHON) tools/ksyms.py --empty > $@

$(BUILD)/hv/ksyms_table.S: $(BUILD)/hv/hv.pass1.elf tools/ksyms.py
	$(call quiet,KSYMS,$@)$(PYTHON) tools/ksyms.py --nm $(NM64) $< > $@.tmp && mv $@.tmp $@

$(BUILD)/hv/ksyms_%.o: $(BUILD)/hv/ksyms_%.S
	$(call quiet,AS,$<)$(CC64) $(CFLAGS64) -c $< -o $@

$(BUILD)/hv/hv.pass1.elf: $(HV_OBJS) $(BUILD)/hv/ksyms_empty.o $(HV_LDSCRIPT)
	$(call quiet,LD,$@)$(LD64) $(HV_LDFLAGS) -o $@ $(HV_OBJS) $(BUILD)/hv/ksyms_empty.o

$(HV_ELF): $(HV_OBJS) $(BUILD)/hv/ksyms_table.o $(HV_LDSCRIPT) $(BUILD)/hv/hv.pass1.elf
	$(call quiet,LD,$@)$(LD64) $(HV_LDFLAGS) -o $@.tmp $(HV_OBJS) $(BUILD)/hv/ksyms_table.o
	$(Q)$(PYTHON) tools/ksyms.py --nm $(NM64) --verify $(BUILD)/hv/hv.pass1.elf $@.tmp
	@if command -v grub-file >/dev/null 2>&1 && ! grub-file --is-x86-multiboot $@.tmp; then \
		echo "hv.mk: $@ has no valid Multiboot v1 header (grub-file)" >&2; exit 1; fi
	$(Q)mv $@.tmp $@

-include $(HV_OBJS:.o=.d)

# The module graph's measures (tools/hvdeps.py; issue 15): the report, or
# HVDEPS_ARGS="--json", "--dot FILE" (the folder graph), "--check" (the limits
# in hv/layers.toml, also checked by make check).
.PHONY: hv-deps
hv-deps: $(HV_OBJS)
	@$(PYTHON) tools/hvdeps.py --nm $(NM64) $(HVDEPS_ARGS)
