"""images.py: build the bootable image for one run.

Every route gives the kernel the same Multiboot contract: the command line
holds the kernel's arguments ("mem=ept", as GRUB 2 passes it; QEMU's -kernel
alone puts the kernel's path first), and each module's string is
"<path> <args>" ("/boot/kernel.elf test=all"), so a kernel can tell its
modules apart by name.
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
    """The /boot/... path each file gets inside the image, unique per run. A
    file given twice (two VMs running the same program) keeps its own name
    in a directory of its own: the guest OS knows a program by the name
    after the last "/", and /boot/4-cow.elf was no program called cow."""
    names, seen = [], set()
    for i, path in enumerate([kernel] + [m[0] for m in modules]):
        name = os.path.basename(path)
        names.append("/boot/" + (name if name not in seen else "%d/%s" % (i, name)))
        seen.add(name)
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
        os.makedirs(os.path.dirname(os.path.join(run, name[1:])), exist_ok=True)
        shutil.copyfile(path, os.path.join(run, name[1:]))
    return names[0][1:], [boot_string(n[1:], a) for (_, a), n in zip(modules, names[1:])]


def mkimage():
    sys.path.insert(0, TOOLS)
    import mkimage as m  # tools/mkimage.py
    return m


def check_kernel(path):
    """Refuse, with mkimage's one-line reason, a kernel no Multiboot loader
    could boot: every route then gives the same clear error."""
    m = mkimage()
    try:
        with open(path, "rb") as f:
            m.inspect_kernel(f.read())
    except m.ImageError as e:
        raise ImageError("kernel '%s': %s" % (path, e))


def build_fast(run, loader_dir, kernel, args, modules):
    m = mkimage()
    names = boot_names(kernel, modules)
    out = os.path.join(run, "disk.img")
    mods = [(path, boot_string(n, a)) for (path, a), n in zip(modules, names[1:])]
    try:
        m.build_image(out, kernel, args, mods, loader_dir)
    except m.ImageError as e:
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
        os.makedirs(os.path.dirname(root + name), exist_ok=True)
        shutil.copyfile(path, root + name)
    cfg = ["set timeout=0", "set default=0", 'menuentry "hvlab" {',
           "  multiboot %s %s" % (names[0], grub_quote(args))]
    # GRUB 2 passes a module only the words after its path: repeat the path
    # so that the module's string starts with it, as on the other routes.
    cfg += ["  module %s %s" % (n, grub_quote(boot_string(n, a))) for (_, a), n in zip(modules, names[1:])]
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
