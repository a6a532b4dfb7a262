# inferd: the two commands that matter are `make run` and `make test`.
#   make run    install what is missing, build, write the example models if absent,
#               and serve them on http://localhost:8000
#   make test   the same set-up, then every test: unit tests (ctest), end-to-end
#               tests (pytest) against the real binary, `make run-check` (make run
#               serves and answers), and the unit and end-to-end tests again under
#               AddressSanitizer + UndefinedBehaviorSanitizer, the fuzzers, and the
#               benchmark suite in --quick mode (it must run; no timing is asserted).
#   make bench  the full benchmark suite: inferd beside its peers and limits.

SHELL := /bin/bash
.DEFAULT_GOAL := run
JOBS ?= $(shell nproc)
EXAMPLES ?= example-models
HTTP_PORT ?= 8000
SETUP_ENV := build/.setup.env

.PHONY: setup build build-asan run run-check examples test unit-test e2e-test asan-test fuzz-test \
	format format-check clean layering-check python-wheel python-check test-heavy
FUZZ_SECONDS ?= 20
FUZZ_TARGETS := kserve_infer model_config onnx_graph_reader csv mlflow_body torchserve_body predict_body \
	tfserving_rest tensor_proto repository_body registry_body content_coding \
	api_key_header authorization_header jwt audit_verify config_file route_json job_input redis_url

$(SETUP_ENV): scripts/setup.sh scripts/fetch_onnxruntime.sh scripts/fetch_swagger_ui.sh \
	requirements-dev.txt requirements-tfserving.txt web/swagger-ui/package-lock.json
	@mkdir -p build
	scripts/setup.sh > $(SETUP_ENV).tmp && mv $(SETUP_ENV).tmp $(SETUP_ENV)

setup:
	@rm -f $(SETUP_ENV)
	@$(MAKE) --no-print-directory $(SETUP_ENV)

# Every target re-reads the paths setup found.
define with_env
	set -a; source $(SETUP_ENV); set +a;
endef

build: $(SETUP_ENV) python-wheel
	@$(with_env) cmake -S . -B build -G Ninja -DINFERD_ORT_ROOT="$$ORT_ROOT" -DINFERD_SWAGGER_UI_DIR="$$SWAGGER_UI" > /dev/null
	cmake --build build -j $(JOBS)

# One clang build with ASan+UBSan serves the sanitizer suite and the fuzzers
# (its libraries carry libFuzzer's coverage hooks), so the suite builds twice,
# not three times.
build-asan: $(SETUP_ENV)
	@$(with_env) cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ \
	  -DINFERD_SANITIZE=ON -DINFERD_FUZZ=ON \
	  -DINFERD_ORT_ROOT="$$ORT_ROOT" -DINFERD_SWAGGER_UI_DIR="$$SWAGGER_UI" > /dev/null
	cmake --build build-asan -j $(JOBS)

# The Python toolkit (python/): its gRPC messages generated from proto/, then a
# wheel in build/python/dist, and that wheel unpacked into build/python/site,
# which the end-to-end tests import (so they test what pip would install).
PY_DIST := build/python/dist
PY_SITE := build/python/site
python-wheel: $(SETUP_ENV)
	@$(with_env) "$$VENV/bin/python" python/build_protos.py
	@rm -rf build/python && mkdir -p build/python
	@$(with_env) cd python && "$$VENV/bin/pip" wheel -q --disable-pip-version-check --no-deps \
	  --no-build-isolation -w ../$(PY_DIST) . && rm -rf build src/inferd.egg-info
	@$(with_env) "$$VENV/bin/pip" install -q --disable-pip-version-check --no-deps \
	  --target $(PY_SITE) $(PY_DIST)/inferd-*.whl
	@echo "python toolkit: $$(ls $(PY_DIST)/*.whl)"

# The toolkit's lint (ruff), types (mypy) and unit tests (no server needed).
python-check: python-wheel
	@$(with_env) cd python && "$$VENV/bin/ruff" check . && "$$VENV/bin/ruff" format --check . \
	  && "$$VENV/bin/mypy" src
	@$(with_env) PYTHONPATH=$(CURDIR)/$(PY_SITE) "$$VENV/bin/python" -m pytest python/tests -q \
	  -p no:cacheprovider

# The toolkit's PyTorch and Keras conversions and the CNN's quantization
# (tests/heavy): their frameworks take several GB, so they run here, not in
# `make test`, from their own cached environment (scripts/setup_heavy.sh).
test-heavy: build examples
	@venv=$$(scripts/setup_heavy.sh) && INFERD_BIN=$(CURDIR)/build/inferd \
	  INFERD_EXAMPLE_REPO=$(CURDIR)/$(EXAMPLES) PYTHONPATH=$(CURDIR)/$(PY_SITE) \
	  "$$venv/bin/python" -m pytest tests/heavy -q -s -p no:cacheprovider

$(EXAMPLES)/.complete: examples/make_example_models.py $(SETUP_ENV)
	@$(with_env) "$$VENV/bin/python" examples/make_example_models.py $(EXAMPLES)
	@touch $@

examples: $(EXAMPLES)/.complete

run: build examples
	./build/inferd serve --model-repository $(EXAMPLES) --http-port $(HTTP_PORT)

# `make run`, checked: serve as `make run` does, call one model, stop.
run-check: build examples
	scripts/run_check.sh ./build/inferd $(EXAMPLES) $(HTTP_PORT)

unit-test: build
	ctest --test-dir build --output-on-failure --no-tests=error -j $(JOBS)

e2e-test: build examples
	@$(with_env) INFERD_BIN=$(CURDIR)/build/inferd INFERD_EXAMPLE_REPO=$(CURDIR)/$(EXAMPLES) \
	  PYTHONPATH=$(CURDIR)/$(PY_SITE) "$$VENV/bin/python" -m pytest tests/e2e -q

asan-test: build-asan examples python-wheel
	ASAN_OPTIONS=$(ASAN_OPTIONS) UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir build-asan --output-on-failure --no-tests=error -j $(JOBS)
	@$(with_env) ASAN_OPTIONS=$(ASAN_OPTIONS) UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  INFERD_BIN=$(CURDIR)/build-asan/inferd INFERD_EXAMPLE_REPO=$(CURDIR)/$(EXAMPLES) \
	  INFERD_SOAK_SECONDS=5 INFERD_STARTUP_TIMEOUT=120 INFERD_TIME_SCALE=3 INFERD_SANITIZER=1 \
	  PYTHONPATH=$(CURDIR)/$(PY_SITE) "$$VENV/bin/python" -m pytest tests/e2e -q

ASAN_OPTIONS := detect_leaks=1:abort_on_error=1
export LSAN_OPTIONS := suppressions=$(CURDIR)/tests/sanitizer/lsan.supp

# libFuzzer on every parser of untrusted input, ASan+UBSan on, for a bounded time.
fuzz-test: build-asan
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p build-asan/fuzz/corpus/$$t && cp -n tests/fuzz/corpus/$$t/* build-asan/fuzz/corpus/$$t/ ; \
	  echo "fuzzing $$t for $(FUZZ_SECONDS) s"; \
	  ASAN_OPTIONS=$(ASAN_OPTIONS) ./build-asan/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=build-asan/fuzz/ \
	    build-asan/fuzz/corpus/$$t \
	    2> build-asan/fuzz/fuzz_$$t.log || { tail -50 build-asan/fuzz/fuzz_$$t.log; exit 1; }; \
	  grep -E '^stat::number_of_executed_units' build-asan/fuzz/fuzz_$$t.log \
	    || { echo "fuzz_$$t reported no executions"; exit 1; }; \
	done

test: format-check layering-check python-check unit-test e2e-test run-check asan-test fuzz-test bench-quick
	@echo "make test: all suites passed"

# clang-format comes from set-up like every other tool.
format: $(SETUP_ENV)
	clang-format -i $$(git ls-files '*.cc' '*.h')

format-check: $(SETUP_ENV)
	clang-format --dry-run -Werror $$(git ls-files '*.cc' '*.h')

# The include rules of ../shared/DESIGN.md (core owns the interfaces; frontends,
# pipeline, backends and storage keep to their layers). The script is shared with CI.
layering-check:
	../shared/tools/layering-check

clean:
	rm -rf build build-asan build-fuzz $(EXAMPLES)

# Benchmarks (bench/README.md): inferd against its peers and this machine's limits,
# written to bench/out/results.{md,json}; no timing is asserted. bench-quick runs a
# few seconds per workload, to show the suite still works. BENCH_ARGS adds flags.
# A full `make bench` then runs the parts in BENCH_PINNED again with the servers on
# core 1 and the load generators on core 0 (bench/out/pinned/), for the per-core
# comparisons; it is left out when BENCH_ARGS is given, or with BENCH_PINNED=.
BENCH_PINNED ?= $(if $(BENCH_ARGS),,W1)
bench_run = $(with_env) "$$VENV/bin/python" bench/run_bench.py --inferd build/inferd \
  --l1 build/bench/inferd_bench_l1
.PHONY: bench bench-quick
bench bench-quick: build examples
	cmake --build build --target inferd_bench_l1
	@$(bench_run) $(if $(filter bench-quick,$@),--quick) $(BENCH_ARGS)
	@if [ "$@" = bench ] && [ -n "$(BENCH_PINNED)" ]; then \
	  if [ "$$(nproc)" -ge 2 ]; then \
	    $(bench_run) --only "$(BENCH_PINNED)" --server-cpus 1 --client-cpus 0 \
	      --out bench/out/pinned; \
	  else echo "bench: one core, so no pinned pass"; fi; fi
