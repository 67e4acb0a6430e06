"""kitbuild.py: what a class's builds share, built once in the source.

A submission holds a lab's files, all in hv/ (submission.py's file list)
but lab 6's rings in lib/, which the PV test kernel links too: the guest
OS, the boot loader and the test kernels are the kit's own, made from the
instructor's source alone, and the test kernel's ring objects are made
again where a submission's lib/ files are newer, as the hypervisor's are. So the grader builds them once in the
source (`make all kit-images`: grade-class before its class, setup.sh when
Gradescope builds the image) and copies them into each submission's fresh
tree with their times: make finds them up to date there. The hypervisor's
objects too, unless the submission adds a header (a new hv/x.h could
shadow one that unchanged files include, which their old objects never
saw): the submission's files were copied in after the source was built,
so they are newer than their objects, and make compiles them, and what
includes them, alone. make, not this file, decides what is up to date:
where the source holds none of them, or older ones, the submission's
build makes them as before.
"""
import os
import shutil
import subprocess

# Under build/: the folders and files `make kit-images` writes.
# Every file of the Makefile's KIT_IMAGES lies under one of them
# (tests/grading/test_kitbuild.py): one left out is rebuilt in every tree.
PARTS = ("guestos", "guestos-pv", "loader", "tests/mbinfo", "tests/badguest", "tests/hostile", "tests/conform",
         "tests/pvtest")
FILES = ("tests/mbinfo.elf", "tests/mbinfo-kludge.elf", "tests/mbinfo64.elf", "tests/mbinfo-low8k.elf",
         "tests/mbinfo-low64k.elf", "tests/mbinfo-high.elf", "tests/mbinfo-kludge.bin", "tests/badguest.elf",
         "tests/hostile.elf", "tests/conform.elf", "tests/pvtest.elf")
# tests/hostile.py's logs, beside the hostile kernel's objects.
NOT_IMAGES = shutil.ignore_patterns("*.log", "*.runner")


def copy(src_root, dest_root):
    """The kit's images of src_root's build/ into dest_root's, times kept.
    Returns how many folders and files were there to copy."""
    copied = 0
    for rel in PARTS + FILES:
        src, dst = os.path.join(src_root, "build", rel), os.path.join(dest_root, "build", rel)
        if os.path.isdir(src):
            shutil.copytree(src, dst, symlinks=True, ignore=NOT_IMAGES, dirs_exist_ok=True)
        elif os.path.isfile(src):
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(src, dst)
        else:
            continue
        copied += 1
    return copied


def copy_hypervisor(src_root, dest_root, changed=()):
    """src_root's build/hv into dest_root's, times kept, unless one of the
    files `changed` since that build (relative paths) is a header. Returns
    whether it copied."""
    src = os.path.join(src_root, "build", "hv")
    if any(rel.endswith(".h") for rel in changed) or not os.path.isdir(src):
        return False
    shutil.copytree(src, os.path.join(dest_root, "build", "hv"), symlinks=True, dirs_exist_ok=True)
    return True


def build(root, jobs=None):
    """`make all kit-images` in root: None, or make's last lines."""
    p = subprocess.run(["make", "-C", root, "--no-print-directory", "-j%d" % (jobs or os.cpu_count() or 2),
                        "all", "kit-images"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    return None if p.returncode == 0 else " | ".join(p.stdout.strip().splitlines()[-3:])
