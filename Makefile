# roomcast: `make test` runs every test on a fresh machine, installing what
# the tests need that the machine may lack. `.ci/run` calls exactly it.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := test

GO     ?= go
NODE   ?= node
NPM    ?= npm
# Debian's Python: the tests use Debian's python3-socketio, which a pyenv or
# venv python3 earlier on PATH would not see.
PYTHON ?= /usr/bin/python3
JS     := clients/js
PY     := clients/python
PY_DIST    := /usr/lib/python3/dist-packages
PY_MODULES := $(PY_DIST)/socketio $(PY_DIST)/engineio $(PY_DIST)/msgpack $(PY_DIST)/requests $(PY_DIST)/websocket
# The server binaries the Node and Python tests start (rebuilt by every run).
GAMESERVER := bin/gameserver
CLICKER    := bin/clicker
# The three stub nodes of the clients' redirect tests (test code only).
REDIRECTSTUB := bin/redirectstub

# Node test files of the transport (and later the JS client).
JS_TESTS = $(wildcard $(JS)/test/*.test.js)

.PHONY: test test-long deps tools go-test js-test py-test vet seeds run clean $(GAMESERVER) $(CLICKER) $(REDIRECTSTUB)

## test: everything a change must pass (vet, Go tests with -race, Node and Python tests against the Go server)
test: deps vet go-test js-test py-test

## test-long: make test with the long property runs: sync's random mutation
## scripts 2000 instead of 200 (adds about 80 s to `go test -race ./sync` on a
## quiet machine). STATESYNC_PROPERTY_SCRIPTS=N and STATESYNC_PROPERTY_SEED=S
## set any count and first seed, with either target.
test-long: export STATESYNC_PROPERTY_SCRIPTS ?= 2000
test-long: test

## deps: check the toolchain and install what the tests need. Each need is
## one prerequisite line here plus its rule.
deps: tools $(JS)/node_modules/.package-lock.json
deps: /usr/bin/chromium
deps: $(PY_MODULES)
deps: /usr/bin/redis-server

# Debian's redis-server for the cluster tests (internal/redistest starts its
# own on a free loopback port; the packaged service is not used).
/usr/bin/redis-server:
	@echo "make test: /usr/bin/redis-server missing, installing Debian's redis-server"
	apt-get update && apt-get install -y --no-install-recommends redis-server || \
	  { echo "make test: could not install redis-server (needs root and apt); install it and rerun" >&2; exit 1; }

# Debian's Chromium for the page tests (clients/js/test/browser*.test.js, through test/helpers/chromium.js).
/usr/bin/chromium:
	@echo "make test: /usr/bin/chromium missing, installing Debian's chromium"
	apt-get update && apt-get install -y --no-install-recommends chromium || \
	  { echo "make test: could not install chromium (needs root and apt); install it and rerun" >&2; exit 1; }

# Debian's python3-socketio 5.7 (and python3-engineio 4.3), the msgpack
# library, and what python-engineio's client needs for long-polling
# (requests) and WebSocket (websocket-client), for clients/python.
$(PY_MODULES) &:
	@echo "make test: Debian's python3-socketio (or msgpack, requests, websocket) missing, installing"
	apt-get update && apt-get install -y --no-install-recommends python3-socketio python3-msgpack python3-requests python3-websocket || \
	  { echo "make test: could not install python3-socketio python3-msgpack python3-requests python3-websocket (needs root and apt); install them and rerun" >&2; exit 1; }

tools:
	@command -v $(GO) >/dev/null || { echo "make test: 'go' not found; install Go 1.26 (https://go.dev/dl/)" >&2; exit 1; }
	@command -v $(NODE) >/dev/null || { echo "make test: 'node' not found; install Node.js 20 or newer (e.g. apt-get install nodejs npm)" >&2; exit 1; }
	@command -v $(NPM) >/dev/null || { echo "make test: 'npm' not found; install npm (e.g. apt-get install npm)" >&2; exit 1; }
	@$(NODE) -e 'if (+process.versions.node.split(".")[0] < 20) { console.error("make test: node " + process.version + " is too old; need 20 or newer"); process.exit(1) }'

# npm ci runs only when node_modules is missing or older than the lockfile.
$(JS)/node_modules/.package-lock.json: $(JS)/package-lock.json $(JS)/package.json
	cd $(JS) && $(NPM) ci --no-audit --no-fund
	@touch $@

vet:
	$(GO) vet ./...

go-test:
	$(GO) test -race -count=1 ./...

$(GAMESERVER) $(CLICKER): bin/%:
	$(GO) build -o $@ ./cmd/$*

$(REDIRECTSTUB):
	$(GO) build -o $@ ./internal/redirectstub/cmd/redirectstub

# The Node tests start the servers themselves (one build for all files;
# clicker.test.js runs cmd/clicker).
js-test: deps $(GAMESERVER) $(CLICKER) $(REDIRECTSTUB)
	cd $(JS) && ROOMCAST_GAMESERVER="$(abspath $(GAMESERVER))" ROOMCAST_CLICKER="$(abspath $(CLICKER))" \
	  ROOMCAST_REDIRECTSTUB="$(abspath $(REDIRECTSTUB))" \
	  $(NODE) --test --test-concurrency=1 --test-timeout=180000 $(patsubst $(JS)/%,%,$(JS_TESTS))

## py-test: the Python client (Debian's python3-socketio) plays against the server; see clients/python/README.md
py-test: deps $(GAMESERVER) $(REDIRECTSTUB)
	cd $(PY) && ROOMCAST_GAMESERVER="$(abspath $(GAMESERVER))" ROOMCAST_REDIRECTSTUB="$(abspath $(REDIRECTSTUB))" \
	  PYTHONDONTWRITEBYTECODE=1 $(PYTHON) -m unittest -v test_mirror test_frames test_play test_views test_redirect test_cluster

## seeds: regenerate the recorded-* fuzz seeds from the real client's traffic
seeds: deps
	$(GO) run ./cmd/recordseeds -repo .

## run: start the server on 127.0.0.1:2567
run:
	$(GO) run ./cmd/gameserver

clean:
	rm -rf bin $(JS)/node_modules
