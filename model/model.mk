# The simulator library and rxmodel.
MODEL_SRCS := $(filter-out model/main.c,$(wildcard model/*.c))
MODEL_OBJS := $(patsubst model/%.c,$(OUTPUT)/model/%.o,$(MODEL_SRCS))
LIBMODEL := $(OUTPUT)/libmodel.a
RXMODEL := $(OUTPUT)/rxmodel

ALL_TARGETS += $(RXMODEL)
INSTALL_BINS += $(RXMODEL)

$(OUTPUT)/model/%.o: model/%.c | $(OUTPUT)/model
	$(call msg,CC,$@)
	$(Q)$(CC) $(BASE_CFLAGS) $(MODEL_CFLAGS) -Imodel -c $< -o $@

$(LIBMODEL): $(MODEL_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(RXMODEL): $(OUTPUT)/model/main.o $(LIBMODEL)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(BASE_CFLAGS) $^ $(MODEL_LIBS) -pthread -o $@

-include $(wildcard $(OUTPUT)/model/*.d)
