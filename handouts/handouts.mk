# handouts/handouts.mk: the handouts rendered to HTML (pandoc).
#
#   make handouts    build/handouts/<name>.html for every handouts/*.md

HANDOUT_SRCS := $(filter-out handouts/README.md,$(wildcard handouts/*.md))
HANDOUT_HTML := $(patsubst handouts/%.md,$(BUILD)/handouts/%.html,$(HANDOUT_SRCS))

.PHONY: handouts
handouts: deps-docs $(HANDOUT_HTML)
	@echo "handouts: $(words $(HANDOUT_HTML)) pages in $(BUILD)/handouts/"

# One self-contained page each (styles inline), with a table of contents.
$(BUILD)/handouts/%.html: handouts/%.md
	@mkdir -p $(@D)
	$(call quiet,PANDOC,$@)pandoc --standalone --toc --metadata title="hvlab: $*" -f gfm -t html5 -o $@ $<
