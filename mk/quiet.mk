# What the build prints. Each step prints one short line, the tool and the
# file it makes or reads, as Linux's kbuild does:
#     CC      hv/exit.c
#     LD      build/hv/hv.elf
# and `make V=1` prints every command in full instead. Errors and warnings are
# the tools' own, printed in full either way; make -s prints only them.
#
# In a rule, the first command of a step starts with $(call quiet,TOOL,FILE)
# (its line, and no echo of the command unless V=1); any further command
# starts with $(Q).
ifeq ($(V),1)
Q :=
quiet :=
else ifneq ($(findstring s,$(firstword -$(MAKEFLAGS))),)
# make -s: not even those lines.
Q := @
quiet := @
else
Q := @
quiet = @printf '  %-7s %s\n' '$(1)' '$(2)';
endif
