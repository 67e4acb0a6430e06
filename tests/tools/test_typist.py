"""Unit tests of tools/runner/typist.py: the console hvrun --input types into."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from runner import typist  # noqa: E402


class TypistTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="typist-")

    def console(self):
        with open(os.path.join(self.dir, "console.out"), "rb") as f:
            return f.read()

    def emulator_end(self, t):
        """The emulator's side of the terminal, as QEMU or Bochs opens it."""
        return os.open(t.path, os.O_RDWR | os.O_NOCTTY)

    def test_the_last_lines_printed_before_the_emulator_exits_are_kept(self):
        # An emulator that prints its last lines and exits at once: stop()
        # comes straight after, as it does in hvrun. Nothing may be lost,
        # above all not the POWEROFF line the run is judged by.
        for _ in range(20):
            t = typist.Typist(self.dir, "x")
            fd = self.emulator_end(t)
            tail = b"".join(b"line %d\n" % i for i in range(2000)) + b"POWEROFF 0\n"
            os.write(fd, tail)
            os.close(fd)
            t.stop()
            self.assertTrue(self.console().endswith(tail))
            os.remove(os.path.join(self.dir, "console.out"))

    def test_the_input_is_typed_once_the_machine_asks(self):
        t = typist.Typist(self.dir, "hello")
        fd = self.emulator_end(t)
        os.write(fd, b"booting\nINPUT ready\n")
        got = b""
        while not got.endswith(b"\n"):
            got += os.read(fd, 100)
        self.assertEqual(got, b"hello\n")
        os.close(fd)
        t.stop()
        t.stop()  # a second stop does nothing
        self.assertEqual(self.console(), b"booting\nINPUT ready\n")


if __name__ == "__main__":
    unittest.main()
