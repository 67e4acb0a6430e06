#!/usr/bin/env bash
# deps.sh: check that the Debian packages hvlab needs are present and install
# the missing ones with apt-get. Quiet when everything is already there.
#
#   tools/deps.sh build   compilers and binutils (what `make` needs)
#   tools/deps.sh run     + Bochs, QEMU, GRUB's BIOS files, bubblewrap, console fonts (what `make run`,
#                         `make grade` and hvrun --screenshot need)
#   tools/deps.sh check   + cmocka, gdb, clang's libFuzzer and sanitizers, ccache, and docs (what `make check` needs)
#   tools/deps.sh docs    pandoc, Graphviz, Debian's python3-matplotlib, Chromium (what `make handouts`
#                         and its site test need)
#   tools/deps.sh all     everything
#
# Each need is a command or file; its package is installed only when it is
# missing, so a student's own cross compilers (CC32=i686-elf-gcc ...) count.
set -euo pipefail

what=${1:-all}
CC64=${CC64:-x86_64-linux-gnu-gcc}
CC32=${CC32:-i686-linux-gnu-gcc}
LD32=${LD32:-i686-linux-gnu-ld}
LD64=${LD64:-x86_64-linux-gnu-ld}

missing=()

# need THING PACKAGE: THING is a command name, an absolute file path, or
# "installed" (the package itself must be installed).
need() {
    local thing=$1 pkg=$2
    if [[ $thing == installed ]]; then
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' && return 0
    elif [[ $thing == /* ]]; then
        [[ -e $thing ]] && return 0
    else
        command -v "$thing" >/dev/null 2>&1 && return 0
    fi
    [[ " ${missing[*]} " == *" $pkg "* ]] || missing+=("$pkg")
}

# need_tool VALUE DEFAULT PACKAGE: a toolchain command. Debian's package is
# installed only for Debian's default name; a student's own cross compiler
# that is missing gets a message instead.
need_tool() {
    local value=$1 default=$2 pkg=$3
    if [[ $value == "$default" ]]; then
        need "$value" "$pkg"
    elif ! command -v "$value" >/dev/null 2>&1; then
        echo "deps: '$value' not found: install your cross toolchain or use the default ($default)" >&2
        exit 1
    fi
}

# The x86-64 compiler is the native gcc on an amd64 host, a cross gcc elsewhere.
if [[ $(dpkg --print-architecture 2>/dev/null) == amd64 ]]; then
    cc64_pkg=gcc; ld64_pkg=binutils
else
    cc64_pkg=gcc-x86-64-linux-gnu; ld64_pkg=binutils-x86-64-linux-gnu
fi

need_build() {
    need make make
    need_tool "$CC64" x86_64-linux-gnu-gcc "$cc64_pkg"
    need_tool "$LD64" x86_64-linux-gnu-ld "$ld64_pkg"
    need_tool "$CC32" i686-linux-gnu-gcc gcc-i686-linux-gnu
    need_tool "$LD32" i686-linux-gnu-ld binutils-i686-linux-gnu
    need cc gcc
    need python3 python3
}

need_run() {
    need bochs bochs
    # Debian's bochs needs one display package; the term one is the lightest
    # (runs use the rfb display, which is built into the bochs package).
    need installed bochs-term
    need /usr/share/bochs/BIOS-bochs-latest bochsbios
    need /usr/share/vgabios/vgabios.bin vgabios
    need qemu-system-x86_64 qemu-system-x86
    need grub-mkrescue grub-common
    need /usr/lib/grub/i386-pc/multiboot.mod grub-pc-bin
    need xorriso xorriso
    need mformat mtools
    # tools/hvrun --screenshot draws the guest's text screen in the console
    # fonts' VGA glyphs (tools/runner/screen.py).
    need /usr/share/consolefonts/FullGreek-VGA16.psf.gz console-setup-linux
    # The grader isolates each submission's build and test runs in
    # bubblewrap (grading/sandbox.py).
    need bwrap bubblewrap
}

need_check() {
    need /usr/include/cmocka.h libcmocka-dev
    need gdb gdb
    # The binary translator's unit tests run 32-bit code in an i386 process
    # (tests/unit/bt_harness.h): under qemu-i386 where the kernel runs no
    # i386 programs (a guest kernel without 32-bit code segments).
    need qemu-i386 qemu-user
    # make fuzz-check: clang 14 (Debian 12's) and its runtimes, libFuzzer and
    # the sanitizers' (libclang_rt.fuzzer, .asan, .ubsan_standalone), and the
    # symbolizer that puts file:line into their reports.
    need clang-14 clang-14
    need installed libclang-rt-14-dev
    need llvm-symbolizer-14 llvm-14
    # PC kernels nobody here wrote, for tests/integration/foreign_cases.py:
    # a Multiboot game (a.out kludge, the CGA screen, the keyboard, the PIT)
    # and GNU Mach (an ELF64 Multiboot kernel that enters long mode itself).
    need /boot/invaders.exec grub-invaders
    need /boot/gnumach-1.8-486.gz gnumach-image-1.8-486
    # check-labs and check-steps build many trees that share most files:
    # each compiles once (grading/buildcache.py).
    need ccache ccache
}

# make handouts: pandoc renders the pages, Graphviz's dot draws the figures
# (handouts/figures/*.dot), matplotlib plots make bench's figures, with
# Debian's own python3 (PLOT_PYTHON, /usr/bin/python3 by default: the kit's
# $(PYTHON) may be another Python without it); the site test renders every
# page in headless Chromium.
need_docs() {
    need pandoc pandoc
    need dot graphviz
    need /usr/lib/python3/dist-packages/matplotlib/__init__.py python3-matplotlib
    need /usr/bin/chromium chromium
}

case $what in
    docs) need_docs ;;
    build) need_build ;;
    run) need_build; need_run ;;
    check) need_build; need_run; need_check; need_docs ;;
    all) need_build; need_run; need_check; need_docs ;;
    *) echo "deps.sh: unknown set '$what' (use build, run, check, docs or all)" >&2; exit 2 ;;
esac

[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "deps: installing missing Debian packages: ${missing[*]}"
if [[ $(id -u) -eq 0 ]]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    echo "deps: not root and no sudo: as root, run: apt-get install ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
if ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/hvlab-deps.$$.log 2>&1; then
    echo "deps: apt-get install failed; its output:" >&2
    cat /tmp/hvlab-deps.$$.log >&2
    rm -f /tmp/hvlab-deps.$$.log
    exit 1
fi
rm -f /tmp/hvlab-deps.$$.log
echo "deps: installed ${missing[*]}"
