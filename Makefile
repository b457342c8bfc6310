# The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
CARGO ?= cargo
VENV := $(CURDIR)/.venv
export PATH := $(VENV)/bin:$(PATH)
SITE ?= examples/utgb
KM := target/debug/kubemagic

.PHONY: deps test-deps build install wheel run test bench fmt lint clean man

deps:
	@scripts/deps.sh build

test-deps:
	@scripts/deps.sh test

build: deps
	$(CARGO) build -p kubemagic-cli

## make install: the `kubemagic` binary into ~/.cargo/bin (Cargo.lock's versions).
install: deps
	$(CARGO) install --locked --path kubemagic-cli

## make wheel: dist/kubemagic-<version>-cp39-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl, one
## wheel for CPython >= 3.9 on glibc >= 2.17, linked by zig (PyPI's ziglang).
wheel:
	@scripts/deps.sh wheel
	rm -f dist/kubemagic-*.whl
	$(VENV)/bin/maturin build --release --compatibility manylinux2014 --zig \
		-i $(VENV)/bin/python -m kubemagic-py/Cargo.toml -o dist

## make run: the main job on the bundled example site.
run: build
	scripts/run-example.sh $(KM) $(SITE)

## make test: install what tests need, then run every test.
test: test-deps
	$(CARGO) test --workspace --no-fail-fast
	scripts/test-python.sh

## make bench: benchmarks against the reference tools, ratios printed.
bench: test-deps
	scripts/bench.sh

## make man: the man pages, from the same definitions as --help.
man: build
	$(KM) man target/man

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

clean:
	$(CARGO) clean
