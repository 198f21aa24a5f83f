# The two commands of the README: `make demo` runs the product, `make test` runs every check.
GO ?= go

.PHONY: demo test vet fmt-check race build bench fuzz models release screenshots

demo:
	$(GO) run ./cmd/claudit demo

build:
	$(GO) build -o claudit ./cmd/claudit

# Static binaries for linux/amd64 and linux/arm64 in dist/, stamped with the
# version (VERSION=1.0.0, default git describe) and commit that
# `claudit --version` prints, and dist/SHA256SUMS (scripts/release.sh).
release:
	GO="$(GO)" ./scripts/release.sh

# go test ./..., then the race detector, then a one-line summary of what ran
# and what was skipped and why (.ci/test).
test: fmt-check vet
	@GO="$(GO)" RACE_PKGS="$(RACE_PKGS)" ./.ci/test unit race

# The race detector over the packages that run goroutines against shared
# state (sync, backfill, stores, client, outbox, serve, evaluation), with
# -short: tests that start processes or only move volume run in the unit
# pass. It needs cgo and a C compiler, and says so when there is none
# (CLAUDIT_REQUIRE_RACE=1 makes that an error, as in CI).
RACE_PKGS = ./internal/ingest/ ./internal/store/... ./internal/compliance/ ./internal/alert/... ./internal/app/... ./internal/evaluate/
race:
	@GO="$(GO)" RACE_PKGS="$(RACE_PKGS)" ./.ci/test race

# Rebuild every embedded model from ../shared (SHARED=dir to point elsewhere):
# the same data gives the same bytes; each manifest records data, seed and
# test-split figures, and the detectors' tests check them against the data.
SHARED ?= ../shared
models:
	$(GO) run ./tools/train --shared $(SHARED)
	$(GO) run ./tools/trainpii --data $(SHARED)

# The README's screenshots, from the running demo: builds claudit, starts
# `claudit demo` on a temporary folder, waits for its first evaluated sync
# and captures the pages with headless Chromium into docs/screenshots.
screenshots:
	$(GO) run ./tools/screenshots

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# A short fuzz run of every fuzz target (seconds each: FUZZTIME=30s make fuzz).
FUZZTIME ?= 10s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "$$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done
