# lib/: freestanding helpers shared by the hypervisor and the guest OS.
# Each user compiles these sources into its own build directory.
LIB_SRCS := $(wildcard lib/*.c)
