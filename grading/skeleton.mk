# grading/skeleton.mk: the student trees made from the reference solution.
#
#   make skeleton LAB=N DEST=DIR   write the student tree for lab N into DIR
#     STEP=K                       with the handout's steps 1..K of lab N
#                                  solved (labs/labN/steps.toml)
#   make check-labs                prove, for every lab, that its skeleton
#                                  builds, passes the earlier labs' tests and
#                                  fails every test of its own
#   make check-bugs [LAB=N]        prove that every planted bug of
#                                  labs/labN/bugs.toml loses points
#   make check-steps [LAB=N]       prove, for every step K of each lab, that
#                                  the tree of STEP=K passes exactly the
#                                  tests that steps 1..K name

.PHONY: skeleton
skeleton:
	@test -n "$(LAB)" || { echo "make skeleton: say which lab: make skeleton LAB=1 DEST=../lab1" >&2; exit 2; }
	@test -n "$(DEST)" || { echo "make skeleton: say where: make skeleton LAB=$(LAB) DEST=../lab$(LAB)" >&2; exit 2; }
	@$(PYTHON) grading/skeleton.py --lab $(LAB) --dest $(DEST) $(if $(STEP),--step $(STEP))

.PHONY: check-labs
check-labs: all $(MBINFO_ELF) $(BADGUEST_ELF)
	@$(PYTHON) grading/check_labs.py

.PHONY: check-steps
check-steps: all $(MBINFO_ELF) $(BADGUEST_ELF)
	@$(PYTHON) grading/check_steps.py $(if $(LAB),--lab $(LAB))

.PHONY: check-bugs
check-bugs: all $(MBINFO_ELF) $(BADGUEST_ELF)
	@$(PYTHON) grading/check_bugs.py $(if $(LAB),--lab $(LAB))
