"""foreign_cases.py: PC kernels that nobody on the project wrote, from
Debian's packages (tools/deps.sh installs them), booted unmodified under the
hypervisor with devices=virtual, the PC a kernel expects (issue 18).

grub-invaders (/boot/invaders.exec) is a Multiboot game: an a.out-kludge
image that draws on the CGA screen, reads the keyboard controller and counts
the PIT's ticks, and never powers off: run_for= ends it, a clean stop.
"""
import os

from harness import HV, OK, OUT, Case

INVADERS = "/boot/invaders.exec"


def foreign_cases():
    if not os.path.exists(INVADERS):
        raise SystemExit("foreign_cases: %s is missing: make deps installs grub-invaders" % INVADERS)
    return [
        # Its invaders (rows of "-*-") and the player's ship ("/ \\") on the
        # screen, in the log and in the picture.
        Case("foreign-invaders", ["--screenshot", os.path.join(OUT, "foreign-invaders.png"),
                                  "--module", INVADERS, HV, "--", "devices=virtual", "run_for=2", "vmcheck=1"], OK,
             must=[r"^hv: guest kernel: a\.out kludge, Multiboot header at offset 0x84, loads at "
                   r"0x00100000-0x00105b50, entry 0x00100024$",
                   r"^hv: screen: +-\*- .*-\*-", r"^hv: screen: +/ \\$",
                   r"^hv: guest stopped: its time is up \(run_for=2\)$",
                   r"^hv: exits: VMX-preemption timer expired +\d+ exits"],
             must_not=[r"^PANIC", r"guest stopped: (?!its time is up)"],
             runner_must=[r"^hvrun: screenshot: ", r"^hvrun: power-off, status 0 "], timeout=60),
    ]
