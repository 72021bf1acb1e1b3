# procurd — read top to bottom: flags, sources, programs, tests, the two
# commands (run, check), install.

PREFIX    ?= /usr/local
DESTDIR   ?=
BINDIR    ?= $(PREFIX)/bin
SYSCONFDIR ?= $(PREFIX)/etc/procurd
DATADIR   ?= $(PREFIX)/share/procurd
UNITDIR   ?= $(PREFIX)/lib/systemd/system

CC        ?= cc
PKG_CONFIG ?= pkg-config
CFLAGS    ?= -O2 -g
WARN      := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
DEFS      := -D_DEFAULT_SOURCE -D_GNU_SOURCE -DPROCURD_DATADIR='"$(DATADIR)"'
PKGS      := libpq libzmq libevent libevent_pthreads log4c jansson inih libcurl libsystemd libcrypt
TEST_PKGS := cmocka

# `make SANITIZE=address,undefined check` builds everything with sanitizers.
SANITIZE  ?=
ifneq ($(SANITIZE),)
CFLAGS    += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS   += -fsanitize=$(SANITIZE)
endif

# `make fuzz` builds with clang and libFuzzer into build-fuzz (FUZZ=1)
FUZZ      ?=
ifneq ($(FUZZ),)
CC        := clang
CFLAGS    += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
LDFLAGS   += -fsanitize=fuzzer,address,undefined
endif

# sanitizer and fuzzing builds keep their own objects, so none mix
B         := build$(if $(FUZZ),-fuzz,$(if $(SANITIZE),-san))
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS = $(WARN) $(DEFS) $(CFLAGS) -Ilib -Idaemon -Idaemon/store -Iworkers $(PKG_CFLAGS) -MMD -MP
LIBS       = $(PKG_LIBS) -lpthread -lm

LIB_SRC    := $(wildcard lib/*.c)
DAEMON_SRC := $(filter-out daemon/main.c daemon/procurctl.c,$(wildcard daemon/*.c daemon/store/*.c))
WORKER_SRC := $(wildcard workers/*.c)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
IT_SRC     := $(wildcard tests/integration/it_*.c)
IT_HELPERS := $(filter-out $(IT_SRC),$(wildcard tests/integration/*.c))
BENCH_SRC  := $(wildcard bench/*.c)
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRC))
FAULT_SRC  := $(filter-out tests/faults/load.c,$(wildcard tests/faults/*.c))
WORKER_TEST_SRC := $(wildcard tests/worker/test_*.c)
WORKER_LIB_SRC  := $(filter-out workers/main.c,$(WORKER_SRC))

obj = $(patsubst %.c,$(B)/%.o,$(1))

PROGRAMS   := $(B)/procurd $(B)/procurctl $(if $(WORKER_SRC),$(B)/procur-notify)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
IT_BINS    := $(patsubst tests/integration/%.c,$(B)/tests/%,$(IT_SRC))
BENCH_BINS := $(patsubst bench/%.c,$(B)/bench/%,$(BENCH_SRC))
REPLAY_BINS := $(patsubst %,$(B)/tests/fuzz/replay_%,$(FUZZ_NAMES))
FUZZ_BINS  := $(patsubst %,$(B)/tests/fuzz/fuzz_%,$(FUZZ_NAMES))
FAULT_BINS := $(patsubst tests/faults/%.c,$(B)/tests/faults/%,$(FAULT_SRC))
WORKER_TEST_BINS := $(patsubst tests/worker/%.c,$(B)/tests/worker/%,$(WORKER_TEST_SRC))

.PHONY: all deps run check check-faults fuzz fuzz-merge fuzz-bins unit bench bench-mix install clean valgrind openapi lint-openapi
all: $(PROGRAMS)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(B)/procurd: $(call obj,daemon/main.c $(DAEMON_SRC) $(LIB_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/procurctl: $(call obj,daemon/procurctl.c $(DAEMON_SRC) $(LIB_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/procur-notify: $(call obj,$(WORKER_SRC) $(LIB_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/tests/test_%: $(B)/tests/unit/test_%.o $(call obj,$(DAEMON_SRC) $(LIB_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(shell $(PKG_CONFIG) --libs $(TEST_PKGS))

$(B)/tests/it_%: $(B)/tests/integration/it_%.o $(call obj,$(IT_HELPERS) $(LIB_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(shell $(PKG_CONFIG) --libs $(TEST_PKGS))

# A fuzz target links the daemon's and the worker's code; replay_T runs its
# corpus with the ordinary compiler (make check), fuzz_T is libFuzzer's.
FUZZ_LINK = $(call obj,$(DAEMON_SRC) $(WORKER_LIB_SRC) $(LIB_SRC))
$(B)/tests/fuzz/replay_%: $(B)/tests/fuzz/fuzz_%.o $(B)/tests/fuzz/replay.o $(FUZZ_LINK)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/tests/fuzz/fuzz_%: $(B)/tests/fuzz/fuzz_%.o $(FUZZ_LINK)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/tests/faults/%: $(B)/tests/faults/%.o $(call obj,tests/faults/load.c $(IT_HELPERS) $(LIB_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(shell $(PKG_CONFIG) --libs $(TEST_PKGS))

$(B)/tests/worker/test_%: $(B)/tests/worker/test_%.o $(call obj,$(WORKER_LIB_SRC) $(LIB_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(shell $(PKG_CONFIG) --libs $(TEST_PKGS))

$(B)/bench/%: $(B)/bench/%.o $(call obj,$(LIB_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# Debian packages: installed when root, else the exact apt-get line printed.
deps:
	@sh scripts/deps.sh

# A working daemon in the foreground: private PostgreSQL under var/ unless
# [database] conninfo is set, migrations, a first admin token, one worker.
run: deps all
	@B=$(B) sh scripts/run.sh

unit: $(UNIT_BINS) $(WORKER_TEST_BINS)
	@B=$(B) sh scripts/check.sh unit $(UNIT_BINS) $(WORKER_TEST_BINS)

# Every test: unit, then integration against a throwaway PostgreSQL.
check: deps all $(UNIT_BINS) $(WORKER_TEST_BINS) $(REPLAY_BINS) $(IT_BINS)
	@B=$(B) sh scripts/check.sh all

# libFuzzer on every parser of outside input, FUZZ_SECONDS each (60), in
# FUZZ_JOBS lanes (1), with ASan and UBSan; new inputs go to var/fuzz/T,
# crashes to var/fuzz/crash-*. `make fuzz-merge` folds what adds coverage
# into tests/fuzz/corpus/T, which make check replays (tests/fuzz/README.md).
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= 1
FUZZ_TARGETS ?= $(FUZZ_NAMES)
fuzz:
	@sh scripts/deps.sh fuzz
	@$(MAKE) --no-print-directory FUZZ=1 fuzz-bins
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) sh scripts/fuzz.sh run build-fuzz $(FUZZ_TARGETS)

fuzz-merge:
	@$(MAKE) --no-print-directory FUZZ=1 fuzz-bins
	@sh scripts/fuzz.sh merge build-fuzz $(FUZZ_TARGETS)

fuzz-bins: $(FUZZ_BINS)

# Faults, each with a PostgreSQL of its own: procurd killed and PostgreSQL
# crashed under load (FAULT_ROUNDS, FAULT_PG_RESTARTS), and a failover.
check-faults: deps all $(FAULT_BINS)
	@B=$(B) sh scripts/check.sh faults $(FAULT_BINS)

valgrind: all $(UNIT_BINS) $(WORKER_TEST_BINS) $(REPLAY_BINS)
	@B=$(B) sh scripts/check.sh valgrind $(UNIT_BINS) $(WORKER_TEST_BINS) $(REPLAY_BINS)

# Benchmarks print their figures (bench/README.md); they are not tests.
bench: deps all $(BENCH_BINS)
	@B=$(B) sh scripts/bench.sh
	@B=$(B) sh scripts/bench-deadlines.sh
	@B=$(B) sh scripts/bench-notify.sh
	@B=$(B) sh scripts/bench-tasks.sh
	@B=$(B) sh scripts/bench-ocds.sh

# The mixed benchmark of a province (scale issue): minutes of seeding at its
# default 1,000,000 projects; BENCH_MIX_PROJECTS=20000 for a quick look.
bench-mix: deps all $(BENCH_BINS)
	@B=$(B) sh scripts/bench-mix.sh

# web/openapi.json from its generator (the event payloads from lifecycle.c)
openapi:
	python3 scripts/openapi.py

# Redocly's linter on web/openapi.json, its version pinned in
# tools/openapi-lint/package-lock.json (npm ci fetches exactly that)
lint-openapi:
	@sh scripts/deps.sh lint
	cd tools/openapi-lint && npm ci --no-audit --no-fund --loglevel=error && \
		npx --no-install redocly lint --config redocly.yaml ../../web/openapi.json

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR) $(DESTDIR)$(DATADIR)/sql $(DESTDIR)$(UNITDIR)
	install -m 755 $(PROGRAMS) $(DESTDIR)$(BINDIR)
	install -d $(DESTDIR)$(DATADIR)/calendar $(DESTDIR)$(DATADIR)/templates
	install -m 644 data/calendar/* $(DESTDIR)$(DATADIR)/calendar
	install -m 644 config/templates/* $(DESTDIR)$(DATADIR)/templates
	install -m 644 config/log4crc $(DESTDIR)$(SYSCONFDIR)
	install -d $(DESTDIR)$(SYSCONFDIR)/profiles
	install -m 644 config/profiles/*.conf $(DESTDIR)$(SYSCONFDIR)/profiles
	sed -e 's|^migrations = sql$$|migrations = $(DATADIR)/sql|' \
	    -e 's|^config = config/log4crc$$|config = $(SYSCONFDIR)/log4crc|' \
	    -e 's|^file = data/calendar/|file = $(DATADIR)/calendar/|' \
	    -e 's|^web_root = web$$|web_root = $(DATADIR)/web|' \
	    -e 's|^profiles = config/profiles$$|profiles = $(SYSCONFDIR)/profiles|' \
	    config/procurd.conf > $(DESTDIR)$(SYSCONFDIR)/procurd.conf
	printf '\n[worker]\n; procur-notify reads this section (procurd ignores it)\ntemplates_dir = %s\n' \
	    '$(DATADIR)/templates' >> $(DESTDIR)$(SYSCONFDIR)/procurd.conf
	install -m 644 sql/*.sql $(DESTDIR)$(DATADIR)/sql
	install -d $(DESTDIR)$(DATADIR)/web
	install -m 644 web/* $(DESTDIR)$(DATADIR)/web
	install -m 644 systemd/*.service $(DESTDIR)$(UNITDIR)

clean:
	rm -rf $(B)

# keep objects between runs: they are not intermediate files to throw away
.SECONDARY:

-include $(shell find $(B) -name '*.d' 2>/dev/null)
