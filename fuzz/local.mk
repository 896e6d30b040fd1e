# SPDX-License-Identifier: MIT
# fuzz/local.mk: build rules for fuzz/ (included by Makefile.am)
# With ./configure --enable-fuzzing CC=clang, configure instruments everything for
# libFuzzer (coverage, ASan, UBSan) and `make fuzz-targets` builds the harnesses; each
# runs as e.g. `fuzz/fuzz_config -max_total_time=30 CORPUS_DIR` (tests/integration/test_fuzz.sh).
if ENABLE_FUZZING
FUZZ_TARGETS = fuzz/fuzz_heartbeat fuzz/fuzz_dnsanswer fuzz/fuzz_config fuzz/fuzz_control \
	fuzz/fuzz_tsigkey
noinst_PROGRAMS += $(FUZZ_TARGETS)
FUZZ_CFLAGS_ALL = $(KCW_CFLAGS) $(DEP_CFLAGS)
FUZZ_LDFLAGS_ALL = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
FUZZ_LIBS = libkcw.a libkcw_core.a $(DEP_LIBS)

fuzz_fuzz_heartbeat_SOURCES = fuzz/fuzz_heartbeat.c
fuzz_fuzz_heartbeat_CFLAGS = $(FUZZ_CFLAGS_ALL)
fuzz_fuzz_heartbeat_LDFLAGS = $(FUZZ_LDFLAGS_ALL)
fuzz_fuzz_heartbeat_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_dnsanswer_SOURCES = fuzz/fuzz_dnsanswer.c
fuzz_fuzz_dnsanswer_CFLAGS = $(FUZZ_CFLAGS_ALL)
fuzz_fuzz_dnsanswer_LDFLAGS = $(FUZZ_LDFLAGS_ALL)
fuzz_fuzz_dnsanswer_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_config_SOURCES = fuzz/fuzz_config.c
fuzz_fuzz_config_CFLAGS = $(FUZZ_CFLAGS_ALL)
fuzz_fuzz_config_LDFLAGS = $(FUZZ_LDFLAGS_ALL)
fuzz_fuzz_config_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_control_SOURCES = fuzz/fuzz_control.c
fuzz_fuzz_control_CFLAGS = $(FUZZ_CFLAGS_ALL)
fuzz_fuzz_control_LDFLAGS = $(FUZZ_LDFLAGS_ALL)
fuzz_fuzz_control_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_tsigkey_SOURCES = fuzz/fuzz_tsigkey.c
fuzz_fuzz_tsigkey_CFLAGS = $(FUZZ_CFLAGS_ALL)
fuzz_fuzz_tsigkey_LDFLAGS = $(FUZZ_LDFLAGS_ALL)
fuzz_fuzz_tsigkey_LDADD = $(FUZZ_LIBS)
else
FUZZ_TARGETS =
endif

.PHONY: fuzz-targets
fuzz-targets: $(FUZZ_TARGETS)
