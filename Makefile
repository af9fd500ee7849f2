# abs-bench: the README's commands. Every build (the tests, the benches, the instruction-count gate
# and the binary) uses one profile (release) and one feature set, in one target dir outside the
# clone (CARGO_TARGET_DIR, as CI uses it), so polars and burn are compiled once for all of them:
# `make test` followed by `make figures` compiles only the workspace. The wgpu backend is the one
# exception: 170 more crates (about 20 minutes on 2 cores), built only by `make test-wgpu` and
# `make build-wgpu`.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/abs-bench/target
CARGO_FLAGS := --release
WGPU_FLAGS := --release --features abs-bench/wgpu
BIN := $(CARGO_TARGET_DIR)/release/abs-bench
INSTALL_DIR ?= $(HOME)/.local/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

PHONY_PYTHON := python python-env test-python bench-python example-torch
.PHONY: $(PHONY_PYTHON) install icount icount-baseline icount-tools figures figures-field figures-population figures-cifar10 figures-quick example example-fashion data test clean-stale test-core test-slurm test-disk-full test-wgpu lavapipe build build-wgpu bench bench-baseline bench-train bench-cell lint

## The committed figures, byte for byte: the paper's figures, the readings, the network sweep, the
## population of clients (sweeps/*.yaml) and the summary with paired comparisons and the paper's
## claims, into reports/, on Fashion-MNIST from Debian's package (installed when missing).
## Finished cells are cached in reports/results and reused. Another data set is asked for: `make
## figures-cifar10`.
## With the population sweep (sweeps/population.yaml), about 2.5 hours of cells on 2 cores. The
## field sweep (sweeps/field.yaml, about 6.5 CPU-hours more under the tuning protocol:
## docs/performance.md) is left out: `make figures-field`.
export ABS_DATA_DIR ?= $(CURDIR)/data
COMMITTED_FIGURES := fig1,fig2,fig3,fig4,network,readings,population
figures: build data
	$(BIN) figures --only $(COMMITTED_FIGURES)

## The asynchronous-FL field beside ABS (sweeps/field.yaml: eight methods, four conditions, each
## series tuned per condition), into reports/: about 6.5 CPU-hours (docs/performance.md).
figures-field: build data
	$(BIN) figures --only field

## A population of 3,000 label-skewed clients, 50 or 200 training at once, present by time of day
## (sweeps/population.yaml: five methods, each tuned per C), into reports/; part of `make figures`.
figures-population: build data
	$(BIN) figures --only population

## The same on CIFAR-10 (from ./data or $$ABS_DATA_DIR, else downloaded from its official source),
## into reports/cifar10/.
figures-cifar10: build
	@$(BIN) data check cifar10 >/dev/null 2>&1 || $(BIN) data fetch cifar10
	$(BIN) figures --dataset cifar10

## The same in a few minutes (shortened runs, two seeds), into reports/quick/.
figures-quick: build data
	$(BIN) figures --quick --out reports/quick

## The Python package (python/: `import abs_bench`), built against the same compiled crates as
## the binary and installed into the environment $(VENV) (made when missing, with the package's
## build and test requirements from PyPI). Use it with `$(VENV)/bin/python`, or activate it.
VENV ?= $(CURDIR)/.venv
PY := $(VENV)/bin/python
# pyo3's build script asks this interpreter once; the same one everywhere, so pyo3 builds once
export PYO3_PYTHON := $(PY)
python: python-env
	PATH=$(VENV)/bin:$$PATH $(PY) -m pip install -q --no-build-isolation --force-reinstall --no-deps ./python
	@echo "python: abs_bench installed in $(VENV) (activate it: . $(VENV)/bin/activate)"

python-env:
	@[ -x $(PY) ] || python3 -m venv $(VENV)
	@$(PY) -c "import maturin, polars, numpy, pytest" 2>/dev/null || $(PY) -m pip install -q "maturin>=1.9,<2" "polars>=1.10" "numpy>=1.24" "pytest>=7"

## The Python package's tests (python/tests: the API, the learner and server-step protocols, data
## input), on the package as `make python` installs it.
test-python: python build
	bash .ci/python-features
	$(VENV)/bin/pytest -q python/tests

## A PyTorch LeNet as a Python learner beside the built-in lenet on Fashion-MNIST (three seeds,
## examples/python/torch_lenet.py); installs PyPI's torch into $(VENV) when missing (its Linux
## wheel pulls several GB of CUDA libraries, so it is kept out of `make test`).
example-torch: python data
	@$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q torch
	$(PY) examples/python/torch_lenet.py --out out/example-torch

## The cost per job of a Python learner (a no-op one, so only the border, the copies and the
## engine), medians of 5 runs: docs/performance.md.
bench-python: python
	$(PY) python/bench/overhead.py --repeats 5

## Run ABS on the analytic learner and write results to out/example/.
example: build
	$(BIN) run examples/analytic-abs.yaml --out out/example --csv

## LeNet on Fashion-MNIST (installs Debian's dataset-fashion-mnist when missing).
example-fashion: build data
	$(BIN) run examples/lenet-fashion-mnist.yaml --out out/lenet-fashion --csv

## Fashion-MNIST from Debian's package, when it is not there yet.
data:
	@if [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then echo "fashion_mnist: present in /usr/share/datasets/fashion-mnist"; \
	else echo "fashion_mnist: installing Debian's dataset-fashion-mnist"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq dataset-fashion-mnist; fi

build:
	cargo build $(CARGO_FLAGS) -p abs-bench

## Copies the binary to $(INSTALL_DIR) (default ~/.local/bin), so that `abs-bench` is on the PATH.
install: build
	@mkdir -p $(INSTALL_DIR)
	install -m 755 $(BIN) $(INSTALL_DIR)/abs-bench
	@case ":$$PATH:" in *":$(INSTALL_DIR):"*) ;; *) echo "install: add $(INSTALL_DIR) to your PATH";; esac

## Every test CI runs: the workspace (unit, property, end-to-end; benches run once as smoke tests),
## the Python package (python/tests; the binding crate abs-py is tested there, not by cargo),
## a real SLURM job array, a full disk, then the instruction-count gate. Installs Debian packages
## when missing (needs root or sudo). The wgpu parity tests are `make test-wgpu`.
test: clean-stale test-core test-python test-slurm test-disk-full icount

## Removes this workspace's own test and bench binaries and incremental caches untouched for a day
## (a debug test binary of abs-bench is about 1.8 GB, and every clone path makes new ones, so a
## shared cache grows by gigabytes per CI run); dependencies' builds are kept.
STALE_DAYS ?= 1
WORKSPACE_BINARIES := lib_native abs_bench abs_sim abs_models abs_policies cli sweep identity borders bad_input wgpu_parity engine aggregate icount
clean-stale:
	@for d in $(CARGO_TARGET_DIR); do \
	  for p in debug release; do \
	    [ -d $$d/$$p/deps ] && find $$d/$$p/deps -maxdepth 1 -type f \( $(foreach n,$(WORKSPACE_BINARIES),-name '$(n)-*' -o) -false \) -mtime +$$(( $(STALE_DAYS) - 1 )) -print -delete | wc -l | sed "s|^|clean-stale: $$d/$$p: removed |; s|$$| stale binaries|"; \
	    [ -d $$d/$$p/incremental ] && find $$d/$$p/incremental -mindepth 1 -maxdepth 1 -type d -mtime +$$(( $(STALE_DAYS) - 1 )) -exec rm -rf {} +; \
	  done; \
	done; true

## The workspace's tests alone: quick when built, no root, no system packages.
test-core:
	cargo test $(CARGO_FLAGS) --workspace --exclude abs-py --all-targets

## A one-node SLURM cluster on this machine (Debian's packages, installed when missing) runs a sweep
## as a job array written by `abs-bench slurm`, and a resubmission of some of its tasks; the cells
## must equal an unsharded run byte for byte. Stops every daemon it started.
test-slurm: build
	bash .ci/slurm-test $(BIN)

## A sweep whose disk fills up (a 256 KB tmpfs mounted for the test) stops with a clear message and
## keeps its finished cells; after the tmpfs grows the rerun completes them, byte for byte.
test-disk-full: build
	bash .ci/disk-full-test $(BIN)

## flex-vs-wgpu parity on a GPU or Mesa's lavapipe (installed when missing); builds burn with
## wgpu, a second feature set (about 25 minutes on 2 cores when cold).
test-wgpu: lavapipe
	XDG_RUNTIME_DIR=$${XDG_RUNTIME_DIR:-/tmp} cargo test $(WGPU_FLAGS) -p abs-models --test wgpu_parity

## The binary with the wgpu backend too (`backend: wgpu`), in place of the plain one.
build-wgpu:
	cargo build $(WGPU_FLAGS) -p abs-bench

## Mesa's software Vulkan driver, so wgpu runs on a machine without a GPU.
lavapipe:
	@if ls /usr/share/vulkan/icd.d/lvp_icd.*.json >/dev/null 2>&1; then echo "lavapipe: present"; \
	else echo "lavapipe: installing Debian's mesa-vulkan-drivers"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq mesa-vulkan-drivers; fi

## Instruction-count gate (Callgrind via gungraun, no machine noise): fails when the aggregation
## kernel, the engine or a lenet job grows by more than 10% over the baseline in bench-suite/icount/.
GUNGRAUN_VERSION := 0.20.0
TOOLS := $(HOME)/.cache/abs-bench/tools
ICOUNT_HOME := $(CURDIR)/bench-suite/icount
ICOUNT := GUNGRAUN_RUNNER=$(TOOLS)/bin/gungraun-runner cargo bench -p abs-bench --features icount --bench icount -- --home=$(ICOUNT_HOME)
icount: icount-tools
	@ls $(ICOUNT_HOME)/abs-bench/icount/gate/*/*.base@committed >/dev/null 2>&1 || { echo "icount: no committed baseline in $(ICOUNT_HOME): run make icount-baseline"; exit 1; }
	$(ICOUNT) --baseline=committed --callgrind-limits='ir=10%'

## Records the current counts as the committed baseline (commit bench-suite/icount/ afterwards).
icount-baseline: icount-tools
	$(ICOUNT) --save-baseline=committed

## valgrind from Debian and gungraun's runner (the library's exact version) from crates.io.
icount-tools:
	@command -v valgrind >/dev/null || { echo "icount: installing Debian's valgrind"; $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq valgrind; }
	@[ -x $(TOOLS)/bin/gungraun-runner ] && [ -f $(TOOLS)/gungraun-$(GUNGRAUN_VERSION) ] || { \
	  cargo install gungraun-runner --version $(GUNGRAUN_VERSION) --locked --root $(TOOLS) && touch $(TOOLS)/gungraun-$(GUNGRAUN_VERSION); }

## Criterion benches (aggregation kernel bandwidth, engine rounds/s). Each bench with a saved
## baseline (make bench-baseline) prints its change against it; the others are measured as usual.
CRITERION_BASELINE ?= main
bench:
	cargo bench -p abs-bench -- --baseline-lenient $(CRITERION_BASELINE)

## Runs the criterion benches and saves them as the baseline `make bench` compares against.
bench-baseline:
	cargo bench -p abs-bench -- --save-baseline $(CRITERION_BASELINE)

## Samples/s of one local job and of the evaluation pass, abs-bench (native and Burn kernels)
## against PyTorch, one and two threads, both image shapes, each as GFLOP/s and a share of this
## core's measured FMA roof: the tables of docs/performance.md. PYTHON must import torch
## (`python3 -m pip install torch`, or PYTHON=.venv/bin/python after `make python` and a pip
## install of torch there); without it the reference is skipped. `make bench-cell` times a whole
## lenet cell against the plain PyTorch simulation in bench-suite/reference/torch_cell.py.
PYTHON ?= python3
bench-train: build
	$(BIN) bench train --model lenet --threads 1,2 --input 3x32x32,1x28x28 --kernels native,burn --jobs 30 --python $(PYTHON)
	$(BIN) bench train --model cnn --threads 1,2 --input 3x32x32,1x28x28 --kernels native,burn --jobs 8 --python $(PYTHON)
	$(BIN) bench train --model lenet --threads 1 --input 3x32x32,1x28x28 --kernels native --concurrent 2 --jobs 30 --python $(PYTHON)
	$(BIN) bench train --model lenet --eval --threads 1 --input 3x32x32,1x28x28 --kernels native,burn --jobs 5 --python $(PYTHON)
	$(BIN) bench train --model cnn --eval --threads 1,2 --input 3x32x32,1x28x28 --kernels native,burn --jobs 2 --python $(PYTHON)

## A whole Fig. 3-like cell (lenet, Fashion-MNIST, N = 20, K-async with K = 2, 60 virtual s, the
## test set every 5 rounds) on one thread: abs-bench's host split, then the plain PyTorch
## simulation's; docs/performance.md compares them per job and per evaluation.
bench-cell: build data
	RAYON_NUM_THREADS=1 $(BIN) run bench-suite/reference/cell.yaml --out $(CURDIR)/out/bench-cell --data-dir /usr/share/datasets/fashion-mnist
	$(PYTHON) bench-suite/reference/torch_cell.py --data /usr/share/datasets/fashion-mnist --threads 1

lint: python-env
	cargo fmt --all -- --check
	cargo clippy --release --workspace --all-targets -- -D warnings
	cargo clippy $(WGPU_FLAGS) -p abs-models --all-targets -- -D warnings
