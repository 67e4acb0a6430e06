"""Unit tests of tools/runner/images.py: the names and strings each loader
route gives the kernel and its modules."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from runner import images  # noqa: E402


class BootNamesTest(unittest.TestCase):
    def test_files_go_under_boot(self):
        self.assertEqual(images.boot_names("b/hv.elf", [("g/kernel.elf", "")]),
                         ["/boot/hv.elf", "/boot/kernel.elf"])

    def test_same_basename_twice_stays_distinct(self):
        names = images.boot_names("a/x.elf", [("b/x.elf", ""), ("c/x.elf", "")])
        self.assertEqual(len(set(names)), 3)
        self.assertEqual(names[0], "/boot/x.elf")

    def test_same_basename_twice_keeps_its_name(self):
        # The guest OS knows a program by its name after the last "/": two
        # VMs given cow.elf each find a program called cow.
        names = images.boot_names("hv.elf", [("k.elf", ""), ("u/cow.elf", ""), ("k.elf", ""), ("u/cow.elf", "")])
        self.assertEqual([n.rsplit("/", 1)[1] for n in names], ["hv.elf", "k.elf", "cow.elf", "k.elf", "cow.elf"])

    def test_boot_string_has_no_trailing_space(self):
        self.assertEqual(images.boot_string("/boot/k.elf", ""), "/boot/k.elf")
        self.assertEqual(images.boot_string("/boot/k.elf", "a=1"), "/boot/k.elf a=1")


class GrubQuoteTest(unittest.TestCase):
    def test_each_word_is_single_quoted(self):
        self.assertEqual(images.grub_quote("a=1 b=$x;y"), "'a=1' 'b=$x;y'")

    def test_a_single_quote_survives(self):
        self.assertEqual(images.grub_quote("it's"), "'it'\\''s'")

    def test_empty(self):
        self.assertEqual(images.grub_quote(""), "")


if __name__ == "__main__":
    unittest.main()
