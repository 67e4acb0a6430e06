# handouts/handouts.mk: the course site (tools/mksite.py) with its figures and plots.
#
#   make handouts     build/handouts/index.html and a page for every handouts/*.md:
#                     the figures of handouts/figures/*.dot (Graphviz dot) and the
#                     plots of make bench's figures (tools/benchplots.py) inline as SVG
#   make site-check   the site rendered in headless Chromium (tests/site/check_site.py):
#                     a missing image, a broken link or a page that fails to render fails it
#
# The plots are drawn from the last make bench's RESULTS when there is one,
# else from handouts/bench.json (the reference's figures). matplotlib is
# Debian's python3-matplotlib, so they are drawn by PLOT_PYTHON, Debian's
# own Python by default: the kit's $(PYTHON) may be another one (pyenv's)
# that has no matplotlib.

SITE_DIR      := $(BUILD)/handouts
HANDOUT_SRCS  := $(filter-out handouts/README.md,$(wildcard handouts/*.md))
FIGURE_SRCS   := $(wildcard handouts/figures/*.dot)
SITE_FIGURES  := $(patsubst handouts/figures/%.dot,$(SITE_DIR)/figures/%.svg,$(FIGURE_SRCS))
SITE_PLOTS    := $(addprefix $(SITE_DIR)/plots/,guest-cost.svg exits.svg cpuid-round-trip.svg \
                   ticks-by-policy.svg schedule.svg)
PLOT_PYTHON   ?= /usr/bin/python3
# make bench's RESULTS (its default, unless given), if it has been run.
BENCH_RESULTS  = $(or $(RESULTS),$(BUILD)/bench/results.json)
PLOT_SOURCE    = $(or $(wildcard $(BENCH_RESULTS)),handouts/bench.json)

.PHONY: handouts site-check
handouts: deps-docs
	@$(MAKE) --no-print-directory $(SITE_DIR)/index.html
	@echo "handouts: $(words $(HANDOUT_SRCS)) pages, $(words $(SITE_FIGURES)) figures and $(words $(SITE_PLOTS)) plots:" \
		"$(SITE_DIR)/index.html"

site-check: handouts
	@$(PYTHON) tests/site/check_site.py $(SITE_DIR)

$(SITE_DIR)/figures/%.svg: handouts/figures/%.dot
	@mkdir -p $(@D)
	$(call quiet,DOT,$<)dot -Tsvg -o $@.tmp $< && mv $@.tmp $@

# Which file the plots come from, rewritten only when that changes: the plots
# are redrawn when make bench's RESULTS appears, changes or goes away.
PLOT_STAMP := $(SITE_DIR)/plots/source
$(PLOT_STAMP): plot-source-changed
	@mkdir -p $(@D)
	@echo '$(PLOT_SOURCE)' | cmp -s - $@ || echo '$(PLOT_SOURCE)' > $@
.PHONY: plot-source-changed
plot-source-changed:

$(SITE_PLOTS) &: $(PLOT_STAMP) $(PLOT_SOURCE) tools/benchplots.py tools/benchfigures.py tests/bench/guest.py \
		tests/bench/timer.py
	$(call quiet,PLOT,$(PLOT_SOURCE))$(PLOT_PYTHON) tools/benchplots.py --results $(PLOT_SOURCE) \
		--out $(SITE_DIR)/plots >/dev/null

$(SITE_DIR)/index.html: $(HANDOUT_SRCS) $(wildcard handouts/site/*) tools/mksite.py $(SITE_FIGURES) $(SITE_PLOTS)
	$(call quiet,SITE,$(SITE_DIR))$(PYTHON) tools/mksite.py --out $(SITE_DIR) --bench $(PLOT_SOURCE) >/dev/null
