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

## Run the main job end to end on the embedded default data set (about 4 minutes on 2 CPU cores).
demo: $(BIN)/.installed
	$(BIN)/saae-augment render --charset digits --size 32 --out $(DEMO_OUT)/glyphs
	$(BIN)/saae-augment data inspect digits --sheet $(DEMO_OUT)/digits-sheet.png
	rm -rf $(DEMO_OUT)/run $(DEMO_OUT)/synth
	$(BIN)/saae-augment train --out $(DEMO_OUT)/run
	$(BIN)/saae-augment synth --ckpt $(DEMO_OUT)/run --n 5000 --out $(DEMO_OUT)/synth --augment light
	$(BIN)/saae-augment data inspect $(DEMO_OUT)/synth --charset digits --strict --sheet $(DEMO_OUT)/synth-sheet.png
	@echo "demo done: look at $(DEMO_OUT)/glyphs/sheet.png, $(DEMO_OUT)/digits-sheet.png, $(DEMO_OUT)/run/grids/ and $(DEMO_OUT)/synth-sheet.png"

## Run the test suite (slow end-to-end tests included).
test: $(BIN)/.installed
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache
