# libFuzzer harnesses (make fuzz; see docs/fuzz.md). Included by the top-level Makefile, whose
# OUTPUT, PKG_CONFIG, Q and msg it uses.
# The model and fit sources are compiled again with clang under ASan+UBSan and the fuzzer's
# coverage instrumentation into $(OUTPUT)/fuzz: the normal objects have neither.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_OUT := $(OUTPUT)/fuzz

FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS = -std=gnu11 -g -O1 -D_GNU_SOURCE -Wall -Wno-unused-parameter $(FUZZ_SAN) \
	$(shell $(PKG_CONFIG) --cflags libconfig gsl) -Imodel -Icalibrate \
	-DRXFUZZ_CONFIGS='"$(abspath configs)"' $(EXTRA_CFLAGS)
FUZZ_LIBS = $(shell $(PKG_CONFIG) --libs libconfig gsl) -lz -lm -pthread

FUZZ_HARNESSES := $(patsubst fuzz/%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_BINS := $(addprefix $(FUZZ_OUT)/,$(FUZZ_HARNESSES))
FUZZ_MODEL_OBJS := $(patsubst model/%.c,$(FUZZ_OUT)/model/%.o,\
	$(filter-out model/main.c,$(wildcard model/*.c)))
# fit.c and what it calls (host provenance for fit_write_calibration)
FUZZ_CAL_OBJS := $(patsubst %,$(FUZZ_OUT)/calibrate/%.o,fit sysinfo ksyms)

.PHONY: fuzz fuzz-build fuzz-check-clang

fuzz-build: fuzz-check-clang $(FUZZ_BINS)

fuzz: fuzz-build
	$(Q)fuzz/run.sh $(FUZZ_OUT) $(FUZZ_SECONDS) $(FUZZ_HARNESSES)

fuzz-check-clang: | $(FUZZ_OUT)
	$(Q)printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return 0; }\n' \
		>$(FUZZ_OUT)/probe.c
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer,address,undefined $(FUZZ_OUT)/probe.c -o $(FUZZ_OUT)/probe \
		2>$(FUZZ_OUT)/probe.log || { \
		echo "make fuzz: '$(FUZZ_CC)' cannot build a libFuzzer program (-fsanitize=fuzzer):" >&2; \
		sed 's/^/  /' $(FUZZ_OUT)/probe.log | head -5 >&2; \
		echo "  install clang and its runtime (Debian: apt-get install clang libclang-rt-dev," \
			"or libclang-common-NN-dev for clang NN), or set FUZZ_CC" >&2; exit 1; }

$(FUZZ_OUT) $(FUZZ_OUT)/model $(FUZZ_OUT)/calibrate:
	$(Q)mkdir -p $@

$(FUZZ_OUT)/model/%.o: model/%.c | $(FUZZ_OUT)/model
	$(call msg,CC-FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_OUT)/calibrate/%.o: calibrate/%.c | $(FUZZ_OUT)/calibrate
	$(call msg,CC-FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_OUT)/libfuzzmodel.a: $(FUZZ_MODEL_OBJS) $(FUZZ_CAL_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_OUT)/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz_common.h $(FUZZ_OUT)/libfuzzmodel.a
	$(call msg,LINK,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_OUT)/libfuzzmodel.a $(FUZZ_LIBS) -o $@

-include $(wildcard $(FUZZ_OUT)/model/*.d $(FUZZ_OUT)/calibrate/*.d)
