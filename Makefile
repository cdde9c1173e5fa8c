# Service Connector. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
GINKGO := $(GO) tool ginkgo
TEMPL := $(GO) tool templ
GINKGO_FLAGS := -r --succinct=false --no-color --randomize-all --race --fail-on-pending --fail-on-empty --keep-going --compilers=2 --timeout=20m
SPEC_LOG := var/test-output.txt
# What the specs need from the machine, as a command or path and its Debian package.
TEST_COMMANDS := /usr/lib/chromium/chromium:chromium sudo:sudo /usr/sbin/visudo:sudo \
  /usr/sbin/useradd:passwd /usr/bin/gawk:gawk /usr/bin/original-awk:original-awk /usr/bin/dash:dash \
  /usr/sbin/sshd:openssh-server /usr/bin/ssh:openssh-client /usr/lib/python3/dist-packages/dotenv:python3-dotenv \
  /usr/lib/python3/dist-packages/requests:python3-requests /usr/lib/postgresql/*/bin/initdb:postgresql

.DEFAULT_GOAL := help

.PHONY: help generate check-generate fmt lint test test-deps specs build run bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-15s %s\n", $$1, $$2}'

generate: ## regenerate the templ components (*_templ.go)
	$(TEMPL) generate -path components

check-generate: generate ## fail when the committed *_templ.go files differ from what templ generates
	@git diff --exit-code --stat -- '*_templ.go' || { echo "generated files drifted: run 'make generate' and commit them" >&2; exit 1; }
	@untracked=$$(git ls-files --others --exclude-standard -- '*_templ.go'); \
	  if [ -n "$$untracked" ]; then echo "generated files not committed: $$untracked" >&2; exit 1; fi

fmt: ## format the Go code and the templ components
	gofmt -w $$(git ls-files --cached --others --exclude-standard '*.go' | grep -v '_templ.go$$')
	$(TEMPL) fmt components

lint: ## go vet, and fail on unformatted Go code
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files --cached --others --exclude-standard '*.go' | grep -v '_templ.go$$')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted" >&2; exit 1; fi

test-deps: ## install what the specs need (Chromium, sudo, PostgreSQL) when it is missing
	@missing=""; for pair in $(TEST_COMMANDS); do \
	  cmd=$${pair%%:*}; pkg=$${pair##*:}; \
	  command -v $$cmd >/dev/null 2>&1 || [ -e $$cmd ] || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then as_root=""; else as_root="sudo"; fi; \
	  $$as_root apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $$as_root apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

test: test-deps ## run every spec (Ginkgo, with the race detector), then print the totals
	@mkdir -p $(dir $(SPEC_LOG))
	@status=0; $(GINKGO) $(GINKGO_FLAGS) 2>&1 | tee $(SPEC_LOG) || status=$$?; \
	awk '/Passed \| [0-9]+ Failed/ { for (i = 1; i <= NF; i++) { if ($$(i+1) ~ /^Passed/) p += $$i; if ($$(i+1) ~ /^Failed/) f += $$i; if ($$(i+1) ~ /^Skipped/) s += $$i } } \
	  END { printf "specs: %d passed, %d failed, %d skipped\n", p, f, s }' $(SPEC_LOG); \
	exit $$status

specs: ## print the spec tree as readable behaviour, for QA
	@for dir in $$(git ls-files --cached --others --exclude-standard '*_suite_test.go' | xargs -n1 dirname | sort -u); do \
	  echo "$$dir"; \
	  for f in $$(ls $$dir/*_test.go | grep -v '_suite_test.go$$'); do \
	    $(GINKGO) outline --format=indent $$f | awk -f $(CURDIR)/.ci/outline.awk; \
	  done; echo; \
	done

build: ## build bin/service-connector and bin/install-service-env
	$(GO) build -o bin/service-connector .
	$(GO) build -o bin/install-service-env ./sudo

run: build ## run the demo: portal on 127.0.0.1:8080, reference services on 127.0.0.1:8081, files in ./var/homes
	./bin/service-connector demo

bench: build ## the benchmarks at 1,000, 10,000 and 100,000 people (store change, Connect, dashboard) and the admin page at 10,000 and 100,000 connections, then the load script; a few minutes
	@echo "load: $$(uptime)"
	$(GO) test -run '^$$' -bench StoreChange -benchmem -benchtime 2000x -timeout 10m ./services/store
	$(GO) test -run '^$$' -bench AdminQueries -benchtime 20x -timeout 10m ./services/store
	$(GO) test -run '^$$' -bench . -benchmem ./services/store/keyring
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 500x -timeout 10m ./services/connector
	$(GO) test -run '^$$' -bench Dashboard -benchmem -benchtime 3000x -timeout 10m ./app
	$(GO) test -run '^$$' -bench AdminPage -benchtime 500x -timeout 10m ./app
	$(GO) run ./bench -bin bin/service-connector
	@echo "load: $$(uptime)"

clean: ## remove build output and demo data
	rm -rf bin var
