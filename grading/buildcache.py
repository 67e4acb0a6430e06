"""buildcache.py: one compiler cache (ccache) for the trees of check-labs and
check-steps.

Those checks build a dozen trees that differ from each other only inside the
labs' regions: every lab's skeleton from nothing (hypervisor and unit tests,
about 300 compilations each), every step's tree again for the files the step
changes. Most of those compilations are of the same bytes with the same
flags. With ccache in front of the compilers, each such compilation runs
once and the other trees get its object; make still runs every rule of every
tree (the check that a skeleton builds from nothing stands), and ccache
compiles whatever differs in the source, the headers it includes, the flags
or the compiler.

Only these checks' own builds use it, never the grader's (grade.py builds a
submission in its sandbox with the instructor's tools alone): a cache a
submission's build could write would hand its objects to the next one.

ccache finds the real compilers itself: it is put first on PATH under their
names (its "masquerade" use), so no makefile changes and a tree built
without it builds the same way.
"""
import os
import shutil

# The compilers the kit's makefiles name by default (mk/toolchain.mk):
# the hypervisor's, the guest's and the host's (unit tests).
COMPILERS = ("x86_64-linux-gnu-gcc", "i686-linux-gnu-gcc", "cc")


def env(root):
    """The environment additions that put ccache in front of the compilers
    for builds started from root's checks ({} where ccache is missing: the
    trees build as they would without it). Its cache lies in root's build/."""
    ccache = shutil.which("ccache")
    if not ccache:
        return {}
    folder = os.path.join(root, "build", "ccache")
    names = os.path.join(folder, "bin")
    os.makedirs(names, exist_ok=True)
    for name in COMPILERS:
        link = os.path.join(names, name)
        if not os.path.lexists(link):
            try:
                os.symlink(ccache, link)
            except FileExistsError:      # another check made it meanwhile
                pass
    return {
        "PATH": names + os.pathsep + os.environ.get("PATH", ""),
        "CCACHE_DIR": os.path.join(folder, "cache"),
        # The trees lie in different folders but compile with relative paths:
        # the folder is left out of the hash (with -g it would be in by default,
        # and no tree would ever share an object with another).
        "CCACHE_NOHASHDIR": "1",
        "CCACHE_MAXSIZE": "2G",
    }
