# The two commands: `make run` (install, build, start the demo) and `make test` (install, build,
# run every test). Everything else here serves those two.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= 2
CMAKE_GEN  := -G Ninja

.PHONY: all deps build build-signet build-asan test test-unit test-asan run bench format clean

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j$(JOBS)

# Only the binary: what `make run` needs, without the tests and benchmarks.
build-signet: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j$(JOBS) --target signet

# Unit tests again under AddressSanitizer and UndefinedBehaviorSanitizer, in their own directory,
# built with clang 14 so that every change is also checked against the second compiler, plus the
# libFuzzer targets in fuzz/, each run briefly from its seed corpus.
$(ASAN_BUILD)/build.ninja: | deps
	CC=clang-14 CXX=clang++-14 cmake -S . -B $(ASAN_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug \
	  -DSIGNET_SANITIZE=ON -DSIGNET_FUZZ=ON -DSIGNET_BUILD_BENCH=OFF

build-asan: deps $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) -j$(JOBS)

test-unit: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)

test-asan: build-asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(JOBS) -L 'unit|fuzz'

test: test-unit test-asan

run: build-signet
	@bash scripts/run-demo.sh $(BUILD)/signet

# The Debian packages signet_<version>-1_<arch>.deb and libsignet-dev_..., in $(BUILD)
# (cmake/packaging.cmake says what each holds; docs/install.md how to install them).
# `make test` checks them too (tests/package/).
.PHONY: package
package: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j$(JOBS) --target package

bench: build
	@bash bench/run.sh $(BUILD)
	@bash bench/serve.sh $(BUILD)

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
