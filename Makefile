# The two set-up commands of the README. Each creates .venv and installs what it needs, pinned
# by constraints.txt (torch==2.13.0 is the CPU build; an unpinned torch pulls a multi-GB CUDA one).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_OUT ?= demo-output

.PHONY: demo test install clean

$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,lmdb]'
	touch $@

install: $(BIN)/.installed

## Run the main job end to end on the embedded digits, in a low-data setting (10 real images per
## class for training, the rest for testing): render → train → synth → eval-ocr, about 8 minutes
## on 2 CPU cores. Open $(DEMO_OUT)/eval/report.md for the table and the plots.
demo: $(BIN)/.installed
	rm -rf $(DEMO_OUT)
	$(BIN)/saae-augment render --charset digits --size 16 --out $(DEMO_OUT)/glyphs
	$(BIN)/saae-augment data split digits --per-class 10 --out $(DEMO_OUT)/data
	$(BIN)/saae-augment train --data $(DEMO_OUT)/data/train --out $(DEMO_OUT)/run
	$(BIN)/saae-augment synth --ckpt $(DEMO_OUT)/run --n 1000 --out $(DEMO_OUT)/synth
	$(BIN)/saae-augment eval-ocr --train $(DEMO_OUT)/data/train --test $(DEMO_OUT)/data/test \
		--synth $(DEMO_OUT)/synth --ckpt $(DEMO_OUT)/run --ratios 0,1,2,5,10 --seeds 3 --steps 200 \
		--out $(DEMO_OUT)/eval
	@echo "demo done: open $(DEMO_OUT)/eval/report.md (table, accuracy.png, confusion.png, style grid, samples)"

## Run the test suite (slow end-to-end tests included).
test: $(BIN)/.installed
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache
