# The project's commands. `make test` is the test command of the README and CI.
GO ?= go
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION = 20

.PHONY: test tools vet local bench fuzz build synth clean

## test: every test of the project (installs the npm tools it needs first)
# -count=1: Go's test cache cannot see files read by node or by emulators.
# -race: the local Step Functions and the stores are concurrent by design.
# The benchmark's tests run without -race: they drive 10,000 applications
# through the whole local stack (the Double 11 invariants at 1/10 scale),
# which the race detector slows tenfold, and every package they drive is
# race-tested on its own (infra/local/stack, the stores, sfnlocal).
test: tools vet
	$(GO) test -count=1 -race -timeout 30m $$($(GO) list ./... | grep -v '/infra/local/bench$$')
	$(GO) test -count=1 -timeout 30m ./infra/local/bench/

## tools: npm tools the tests run (asl-validator; tsc for the console's types), in _tools/ where go ./... does not look
tools: _tools/node_modules/.package-lock.json

_tools/node_modules/.package-lock.json: _tools/package.json _tools/package-lock.json
	npm ci --prefix _tools --no-audit --no-fund --loglevel=error

vet:
	$(GO) vet ./...

## local: run the whole system on this machine
local:
	$(GO) run ./infra/local

## build: every function to build/<name>/bootstrap (linux/arm64) for cdk deploy,
## and the merchant console to build/console (esbuild's Go API: no Node needed)
build:
	$(GO) run ./infra/cmd/build
	$(GO) run ./console/cmd/build -out build/console

## synth: the CloudFormation template into cdk.out, offline
synth: build
	$(GO) run ./infra

## bench: the Go benchmarks
bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

## fuzz: fuzz every target for FUZZTIME each (default 1m); `make test` runs
## their seed corpora only. A failing input is saved under the package's
## testdata/fuzz/<Target>/: commit it with the fix, it becomes a seed.
FUZZTIME ?= 1m
fuzz:
	@set -e; for dir in $$(grep -rl --include='*_test.go' '^func Fuzz' shared infra | xargs -n1 dirname | sort -u); do \
	  for fn in $$(grep -h '^func Fuzz' $$dir/*_test.go | sed 's/^func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do \
	    echo "== ./$$dir $$fn ($(FUZZTIME))"; \
	    $(GO) test -run=NONE -fuzz="^$${fn}\$$" -fuzztime=$(FUZZTIME) ./$$dir; \
	  done; \
	done

clean:
	rm -rf build cdk.out _tools/node_modules _cdk/node_modules
