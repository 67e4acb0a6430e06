"""tools/gdb/hvlab.py's hv-qual says what gdb's `monitor qual` says.

The hypervisor puts qualifications and event information in words in
hv/vmx/exit_info.c; gdb's Python helpers decode the same tables on their own
(they run in gdb, on the host). Every value tests/unit/test_exit_info.c
describes, with the exact text it expects from exit_info.c, is described
here by hvlab.py too, which must give the same text.
"""
import os
import re
import sys
import types
import unittest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
UNIT_TEST = os.path.join(ROOT, "tests", "unit", "test_exit_info.c")


def load_hvlab():
    """hvlab.py outside gdb: a stand-in `gdb` module with what it registers."""
    fake = types.ModuleType("gdb")

    class Registered:
        def __init__(self, *args):
            pass

    fake.Function = fake.Command = Registered
    fake.COMMAND_DATA = 0
    sys.modules.setdefault("gdb", fake)
    sys.path.insert(0, os.path.join(ROOT, "tools", "gdb"))
    try:
        import hvlab
    finally:
        sys.path.pop(0)
    return hvlab


def c_string(literals):
    """The value of adjacent C string literals (no escapes but \\\" and \\\\)."""
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', literals)
    return "".join(p.replace('\\"', '"').replace("\\\\", "\\") for p in parts)


TOKEN = re.compile(
    r"(?P<decode>io_qual|cr_qual|dr_qual|apic_qual|ept_qual|debug_qual|event_info)_decode\((?P<value>0x[0-9A-Fa-f]+|\d+)\)"
    r"|(?P<describe>io_qual|cr_qual|dr_qual|apic_qual|ept_qual|debug_qual|event_info)_describe\(buf, sizeof\(buf\), [^,)]+"
    r"(?:, (?P<error>0x[0-9A-Fa-f]+|\d+))?\)"
    r'|assert_string_equal\(buf,\s*(?P<expected>(?:"(?:[^"\\]|\\.)*"\s*)+)\)')


def cases():
    """(kind, value, error code, expected text) for each describe the C test checks."""
    with open(UNIT_TEST) as f:
        text = f.read()
    last, described, found = {}, None, []
    for m in TOKEN.finditer(text):
        if m.group("decode"):
            last[m.group("decode")] = int(m.group("value"), 0)
        elif m.group("describe"):
            described = (m.group("describe"), int(m.group("error") or "0", 0))
        elif described:
            kind, error = described
            found.append((kind, last[kind], error, c_string(m.group("expected"))))
            described = None
    return found


class HvQualAgrees(unittest.TestCase):
    def test_same_words_as_exit_info_c(self):
        hvlab = load_hvlab()
        describe = {"io_qual": lambda q, e: hvlab.describe_io(q),
                    "cr_qual": lambda q, e: hvlab.describe_cr(q),
                    "dr_qual": lambda q, e: hvlab.describe_dr(q),
                    "apic_qual": lambda q, e: hvlab.describe_apic(q),
                    "ept_qual": lambda q, e: hvlab.describe_ept(q),
                    "debug_qual": lambda q, e: hvlab.describe_debug(q),
                    "event_info": hvlab.describe_event}
        found = cases()
        self.assertGreaterEqual(len({kind for kind, _, _, _ in found}), 7, found)
        for kind, value, error, expected in found:
            with self.subTest(kind=kind, value=hex(value)):
                self.assertEqual(describe[kind](value, error), expected)

    def test_reasons_route_to_their_table(self):
        hvlab = load_hvlab()
        self.assertEqual(hvlab.decode_qualification(30, 0x3FD0008),
                         "IN of 1 byte from port 0x3fd (port in DX)")
        self.assertEqual(hvlab.decode_qualification(28, 0x104), "MOV to CR4, register ecx")
        self.assertEqual(hvlab.decode_qualification(29, 0x107), "MOV to DR7, register ecx")
        self.assertTrue(hvlab.decode_qualification(44, 0x10B0).startswith("a data write (linear)"))
        self.assertTrue(hvlab.decode_qualification(48, 0x182).startswith("a write;"))


if __name__ == "__main__":
    unittest.main()
