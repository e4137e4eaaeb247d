# Unit, closed-form and CLI tests. Each tests/test_*.c is one cmocka program linked with the
# simulator library; tests/run.sh runs them all (and the calibrate tests) and sums the results.
TEST_SRCS := $(wildcard tests/test_*.c)
TEST_BINS += $(patsubst tests/%.c,$(OUTPUT)/tests/%,$(TEST_SRCS))

.PHONY: tests
tests: $(TEST_BINS)

$(OUTPUT)/tests/test_%: tests/test_%.c $(LIBMODEL) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(BASE_CFLAGS) $(MODEL_CFLAGS) -Imodel $< $(LIBMODEL) $(MODEL_LIBS) -lcmocka -o $@

-include $(wildcard $(OUTPUT)/tests/*.d)
