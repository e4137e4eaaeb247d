# rxcalibrate: eBPF probes (bpf/), testbed, sweep (calibrate/). Included by the top-level Makefile.
# Everything generated (vmlinux.h, BPF objects, skeletons, objects, tests) goes under $(OUTPUT).
RXCAL := $(OUTPUT)/rxcalibrate
RXCAL_SRCS := $(filter-out calibrate/main.c,$(wildcard calibrate/*.c))
RXCAL_OBJS := $(patsubst calibrate/%.c,$(OUTPUT)/calibrate/%.o,$(RXCAL_SRCS))
RXCAL_BPF := $(wildcard bpf/*.bpf.c)
RXCAL_SKELS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.skel.h,$(RXCAL_BPF))
RXCAL_LIBS = $(shell $(PKG_CONFIG) --libs libbpf gsl libconfig) -lelf -lz -lm
RXCAL_CFLAGS = $(shell $(PKG_CONFIG) --cflags libbpf gsl libconfig) -I$(OUTPUT)/bpf -Ibpf -Icalibrate -Imodel
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux

ALL_TARGETS += $(RXCAL)
INSTALL_BINS += $(RXCAL)

$(OUTPUT)/bpf $(OUTPUT)/calibrate:
	$(Q)mkdir -p $@

$(OUTPUT)/bpf/vmlinux.h: | $(OUTPUT)/bpf
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@.tmp && mv $@.tmp $@

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c bpf/rxstage.h model/stage.h $(OUTPUT)/bpf/vmlinux.h | $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -Wall -target bpf -D__TARGET_ARCH_x86 -I$(OUTPUT)/bpf -Ibpf -Imodel \
		-c $< -o $@

$(OUTPUT)/bpf/%.skel.h: $(OUTPUT)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

$(OUTPUT)/calibrate/%.o: calibrate/%.c $(RXCAL_SKELS) | $(OUTPUT)/calibrate
	$(call msg,CC,$@)
	$(Q)$(CC) $(BASE_CFLAGS) $(RXCAL_CFLAGS) -c $< -o $@

$(RXCAL): $(OUTPUT)/calibrate/main.o $(RXCAL_OBJS) $(LIBMODEL)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(BASE_CFLAGS) $^ $(RXCAL_LIBS) -o $@

# Unit tests (cmocka); they link the calibrate objects, never main.o.
RXCAL_TESTS := $(patsubst tests/calibrate/%.c,$(OUTPUT)/tests/%,$(wildcard tests/calibrate/test_rxc_*.c))
TEST_BINS += $(RXCAL_TESTS)

$(OUTPUT)/tests/test_rxc_%: tests/calibrate/test_rxc_%.c $(RXCAL_OBJS) $(LIBMODEL) | $(OUTPUT)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(BASE_CFLAGS) $(RXCAL_CFLAGS) $^ $(RXCAL_LIBS) -lcmocka -o $@

-include $(wildcard $(OUTPUT)/calibrate/*.d)

.SECONDARY: $(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.bpf.o,$(RXCAL_BPF)) $(RXCAL_SKELS) \
	$(OUTPUT)/bpf/vmlinux.h
