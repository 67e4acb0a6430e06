"""test_hvdeps.py: tools/hvdeps.py measures what it says it does, proven on
small C trees compiled here with the host's compiler; and the hypervisor
keeps the limits recorded in hv/layers.toml (issue 15's ratchet)."""
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "grading"))
import hvdeps  # noqa: E402
import studenttree  # noqa: E402

CC = shutil.which("gcc") or shutil.which("cc")
NM = shutil.which("nm")


@unittest.skipUnless(CC and NM, "needs a host C compiler and nm")
class SyntheticTreeTest(unittest.TestCase):
    """Each test writes a tree of hv/ files, compiles its .c files as hv.mk
    does (build/hv/<path>.c.o) and measures it."""

    def measure(self, files, layers="", by_file=False):
        tmp = tempfile.mkdtemp(prefix="hvlab-test-hvdeps-")
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        hv, objs = os.path.join(tmp, "hv"), os.path.join(tmp, "build", "hv")
        for rel, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(hv, rel)), exist_ok=True)
            with open(os.path.join(hv, rel), "w") as f:
                f.write(text)
        with open(os.path.join(hv, "layers.toml"), "w") as f:
            f.write(layers)
        for rel in files:
            if rel.endswith(".c"):
                obj = os.path.join(objs, rel + ".o")
                os.makedirs(os.path.dirname(obj), exist_ok=True)
                subprocess.run([CC, "-c", "-I" + hv, os.path.join(hv, rel), "-o", obj], check=True)
        self.hv, self.objs = hv, objs
        return hvdeps.measure(hv, objs, hvdeps.load_layers(os.path.join(hv, "layers.toml")), NM, by_file)

    @staticmethod
    def arrows(m):
        return {(a["from"], a["to"]) for a in m["arrows"]}

    def test_two_files_that_call_each_other_are_a_circle(self):
        m = self.measure({"a.c": "void b(void); void a(void) { b(); }\n",
                          "b.c": "void a(void); void b(void) { a(); }\n"})
        self.assertEqual(self.arrows(m), {("a", "b"), ("b", "a")})
        self.assertEqual(m["circles"], [["a", "b"]])
        self.assertEqual(m["modules"]["a"]["level"], m["modules"]["b"]["level"])
        self.assertEqual(m["figures"]["levels"], 1)
        # One folder: the circle crosses no folder.
        self.assertEqual(m["figures"]["cross_folder_circles"], 0)

    def test_a_chain_of_three_has_three_levels(self):
        m = self.measure({"top.c": "void mid(void); void top(void) { mid(); }\n",
                          "mid.c": "void low(void); void mid(void) { low(); }\n",
                          "low.c": "int low_data; void low(void) { low_data++; }\n"})
        self.assertEqual(self.arrows(m), {("top", "mid"), ("mid", "low")})
        self.assertEqual({n: x["level"] for n, x in m["modules"].items()}, {"low": 0, "mid": 1, "top": 2})
        self.assertEqual(m["figures"]["levels"], 3)
        self.assertEqual(m["circles"], [])

    def test_a_header_is_its_sources_module_and_an_include_is_an_arrow(self):
        # user.c takes only a macro from consts.h: no symbol, still an arrow.
        # lib.c and lib.h are one module: lib.c's include of lib.h is no arrow.
        m = self.measure({"consts.h": "#define SIZE 4\n",
                          "lib.h": "int lib(void);\n",
                          "lib.c": '#include "lib.h"\nint lib(void) { return 1; }\n',
                          "user.c": '#include "consts.h"\n#include "lib.h"\nint user(void) { return SIZE + lib(); }\n'})
        self.assertEqual(sorted(m["modules"]), ["consts", "lib", "user"])
        self.assertEqual(m["modules"]["lib"]["files"], ["lib.c", "lib.h"])
        self.assertEqual(self.arrows(m), {("user", "consts"), ("user", "lib")})
        why = {(a["from"], a["to"]): a["why"] for a in m["arrows"]}
        self.assertEqual(why[("user", "consts")], ["#include consts.h"])
        self.assertEqual(why[("user", "lib")], ["#include lib.h", "lib"])
        # File by file, the header is a node of its own.
        m = self.measure({"lib.h": "int lib(void);\n",
                          "lib.c": '#include "lib.h"\nint lib(void) { return 1; }\n'}, by_file=True)
        self.assertEqual(self.arrows(m), {("lib.c", "lib.h")})

    def test_an_include_names_the_folder_from_hv(self):
        # As hv/ includes its headers (-Ihv): "lo/x.h" from hi/ and from lo/
        # itself. x.c and x.h are one module whatever the path says.
        m = self.measure({"lo/x.h": "int x(void);\n",
                          "lo/x.c": '#include "lo/x.h"\nint x(void) { return 1; }\n',
                          "hi/y.c": '#include "lo/x.h"\nint y(void) { return x(); }\n'},
                         'order = ["lo", "hi"]\n')
        self.assertEqual(m["modules"]["lo/x"]["files"], ["lo/x.c", "lo/x.h"])
        self.assertEqual(self.arrows(m), {("hi/y", "lo/x")})
        self.assertEqual(m["arrows"][0]["why"], ["#include lo/x.h", "x"])
        self.assertEqual({n: x["folder"] for n, x in m["modules"].items()}, {"lo/x": "lo", "hi/y": "hi"})
        self.assertEqual(m["up_arrows"], [])

    def test_a_circle_across_folders_and_the_arrow_that_runs_up(self):
        m = self.measure({"lo/x.c": "void y(void); void x(void) { y(); }\n",
                          "hi/y.c": "void x(void); void y(void) { x(); }\n",
                          "main.c": "void y(void); void hv_main(void) { y(); }\n"},
                         'order = ["lo", "hi", "."]\n')
        self.assertEqual(m["circles"], [["hi/y", "lo/x"]])
        self.assertEqual(m["cross_folder_circles"], [["hi/y", "lo/x"]])
        self.assertEqual(m["folder_circles"], [["hi", "lo"]])
        self.assertEqual(m["up_arrows"], [["lo/x", "hi/y"]])
        self.assertEqual(m["up_folder_arrows"], [["lo", "hi"]])
        self.assertEqual(m["modules"]["main"]["folder"], ".")
        self.assertEqual(m["folder_order"], ["lo", "hi", "."])

    def test_an_arrow_up_without_a_circle(self):
        # lo/p uses hi/q, which uses nothing: up against the declared order,
        # though the graph itself has no circle.
        m = self.measure({"lo/p.c": "void q(void); void p(void) { q(); }\n",
                          "hi/q.c": "int q_count; void q(void) { q_count++; }\n",
                          "hi/r.c": "void p(void); void r(void) { p(); }\n"},
                         'order = ["lo", "hi"]\n')
        self.assertEqual(m["circles"], [])
        self.assertEqual(m["folder_circles"], [["hi", "lo"]])   # hi/r -> lo/p -> hi/q: folders, not files
        self.assertEqual(m["cross_folder_circles"], [])
        self.assertEqual(m["up_arrows"], [["lo/p", "hi/q"]])
        self.assertEqual(m["figures"]["up_folder_arrows"], 1)

    def test_the_plan_puts_a_top_level_file_in_its_folder(self):
        layers = 'order = ["lo", "hi", "."]\n[plan]\nhi = ["a"]\nlo = ["b"]\n'
        m = self.measure({"a.c": "void b(void); void a(void) { b(); }\n",
                          "b.c": "void a(void); void b(void) { a(); }\n"}, layers)
        self.assertEqual({n: x["folder"] for n, x in m["modules"].items()}, {"a": "hi", "b": "lo"})
        self.assertEqual(m["up_arrows"], [["b", "a"]])
        self.assertEqual(m["figures"]["cross_folder_circles"], 1)

    def test_a_plan_for_a_module_that_moved_stops_the_measure(self):
        with self.assertRaisesRegex(hvdeps.Error, "plans modules that do not exist.*: gone"):
            self.measure({"a.c": "int a;\n"}, 'order = ["lo", "."]\n[plan]\nlo = ["gone"]\n')

    def test_a_folder_missing_from_the_order_stops_the_measure(self):
        with self.assertRaisesRegex(hvdeps.Error, "does not name the folders new"):
            self.measure({"new/a.c": "int a;\n"}, 'order = ["."]\n')

    def test_an_object_older_than_its_source_stops_the_measure(self):
        self.measure({"a.c": "int a;\n"})
        os.utime(os.path.join(self.objs, "a.c.o"), (1, 1))
        with self.assertRaisesRegex(hvdeps.Error, "older than its source.*make all"):
            hvdeps.measure(self.hv, self.objs, hvdeps.load_layers(os.path.join(self.hv, "layers.toml")), NM)

    def test_the_ratchet_fails_worse_and_better_and_says_which_line(self):
        m = self.measure({"lo/x.c": "void y(void); void x(void) { y(); }\n",
                          "hi/y.c": "void x(void); void y(void) { x(); }\n"}, 'order = ["lo", "hi"]\n')
        self.assertEqual(hvdeps.ratchet(m, {"max_up_arrows": 1, "max_cross_folder_circles": 1}), ([], []))
        worse, better = hvdeps.ratchet(m, {"max_up_arrows": 0, "max_circle_size": 3})
        self.assertEqual(len(worse), 1)
        self.assertIn("more than the limit max_up_arrows = 0", worse[0])
        self.assertEqual(len(better), 1)
        self.assertIn("lower it to 2 in hv/layers.toml", better[0])
        with self.assertRaisesRegex(hvdeps.Error, "unknown limits max_nonsense"):
            path = os.path.join(self.hv, "layers.toml")
            with open(path, "w") as f:
                f.write("[limits]\nmax_nonsense = 1\n")
            hvdeps.load_layers(path)

    def test_the_outputs(self):
        m = self.measure({"lo/x.c": "void y(void); void x(void) { y(); }\n",
                          "hi/y.c": "void x(void); void y(void) { x(); }\n"}, 'order = ["lo", "hi"]\n')
        text = hvdeps.report(m, {"max_up_arrows": 1})
        self.assertIn("2 modules, 2 arrows", text)
        self.assertIn("lo/x", text)
        self.assertIn("limits (hv/layers.toml): kept", text)
        graph = hvdeps.dot(m)
        self.assertIn('"hi" -> "lo" [label="1"];', graph)                 # hi/y uses lo/x: down
        self.assertIn('"lo" -> "hi" [label="1", color=red', graph)        # lo/x uses hi/y: up


class HypervisorLimitsTest(unittest.TestCase):
    """hv/ keeps the limits of hv/layers.toml: no change makes its layering
    worse, and each gain is written down there."""

    def test_the_hypervisor_keeps_its_limits(self):
        lab = studenttree.student_lab(ROOT)
        if lab is not None:
            # A student tree's hv/ holds stubs where the later labs' code is:
            # they drop arrows, so its figures say nothing of the design the
            # limits record, and a student does not move the reference's files.
            self.skipTest("the limits are the reference's, not this lab %d student tree's" % lab)
        # The objects of today's sources, as hv.mk names them.
        objs = [os.path.join("build", "hv", os.path.relpath(p, os.path.join(ROOT, "hv")) + ".o")
                for ext in ("c", "S") for p in glob.glob(os.path.join(ROOT, "hv", "**", "*." + ext), recursive=True)]
        subprocess.run(["make", "-s", "--no-print-directory"] + objs, cwd=ROOT, check=True)
        layers = hvdeps.load_layers(os.path.join(ROOT, "hv", "layers.toml"))
        self.assertTrue(layers["limits"], "hv/layers.toml records no limits")
        m = hvdeps.measure(os.path.join(ROOT, "hv"), os.path.join(ROOT, "build", "hv"), layers)
        worse, better = hvdeps.ratchet(m, layers["limits"])
        self.assertEqual(worse + better, [], "\n" + "\n".join(worse + better) + "\n(make hv-deps shows the arrows)")


if __name__ == "__main__":
    unittest.main()
