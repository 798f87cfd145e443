# The libFuzzer harnesses of tests/fuzz/, included by the Makefile.
#   make fuzz          builds every harness and runs each for
#                      FUZZ_SECONDS (default 60), FUZZ_JOBS at once
#                      (default: the number of cores)
#   make fuzz-check    the same for 10 s each (part of make check)
#   make fuzz-run-NAME one harness, e.g. fuzz-run-ticket
# Everything goes to $(FUZZ_BUILD): programs, the seeds (rewritten each
# run), the corpora (kept, so later runs go deeper), logs, and the input
# of a crash, leak or timeout (crashes/NAME-...), which the run names.
# The compiler is FUZZ_CC (clang, set in the Makefile).

FUZZ_SECONDS	?= 60
FUZZ_BUILD	 = $(BUILD)/fuzz
FUZZ_SAN	 = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
		   -fno-omit-frame-pointer
FUZZ_CFLAGS	 = -std=c11 -D_GNU_SOURCE -g -O1 $(WARN) $(FUZZ_SAN) \
		   -fsanitize=fuzzer-no-link $(XCFLAGS) -MMD -MP \
		   -Ifirmware/common -Ifirmware/mgr -Ifirmware/lib \
		   -Ifirmware/nbd -Ibackup -Itests/fuzz
FUZZ_LIBS	 = -lmbedtls -lmbedx509 -lmbedcrypto -lpthread

# One harness per decoder family: tests/fuzz/NAME_fuzz.c.
FUZZ_NAMES	 = $(patsubst tests/fuzz/%_fuzz.c,%,$(wildcard tests/fuzz/*_fuzz.c))
FUZZ_PROGS	 = $(patsubst %,$(FUZZ_BUILD)/%_fuzz,$(FUZZ_NAMES))
# Longest input tried: a frame or payload holds up to 16 extents and a
# ticket, a resync plan a bitmap; an admin line past its 4096 bytes.
FUZZ_MAX_LEN	 = 8192
FUZZ_MAX_LEN_frame = 16384
FUZZ_MAX_LEN_msg = 16384
FUZZ_MAX_LEN_backup = 16384
FUZZ_MAX_LEN_mountinfo = 16384

# The decoders under test and what they call; the archive lets each
# harness pull in only what it uses.
FUZZ_SRCS	 = $(COMMON_SRCS) firmware/mgr/admin.c \
		   firmware/mgr/store_codec.c firmware/lib/mountinfo.c \
		   firmware/lib/extent_map.c $(NBD_SRCS) backup/tar.c \
		   backup/untar.c backup/manifest.c tests/fuzz/fuzz_common.c \
		   tests/fuzz/fuzz_key.c
fuzzobj		 = $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(1))
FUZZ_A		 = $(FUZZ_BUILD)/libfuzz.a

$(FUZZ_BUILD)/obj/%.o: %.c | $(DEPS_FUZZ)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_A): $(call fuzzobj,$(FUZZ_SRCS))
	@rm -f $@; ar rcs $@ $^

$(FUZZ_BUILD)/%_fuzz: $(call fuzzobj,tests/fuzz/%_fuzz.c) $(FUZZ_A)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LIBS)

$(FUZZ_BUILD)/seeds: $(call fuzzobj,tests/fuzz/seeds.c) $(FUZZ_A)
	$(FUZZ_CC) $(FUZZ_SAN) -o $@ $^ $(FUZZ_LIBS)

fuzz-build: $(FUZZ_PROGS) $(FUZZ_BUILD)/seeds

# The seeds are written afresh; the corpora keep what earlier runs found.
fuzz-seeds: $(FUZZ_BUILD)/seeds
	@rm -rf $(FUZZ_BUILD)/seeds-corpus
	@$(FUZZ_BUILD)/seeds $(FUZZ_BUILD)/seeds-corpus

# One harness: a crash, leak, timeout or broken property fails the run
# and names the input that caused it. fuzz-one-NAME runs it on the
# seeds as they are; fuzz-run-NAME writes them first.
fuzz-run-%: fuzz-seeds
	@$(MAKE) --no-print-directory fuzz-one-$*

fuzz-one-%: $(FUZZ_BUILD)/%_fuzz
	@mkdir -p $(FUZZ_BUILD)/corpus/$* $(FUZZ_BUILD)/crashes \
	    $(FUZZ_BUILD)/logs
	@log=$(FUZZ_BUILD)/logs/$*.log; \
	if ! $< -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=$(or $(FUZZ_MAX_LEN_$*),$(FUZZ_MAX_LEN)) -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_BUILD)/crashes/$*- \
	    $(FUZZ_BUILD)/corpus/$* $(FUZZ_BUILD)/seeds-corpus/$* >$$log 2>&1; then \
		grep -v '^#[0-9]' $$log | tail -n 40 >&2; \
		echo "fuzz: $* FAILED after $$(sed -n \
		    's/^stat::number_of_executed_units: *//p' $$log) runs; see $$log" >&2; \
		echo "fuzz: the input is $$(sed -n \
		    's/.*Test unit written to \(.*\)/\1/p' $$log | tail -n 1);" \
		    "run it again with: $< FILE" >&2; \
		exit 1; \
	fi; \
	echo "fuzz: $*: $$(sed -n 's/^stat::number_of_executed_units: *//p' \
	    $$log) runs in $(FUZZ_SECONDS) s, corpus of" \
	    "$$(ls $(FUZZ_BUILD)/corpus/$* | wc -l) inputs"

# Every harness, as many at once as there are cores (each is one busy
# process); the others still run after a failure, which names itself.
FUZZ_JOBS	?= $(shell nproc)
fuzz: fuzz-build fuzz-seeds
	@if ! printf '%s\n' $(FUZZ_NAMES) | xargs -P $(FUZZ_JOBS) -I{} \
	    $(MAKE) --no-print-directory fuzz-one-{}; then \
		echo "fuzz: FAILED (the harnesses named above)" >&2; exit 1; \
	fi; \
	echo "fuzz: $(words $(FUZZ_NAMES)) harnesses passed"

fuzz-check:
	@$(MAKE) --no-print-directory -j$(FUZZ_JOBS) fuzz-build
	@$(MAKE) --no-print-directory FUZZ_SECONDS=10 fuzz

.PHONY: fuzz fuzz-build fuzz-seeds fuzz-check
