# rxmodel / rxcalibrate build. Everything generated goes under $(OUTPUT).
#   make            build both tools
#   make run        install missing packages, build, run rxmodel on configs/gilan.cfg --bw 10G
#   make check      install missing packages, build, run every test (then again under ASan+UBSan)
#   make bench      simulator speed and memory figures (and probe overhead where possible)
#   make valgrind   the simulator's tests under valgrind memcheck
#   make figures    every figure of docs/figures.md into figures/ (SVG, PNG and their CSV data)
#   make install    PREFIX=/usr/local DESTDIR=
# V=1 shows the full commands; EXTRA_CFLAGS is appended; CI=true (or WERROR=1) fails on warnings.

OUTPUT ?= .output
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool
PKG_CONFIG ?= pkg-config

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

ifneq ($(CI)$(WERROR),)
WERROR_FLAG := -Werror
endif

# Recursive (=) so pkg-config runs only when something is compiled, after deps are installed.
MODEL_PKGS := libconfig gsl
MODEL_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(MODEL_PKGS))
MODEL_LIBS = $(shell $(PKG_CONFIG) --libs $(MODEL_PKGS)) -lm

CFLAGS ?= -O2 -g
BASE_CFLAGS = -std=gnu11 -Wall -Wextra -Wshadow -Wno-unused-parameter $(WERROR_FLAG) \
	-D_GNU_SOURCE -MMD -MP $(CFLAGS) $(EXTRA_CFLAGS)

.DEFAULT_GOAL := all
.PHONY: all deps run check bench install clean fmt figures fuzz valgrind
.DELETE_ON_ERROR:

include model/model.mk
-include calibrate/calibrate.mk
include tests/tests.mk

all: $(ALL_TARGETS)

deps:
	$(Q)scripts/install-deps.sh all

run:
	$(Q)scripts/install-deps.sh build
	$(Q)$(MAKE) --no-print-directory all
	$(OUTPUT)/rxmodel --config configs/gilan.cfg --bw 10G

# The whole suite twice: as built, then built into $(OUTPUT)/san under AddressSanitizer and
# UndefinedBehaviorSanitizer (any report fails the test that triggered it).
SAN_CFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

check:
	$(Q)scripts/install-deps.sh test
	$(Q)$(MAKE) --no-print-directory all tests
	$(Q)tests/run.sh $(OUTPUT)
	@echo "== the same tests under ASan and UBSan ($(OUTPUT)/san)"
	$(Q)$(MAKE) --no-print-directory OUTPUT=$(OUTPUT)/san EXTRA_CFLAGS="$(SAN_CFLAGS) $(EXTRA_CFLAGS)" all tests
	$(Q)ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
		tests/run.sh $(OUTPUT)/san

bench:
	$(Q)scripts/install-deps.sh build
	$(Q)$(MAKE) --no-print-directory all
	$(Q)experiments/bench.sh $(OUTPUT)

# gnuplot-nox is in install-deps.sh's "all" set; it is installed only when gnuplot is missing.
figures:
	$(Q)scripts/install-deps.sh build
	$(Q)command -v gnuplot >/dev/null 2>&1 || scripts/install-deps.sh figures
	$(Q)command -v gnuplot >/dev/null 2>&1 || \
		{ echo "make figures: gnuplot not found: apt-get install gnuplot-nox" >&2; exit 1; }
	$(Q)$(MAKE) --no-print-directory $(RXMODEL)
	$(call msg,FIGURES,figures/)
	$(Q)experiments/figures.sh $(OUTPUT) figures

# The simulator's unit and closed-form tests under valgrind (memcheck, definite leaks are
# errors); about 2.5 min on 2 cores.
VALGRIND_TESTS := test_units test_eventq test_stats test_traffic test_config test_napi test_queueing \
	test_numeric
valgrind:
	$(Q)scripts/install-deps.sh valgrind
	$(Q)$(MAKE) --no-print-directory tests
	$(Q)for t in $(VALGRIND_TESTS); do \
		valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite \
			$(OUTPUT)/tests/$$t >$(OUTPUT)/tests/$$t.valgrind 2>&1 && echo "ok    valgrind $$t" || \
			{ cat $(OUTPUT)/tests/$$t.valgrind; echo "FAIL  valgrind $$t"; exit 1; }; \
	done

# make fuzz: libFuzzer harnesses (fuzz/fuzz.mk, docs/fuzz.md), FUZZ_SECONDS (default 60) each;
# needs clang.
include fuzz/fuzz.mk

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/rxmodel/configs \
		$(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(INSTALL_BINS) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 configs/*.cfg $(DESTDIR)$(PREFIX)/share/rxmodel/configs/
	install -m 644 docs/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/

clean:
	rm -rf $(OUTPUT)

fmt:
	clang-format -i model/*.[ch] tests/*.c

$(OUTPUT) $(OUTPUT)/model $(OUTPUT)/tests:
	$(Q)mkdir -p $@
