# grading/grading.mk: the autograder's targets (grading/README.md).
#
#   make grade [LAB=N] [TEST="lab1-cpuid ..."] [JOBS=n] [TIMEOUT=s] [EMU=qemu-kvm]   grade the lab tests
#         (TIMEOUT: each test's limit in seconds; default: the test's own)
#         EMU=qemu-kvm: under QEMU with KVM, real VT-x, where the host has it (Intel, nested
#         KVM; otherwise it says why and stops); default and EMU=bochs: Bochs
#         RESULTS=file   Gradescope results.json (default build/grade/results.json)
#         JUNIT=file     JUnit XML (default build/grade/junit.xml)
#         GRADE_ARGS=... more grade.py options (--timeout S, --show-hidden, --no-build ...)
#   make grade-class LAB=N SUBMISSIONS=dir [CLASS_OUT=dir]   grade every student's
#         submission (folders or archives) for lab N: CLASS_OUT/scores.csv (default build/class)
#         TEST_TIMEOUT=s (each test), BUILD_TIMEOUT=s, BUDGET=s (one submission in all, default 600),
#         MAX_ARCHIVE=MiB, MAX_UNPACKED=MiB, MAX_FILES=n; CLASS_ARGS=... more grade_class.py options
#   make gradescope [LAB=N] [GRADE_ARGS="--budget 480 ..."]   build/gradescope/autograder.zip
#   make handin               build/handin-<user>-<date>.zip of HEAD

LAB        ?=
TEST       ?=
JOBS       ?=
JUNIT      ?= $(BUILD)/grade/junit.xml
GRADE_ARGS ?=
# RESULTS is also make bench's (with its own default): the grader's default
# applies unless RESULTS came from the command line or the environment.
GRADE_RESULTS = $(if $(call given,RESULTS),$(RESULTS),$(BUILD)/grade/results.json)
# TIMEOUT too (make run's, default 120): each test keeps its own time limit
# unless TIMEOUT is given.
GRADE_TIMEOUT = $(if $(call given,TIMEOUT),--timeout $(TIMEOUT))
# EMU too (make run's, default auto): the grader uses Bochs unless EMU is given.
GRADE_EMU = $(if $(call given,EMU),--emu $(EMU))
given = $(filter command line environment environment override,$(origin $(1)))

.PHONY: grade
grade: deps-run
	@$(PYTHON) grading/grade.py $(if $(LAB),--lab $(LAB)) $(foreach t,$(TEST),--test $(t)) \
		$(if $(JOBS),--jobs $(JOBS)) $(GRADE_TIMEOUT) $(GRADE_EMU) --results $(GRADE_RESULTS) --junit $(JUNIT) \
		$(GRADE_ARGS)

SUBMISSIONS ?=
PARALLEL   ?=
CLASS_OUT  ?= $(BUILD)/class
TEST_TIMEOUT ?=
BUILD_TIMEOUT ?=
BUDGET     ?=
MAX_ARCHIVE ?=
MAX_UNPACKED ?=
MAX_FILES  ?=
CLASS_ARGS ?=

.PHONY: grade-class
grade-class: deps-run
	@test -n "$(LAB)" -a -n "$(SUBMISSIONS)" || \
		{ echo "make grade-class: say which lab and where the submissions are: make grade-class LAB=1 SUBMISSIONS=dir" >&2; exit 2; }
	@$(PYTHON) grading/grade_class.py --lab $(LAB) --out $(CLASS_OUT) $(foreach t,$(TEST),--test $(t)) \
		$(if $(JOBS),--jobs $(JOBS)) $(if $(PARALLEL),--parallel $(PARALLEL)) \
		$(if $(TEST_TIMEOUT),--timeout $(TEST_TIMEOUT)) $(if $(BUILD_TIMEOUT),--build-timeout $(BUILD_TIMEOUT)) \
		$(if $(BUDGET),--budget $(BUDGET)) $(if $(MAX_ARCHIVE),--max-archive $(MAX_ARCHIVE)) \
		$(if $(MAX_UNPACKED),--max-unpacked $(MAX_UNPACKED)) $(if $(MAX_FILES),--max-files $(MAX_FILES)) \
		$(CLASS_ARGS) $(SUBMISSIONS)

.PHONY: gradescope
gradescope:
	@$(PYTHON) grading/gradescope.py pack $(if $(LAB),--lab $(LAB)) --out $(BUILD)/gradescope/autograder.zip \
		$(if $(GRADE_ARGS),--grade-args "$(GRADE_ARGS)")

.PHONY: handin
handin:
	@$(PYTHON) grading/handin.py --out-dir $(BUILD)
