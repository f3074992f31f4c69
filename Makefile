# syncd — `make help` lists the targets.

SHELL        := /usr/bin/env bash
GO           ?= go
VERSION      ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS      := -s -w -X main.version=$(VERSION)
BIN          := bin
# Filled by scripts/test-deps.sh (installs missing test dependencies, prints
# the path of each cached libchdb, the embedded default first): CHDB_LIB_PATH
# is the default, SYNCD_TEST_CHDB_LIBS every version of the engine matrix.
TEST_ENV      = libs="$$(scripts/test-deps.sh)" && CHDB_LIB_PATH="$$(head -n1 <<<"$$libs")" SYNCD_TEST_CHDB_LIBS="$$(paste -sd: <<<"$$libs")"
# What `make demo` needs: the default libchdb only.
DEMO_ENV      = CHDB_LIB_PATH="$$(scripts/test-deps.sh --demo)"

.DEFAULT_GOAL := help

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build bin/syncd and bin/bss-sim, static (server sink only: -tags nochdb, as in the container image).
	CGO_ENABLED=0 $(GO) build -trimpath -tags nochdb -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/...

.PHONY: build-embedded
build-embedded: ## Build bin/syncd-embedded: server sink and the embedded chDB engine (dynamically linked; needs CHDB_LIB_PATH at run time).
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/syncd-embedded ./cmd/syncd

.PHONY: test-deps
test-deps: ## Install missing test dependencies (apt packages, libchdb.so) idempotently.
	scripts/test-deps.sh >/dev/null

.PHONY: test
test: lint ## Lint, run every test with the race detector against real engines (installs what is missing first), then every fuzz target briefly.
	$(TEST_ENV) CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 30m ./...
	$(TEST_ENV) FUZZTIME=$${FUZZTIME:-10s} scripts/fuzz.sh

.PHONY: fuzz
fuzz: ## Run every Go fuzz target for FUZZTIME each (default 1m).
	$(TEST_ENV) FUZZTIME=$${FUZZTIME:-1m} scripts/fuzz.sh

.PHONY: test-integration
test-integration: ## Run only the ClickHouse sink and schema tests (both engines).
	$(TEST_ENV) CGO_ENABLED=1 $(GO) test -race -count=1 ./internal/sink/... ./schema/...

GOLANGCI_LINT_VERSION := v2.15.0
GOLANGCI_LINT         := $(shell $(GO) env GOPATH)/bin/golangci-lint

$(GOLANGCI_LINT):
	$(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

.PHONY: lint
lint: $(GOLANGCI_LINT) ## go vet under every build tag, golangci-lint v2 (.golangci.yml) and a gofmt check.
	$(GO) vet ./...
	$(GO) vet -tags nochdb ./...
	$(GO) vet -tags faultinject ./...
	$(GOLANGCI_LINT) run ./...
	$(GOLANGCI_LINT) run --build-tags faultinject ./...
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*'))"; \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

.PHONY: bench
bench: ## Run the Go benchmarks (short ones; see bench-sink for the 1M-row writer benchmark).
	$(TEST_ENV) $(GO) test -run '^$$' -bench . -benchmem ./...

.PHONY: bench-sink
bench-sink: ## Writer vs raw clickhouse-go insert of 1M cost_records rows on a private ClickHouse server.
	$(TEST_ENV) SYNCD_BENCH_ROWS=$${SYNCD_BENCH_ROWS:-1000000} $(GO) test -run '^$$' -bench 'BenchmarkMonthWriter' -benchtime 1x -count 1 -timeout 60m ./internal/sink/

.PHONY: clean
clean: ## Remove build outputs.
	rm -rf $(BIN)

.PHONY: demo
demo: ## Run `syncd demo`: a simulated Huawei Cloud account synced into the embedded engine, then /metrics on :9107 (installs libchdb first).
	$(DEMO_ENV) $(GO) run -ldflags '$(LDFLAGS)' ./cmd/syncd demo
