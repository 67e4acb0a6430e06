"""images.py: build the bootable image for one run.

Both routes give the kernel the same Multiboot contract: a command line whose
first word is the kernel's path ("/boot/hv.elf mem=ept"), and modules whose
strings are "<path> <args>", as GRUB passes them.
  fast: the kit's own loader on a raw disk image (tools/mkimage.py);
  grub: a GRUB ISO made by grub-mkrescue.
"""
import os
import shutil
import subprocess
import sys

TOOLS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class ImageError(Exception):
    """A one-line explanation of why no image could be built."""


def boot_names(kernel, modules):
    """The /boot/... path each file gets inside the image, unique per run."""
    names, seen = [], set()
    for i, path in enumerate([kernel] + [m[0] for m in modules]):
        name = os.path.basename(path)
        if name in seen:
            name = "%d-%s" % (i, name)
        seen.add(name)
        names.append("/boot/" + name)
    return names


def boot_string(name, args):
    return (name + " " + args).strip()


def stage_direct(run, kernel, modules):
    """For QEMU's -kernel: copy the files under the run's boot/ directory.
    QEMU passes the paths as given (QEMU runs in the run's directory), so the
    kernel sees "boot/hv.elf ..." where GRUB would say "/boot/hv.elf ..."."""
    names = boot_names(kernel, modules)
    os.makedirs(os.path.join(run, "boot"))
    for path, name in zip([kernel] + [m[0] for m in modules], names):
        shutil.copyfile(path, os.path.join(run, name[1:]))
    return names[0][1:], [boot_string(n[1:], a) for (_, a), n in zip(modules, names[1:])]


def build_fast(run, loader_dir, kernel, args, modules):
    sys.path.insert(0, TOOLS)
    import mkimage  # tools/mkimage.py
    names = boot_names(kernel, modules)
    out = os.path.join(run, "disk.img")
    mods = [(path, boot_string(n, a)) for (path, a), n in zip(modules, names[1:])]
    try:
        mkimage.build_image(out, kernel, boot_string(names[0], args), mods, loader_dir)
    except mkimage.ImageError as e:
        raise ImageError(str(e))
    return out


def grub_quote(s):
    """GRUB's shell treats ; $ and quotes specially: single-quote each word."""
    return " ".join("'%s'" % w.replace("'", "'\\''") for w in s.split())


def build_grub(run, kernel, args, modules):
    for tool, pkg in (("grub-mkrescue", "grub-common"), ("xorriso", "xorriso"), ("mformat", "mtools")):
        if not shutil.which(tool):
            raise ImageError("%s not found: run `make deps` (Debian package %s)" % (tool, pkg))
    if not os.path.isdir("/usr/lib/grub/i386-pc"):
        raise ImageError("GRUB's BIOS files are missing: run `make deps` (Debian package grub-pc-bin)")
    names = boot_names(kernel, modules)
    root = os.path.join(run, "iso")
    os.makedirs(os.path.join(root, "boot", "grub"))
    for path, name in zip([kernel] + [m[0] for m in modules], names):
        shutil.copyfile(path, root + name)
    cfg = ["set timeout=0", "set default=0", 'menuentry "hvlab" {',
           "  multiboot %s %s" % (names[0], grub_quote(args))]
    cfg += ["  module %s %s" % (n, grub_quote(a)) for (_, a), n in zip(modules, names[1:])]
    cfg += ["  boot", "}"]
    with open(os.path.join(root, "boot", "grub", "grub.cfg"), "w") as f:
        f.write("\n".join(cfg) + "\n")
    iso = os.path.join(run, "boot.iso")
    p = subprocess.run(["grub-mkrescue", "-o", iso, root],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0 or not os.path.exists(iso):
        lines = [l for l in p.stdout.splitlines() if "error" in l.lower()] or ["(no error message)"]
        raise ImageError("grub-mkrescue failed: " + lines[-1].strip())
    return iso
