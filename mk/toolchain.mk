# Toolchain and flags shared by every fragment of the build.
#
# The defaults are Debian's packaged compilers. A student who built the OSDev
# cross compilers points the build at them by prefix:
#     make CROSS64=x86_64-elf- CROSS32=i686-elf-
# Each tool can also be overridden on its own (CC64=..., LD32=...).

BUILD   ?= build
CROSS64 ?= x86_64-linux-gnu-
CROSS32 ?= i686-linux-gnu-

CC64      ?= $(CROSS64)gcc
LD64      ?= $(CROSS64)ld
OBJCOPY64 ?= $(CROSS64)objcopy
NM64      ?= $(CROSS64)nm
CC32      ?= $(CROSS32)gcc
LD32      ?= $(CROSS32)ld
OBJCOPY32 ?= $(CROSS32)objcopy
NM32      ?= $(CROSS32)nm
HOSTCC    ?= cc
PYTHON    ?= python3

# Flags common to all freestanding code (hv/, guestos/, lib/, the loader).
#   -fno-omit-frame-pointer: the panic backtraces walk the RBP/EBP chain.
#   -mgeneral-regs-only: no SSE/x87 state in the kernel or the hypervisor.
WARN        := -Wall -Wextra -Werror
FREESTANDING := -std=gnu11 $(WARN) -ffreestanding -fno-builtin -nostdlib \
                -fno-pic -fno-pie -fno-stack-protector -fno-omit-frame-pointer \
                -fno-asynchronous-unwind-tables -mgeneral-regs-only -O2 -g

# x86-64 hypervisor: no red zone (exceptions push onto the current stack).
CFLAGS64 := $(FREESTANDING) -m64 -mno-red-zone -mcmodel=small
# 32-bit code: the guest OS and the protected-mode part of the fast loader.
CFLAGS32 := $(FREESTANDING) -m32 -march=i686

# libgcc of the 32-bit toolchain: 64-bit division in 32-bit code needs it.
LIBGCC32 = $(shell $(CC32) -m32 -print-libgcc-file-name)

HOST_CFLAGS ?= -std=gnu11 $(WARN) -O1 -g

include mk/quiet.mk

# A student tree (grading/skeleton.py) adds its own settings here.
-include mk/lab.mk
