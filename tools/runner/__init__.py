"""The hvlab runner: boots one image in Bochs or QEMU and reports how the run ended."""
