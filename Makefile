# daspool: plain make. `make` builds, `make check` runs every test,
# `make demo` brings up a demo pool on this machine.
#   make check runs every test on build/ and again under ASan + UBSan
#   (build-san/), then each fuzz harness for 10 s; make SANITIZE=1
#   check-build runs the sanitizer half only, make fuzz the fuzzers
#   (tests/fuzz/fuzz.mk).
#   make SANITIZE=thread builds for ThreadSanitizer in build-tsan/ (not
#   part of make check: run tests from it with BUILD=build-tsan).

CC	?= cc
FUZZ_CC	?= clang
OPT	?= -O2 -g
XCFLAGS	?=
WARN	 = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wpointer-arith
prefix	?= /usr/local
DESTDIR	?=

ifeq ($(SANITIZE),1)
BUILD	?= build-san
SAN	 = -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=undefined
else ifeq ($(SANITIZE),thread)
BUILD	?= build-tsan
SAN	 = -fsanitize=thread -fno-omit-frame-pointer
else
BUILD	?= build
SAN	 =
endif

CFLAGS	 = -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(SAN) $(XCFLAGS) -MMD -MP \
	   -Ifirmware/common -Ifirmware/mgr -Ifirmware/agent -Ifirmware/lib \
	   -Ifirmware/snmp -Ifirmware/nbd -Ibackup
LDFLAGS	+= $(SAN)
LIBS	 = -llmdb -lconfuse -lmbedtls -lmbedx509 -lmbedcrypto -lpthread

COMMON_SRCS	= $(wildcard firmware/common/*.c)
MGR_SRCS	= $(filter-out firmware/mgr/main.c,$(wildcard firmware/mgr/*.c))
AGENT_SRCS	= $(filter-out firmware/agent/main.c,$(wildcard firmware/agent/*.c))
LIB_SRCS	= $(wildcard firmware/lib/*.c)
NBD_SRCS	= $(wildcard firmware/nbd/*.c)
BACKUP_SRCS	= $(filter-out backup/main.c,$(wildcard backup/*.c))
# The subagent's objects (all but main and the net-snmp glue) go into
# an archive the unit tests link without net-snmp.
SNMP_SRCS	= $(filter-out firmware/snmp/main.c firmware/snmp/agentx.c,$(wildcard firmware/snmp/*.c))
SNMP_LIBS	= -lnetsnmpagent -lnetsnmp

obj		= $(patsubst %.c,$(BUILD)/%.o,$(1))
COMMON_A	= $(BUILD)/libdaspool-common.a
MGR_A		= $(BUILD)/libdaspool-mgr.a
AGENT_A		= $(BUILD)/libdaspool-agent.a
CLIENT_A	= $(BUILD)/libdaspool.a
SNMP_A		= $(BUILD)/libdaspool-snmp.a
NBD_A		= $(BUILD)/libdaspool-nbd.a
BACKUP_A	= $(BUILD)/libdaspool-backup.a

PROGRAMS = $(BUILD)/daspool-mgr $(BUILD)/daspool-agent $(BUILD)/daspool \
	   $(BUILD)/daspool-sh $(BUILD)/daspool-pki $(BUILD)/daspool-snmp \
	   $(BUILD)/daspool-backup

# Before the first compile, scripts/check-deps.sh names the Debian
# packages that are missing. Its verdict is kept in the build directory
# per compiler and flags, and renewed when packages are installed or
# removed (dpkg's status file changes).
DEPS_KEY	:= $(firstword $(shell printf '%s' '$(CC) $(XCFLAGS) $(FUZZ_CC) $(PKG_CONFIG_PATH)' | cksum))
DEPS_DIR	 = $(BUILD)/.deps
DEPS_BUILD	 = $(DEPS_DIR)/build.$(DEPS_KEY)
DEPS_UNIT	 = $(DEPS_DIR)/unit.$(DEPS_KEY)
DEPS_FUZZ	 = $(DEPS_DIR)/fuzz.$(DEPS_KEY)

UNIT_TESTS = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/*_test.c))
BENCH_PROGS = $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))
TEST_TOOLS = $(patsubst tests/tools/%.c,$(BUILD)/tests/tools/%,$(wildcard tests/tools/*.c))
# Preloaded into daemons by tests only (a slow disk); never sanitized,
# it only forwards calls.
PRELOADS = $(patsubst tests/preload/%.c,$(BUILD)/tests/preload/%.so,$(wildcard tests/preload/*.c))

all: $(PROGRAMS) $(BENCH_PROGS) $(TEST_TOOLS) $(PRELOADS)

# build, then unit or fuzz: what the unit tests or the fuzzers need
# beyond the build.
$(DEPS_UNIT) $(DEPS_FUZZ): | $(DEPS_BUILD)
$(DEPS_BUILD) $(DEPS_UNIT) $(DEPS_FUZZ): scripts/check-deps.sh \
    $(wildcard /var/lib/dpkg/status)
	@CC='$(CC)' CFLAGS='$(XCFLAGS)' FUZZ_CC='$(FUZZ_CC)' \
	    scripts/check-deps.sh $(firstword $(subst ., ,$(notdir $@)))
	@mkdir -p $(dir $@) && touch $@

$(BUILD)/%.o: %.c | $(DEPS_BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/unit/%.o: tests/unit/%.c | $(DEPS_UNIT)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(COMMON_A): $(call obj,$(COMMON_SRCS))
	@rm -f $@; ar rcs $@ $^
$(MGR_A): $(call obj,$(MGR_SRCS))
	@rm -f $@; ar rcs $@ $^
$(AGENT_A): $(call obj,$(AGENT_SRCS))
	@rm -f $@; ar rcs $@ $^
$(CLIENT_A): $(call obj,$(LIB_SRCS))
	@rm -f $@; ar rcs $@ $^
$(SNMP_A): $(call obj,$(SNMP_SRCS))
	@rm -f $@; ar rcs $@ $^
$(NBD_A): $(call obj,$(NBD_SRCS))
	@rm -f $@; ar rcs $@ $^
$(BACKUP_A): $(call obj,$(BACKUP_SRCS))
	@rm -f $@; ar rcs $@ $^

$(BUILD)/daspool-mgr: $(call obj,firmware/mgr/main.c) $(MGR_A) $(COMMON_A)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
$(BUILD)/daspool-agent: $(call obj,firmware/agent/main.c) $(AGENT_A) $(COMMON_A)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
$(BUILD)/daspool: $(call obj,cli/daspool.c cli/nbd_volume.c cli/nbd_listen.c cli/nbd_attach.c) $(NBD_A) $(CLIENT_A) $(COMMON_A)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
$(BUILD)/daspool-sh: $(call obj,cli/daspool-sh.c cli/sh_edit.c cli/sh_out.c cli/sh_live.c cli/sh_backup.c) $(COMMON_A)
	$(CC) $(LDFLAGS) -o $@ $^ -ledit $(LIBS)
$(BUILD)/daspool-backup: $(call obj,backup/main.c) $(BACKUP_A) $(CLIENT_A) $(COMMON_A)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
$(BUILD)/daspool-pki: $(call obj,cli/daspool-pki.c) $(COMMON_A)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
$(BUILD)/daspool-snmp: $(call obj,firmware/snmp/main.c firmware/snmp/agentx.c) $(SNMP_A) $(BACKUP_A) $(MGR_A) $(COMMON_A)
	$(CC) $(LDFLAGS) -o $@ $^ $(SNMP_LIBS) $(LIBS)

# Unit tests link the module archives; only the objects a test uses
# are pulled in.
$(BUILD)/tests/%: $(call obj,tests/unit/%.c) $(SNMP_A) $(NBD_A) $(BACKUP_A) $(MGR_A) $(AGENT_A) $(CLIENT_A) $(COMMON_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(LIBS)

$(BUILD)/bench/%: $(call obj,bench/%.c) $(CLIENT_A) $(COMMON_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/tools/%: $(call obj,tests/tools/%.c) $(BACKUP_A) $(NBD_A) $(CLIENT_A) $(COMMON_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# The swarm simulator runs real agents in its one process.
$(BUILD)/tests/tools/dsp_swarm: $(call obj,tests/tools/dsp_swarm.c) $(AGENT_A) $(COMMON_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/preload/%.so: tests/preload/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -g $(WARN) -fPIC -shared -o $@ $< -ldl

# The Debian packages, and the MIB's base modules into the build dir.
deps:
	@scripts/install-deps.sh
	@mib/fetch-base.sh $(BUILD)/mibs

unit: $(UNIT_TESTS)
	@scripts/run-unit.sh $(UNIT_TESTS)

# Under the sanitizers scale.sh builds a quarter of its pool: that run
# looks for memory errors, and the whole one would take three minutes.
integration: all
	@BUILD=$(BUILD) $(if $(filter 1,$(SANITIZE)),SCALE_SERVERS=50) \
	    tests/integration/run.sh

# DASPOOL-MIB must pass smilint at level 6 with nothing printed, the base
# modules from the pinned npm net-snmp package (mib/fetch-base.sh).
mib-lint: deps
	@out=$$(SMIPATH=$(BUILD)/mibs/base smilint -l 6 -s \
	    mib/DASPOOL-MIB.txt 2>&1); \
	if [ -n "$$out" ]; then echo "$$out"; exit 1; fi; \
	echo "mib: DASPOOL-MIB passes smilint -l 6"

# The MIB's lint, the whole suite twice: as built for use, then under
# ASan + UBSan; then every fuzz harness for a short while.
check: deps
	@$(MAKE) --no-print-directory mib-lint
	@$(MAKE) --no-print-directory check-build
	@$(MAKE) --no-print-directory SANITIZE=1 check-build
	@$(MAKE) --no-print-directory fuzz-check

# The build uses every core; the tests run one at a time.
check-build:
	@echo "== tests, $(BUILD)"
	@$(MAKE) --no-print-directory -j$(shell nproc) all $(UNIT_TESTS)
	@$(MAKE) --no-print-directory unit integration

demo: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) scripts/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) bench/run.sh
	@BUILD=$(BUILD) bench/hardening.sh
	@BUILD=$(BUILD) bench/appliance.sh
	@BUILD=$(BUILD) bench/snmp.sh
	@BUILD=$(BUILD) bench/nbd.sh
	@BUILD=$(BUILD) bench/backup.sh

# A volume copied to the virtual tape library, beside io_bench's read.
bench-backup: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) bench/backup.sh

# A volume through its NBD export, beside libdaspool and nbdkit, alone.
bench-nbd: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) bench/nbd.sh

# DASPOOL-MIB's walk at 100,000 volumes, alone.
bench-snmp: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) bench/snmp.sh

# A pool of 1,000 servers and 100,000 volumes (not part of make bench:
# it takes a while).
bench-scale: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) bench/scale.sh

install: all
	install -d $(DESTDIR)$(prefix)/bin
	install -m 755 $(PROGRAMS) $(DESTDIR)$(prefix)/bin

clean:
	rm -rf build build-san build-tsan

include tests/fuzz/fuzz.mk

.PHONY: all deps unit integration mib-lint check check-build demo bench bench-snmp bench-scale install clean
.SECONDARY:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
