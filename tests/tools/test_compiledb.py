"""test_compiledb.py: compile_commands.json (tools/compiledb.py, `make
compile_commands.json`) is valid JSON with one entry per file, and gives
the hypervisor's files the build's freestanding 64-bit flags and the guest
kernel's its 32-bit ones, so that clangd reads them as the compiler does."""
import glob
import json
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import compiledb  # noqa: E402


class Parse(unittest.TestCase):
    def test_one_entry_per_source_and_the_first_command_wins(self):
        lines = ["mkdir -p build/hv",
                 "x86_64-linux-gnu-gcc -ffreestanding -m64 -Ihv -c hv/mem/pmm.c -o build/hv/mem/pmm.c.o",
                 "cc -O1 -iquote hv -o build/tests/unit/test_pmm tests/unit/test_pmm.c hv/mem/pmm.c -lcmocka",
                 "i686-linux-gnu-ld -o build/x.elf build/a.o"]
        db = compiledb.entries(lines, root="/r")
        self.assertEqual([e["file"] for e in db], ["/r/hv/mem/pmm.c", "/r/tests/unit/test_pmm.c"])
        self.assertIn("-ffreestanding", db[0]["arguments"])
        # The test's own command, without the other source of that command.
        self.assertEqual(db[1]["arguments"], ["cc", "-O1", "-iquote", "hv", "-o", "build/tests/unit/test_pmm",
                                              "tests/unit/test_pmm.c", "-lcmocka"])
        self.assertTrue(all(e["directory"] == "/r" for e in db))

    def test_the_builds_own_sources_are_left_out(self):
        db = compiledb.entries(["x86_64-linux-gnu-gcc -c build/hv/ksyms_table.S -o build/hv/ksyms_table.o"], root="/r")
        self.assertEqual(db, [])


class Database(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "compile_commands.json")
            r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "compiledb.py"), "--out", out],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if r.returncode != 0:
                raise AssertionError(r.stdout)
            with open(out) as f:
                cls.db = json.load(f)
        cls.by_file = {os.path.relpath(e["file"], ROOT): e for e in cls.db}

    def test_valid_entries_one_per_file(self):
        self.assertEqual(len(self.by_file), len(self.db))
        for e in self.db:
            self.assertEqual(set(e), {"directory", "file", "arguments"})
            self.assertEqual(e["directory"], ROOT)
            self.assertTrue(os.path.exists(e["file"]), e["file"])
            self.assertIn(os.path.relpath(e["file"], ROOT), e["arguments"])

    def test_every_hypervisor_file_has_the_freestanding_64_bit_flags(self):
        hv = [os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "hv", "**", "*.[cS]"), recursive=True)]
        self.assertGreater(len(hv), 20)
        for path in hv:
            self.assertIn(path, self.by_file, "%s is not in compile_commands.json" % path)
            args = self.by_file[path]["arguments"]
            for flag in ("-ffreestanding", "-m64", "-mno-red-zone", "-Ihv"):
                self.assertIn(flag, args, path)

    def test_the_guest_kernel_has_the_32_bit_flags(self):
        kernel = [os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "guestos", "kernel", "*.c"))]
        self.assertTrue(kernel)
        for path in kernel:
            args = self.by_file[path]["arguments"]
            self.assertIn("-ffreestanding", args, path)
            self.assertIn("-m32", args, path)

    def test_the_unit_tests_are_host_programs(self):
        self.assertNotIn("-ffreestanding", self.by_file["tests/unit/test_pmm.c"]["arguments"])

    def test_make_target(self):
        r = subprocess.run(["make", "-n", "--no-print-directory", "-C", ROOT, "compile_commands.json"],
                           stdout=subprocess.PIPE, text=True)
        self.assertIn("tools/compiledb.py --build build --out compile_commands.json", r.stdout)


if __name__ == "__main__":
    unittest.main()
