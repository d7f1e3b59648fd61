# Build of the skynet runtime. `make` builds ./skynet, cservice/*.so and
# luaclib/*.so; `make MODE=asan` builds the same into build/asan/ with
# AddressSanitizer and UBSan (and the system allocator, which ASan needs).

MODE ?= release
CC ?= gcc
BUILD := build/$(MODE)

LUA_CFLAGS := $(shell pkg-config --cflags lua5.4 2>/dev/null || echo -I/usr/include/lua5.4)
LUA_LIBS := $(shell pkg-config --libs lua5.4 2>/dev/null || echo -llua5.4)
INIH_LIBS := $(shell pkg-config --libs inih 2>/dev/null || echo -linih)
LUA_CMOD := $(shell pkg-config --variable=INSTALL_CMOD lua5.4 2>/dev/null)

ifeq ($(MODE),asan)
OUT := build/asan
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT := -O1
ALLOC_CFLAGS := -DNOJEMALLOC
ALLOC_LIBS :=
else
OUT := .
SAN :=
OPT := -O2
ALLOC_CFLAGS :=
ALLOC_LIBS := -ljemalloc
endif

CFLAGS := -std=gnu11 $(OPT) -g -Wall -Wextra -Werror -fPIC $(SAN) $(ALLOC_CFLAGS) \
	$(LUA_CFLAGS) -Iskynet-src -DLUA_CMOD_DIR='"$(LUA_CMOD)"'
LDFLAGS := $(SAN)
SHARED := -shared $(SAN)

CORE_SRC := $(wildcard skynet-src/*.c)
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
# Unit tests link only the layers below the server: the data structures.
UNIT_DEPS := $(patsubst %,$(BUILD)/skynet-src/%.o,skynet_malloc skynet_metrics skynet_mq skynet_handle skynet_timer skynet_env skynet_config skynet_config_ini skynet_config_lua socket_buffer socket_command socket_io socket_guard socket_server socket_request)
EXTRA_UNIT_OBJ += $(BUILD)/lualib-src/lua-seri.o
# The harbor link's frame reader, tables and HMAC (test_harbor).
EXTRA_UNIT_OBJ += $(patsubst %,$(BUILD)/%.o,service-src/harbor_frame service-src/harbor_table lualib-src/crypt_sha1)
CSERVICES := $(patsubst service-src/service_%.c,$(OUT)/cservice/%.so,$(wildcard service-src/service_*.c))
LUALIB_SRC := $(wildcard lualib-src/lua-*.c)
LUALIB_OBJ := $(LUALIB_SRC:%.c=$(BUILD)/%.o)
CLIENT_SRC := $(wildcard lualib-src/client/*.c)
# Plain C algorithm cores (lualib-src/crypt_*.c, no Lua): linked into skynet.so
# (skynet.crypt), md5.so (md5.core) and client.so (client.crypt).
CRYPT_SRC := $(wildcard lualib-src/crypt_*.c)
CRYPT_OBJ := $(CRYPT_SRC:%.c=$(BUILD)/%.o)
# Every other folder lualib-src/NAME/ is one C module family: luaclib/NAME.so.
FAMILIES := $(filter-out client,$(notdir $(patsubst %/,%,$(dir $(wildcard lualib-src/*/*.c)))))
FAMILY_SO := $(patsubst %,$(OUT)/luaclib/%.so,$(sort $(FAMILIES)))
UNIT_SRC := $(wildcard test/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:test/unit/%.c=$(BUILD)/unit/%)
TOOL_SRC := $(wildcard test/tools/*.c bench/*.c)
TOOL_BIN := $(patsubst %.c,$(BUILD)/bin/%,$(notdir $(TOOL_SRC)))
# C services for tests only (test/cservice/NAME.c -> build/MODE/testsvc/NAME.so),
# built without sanitizers so a deliberate fault is a real signal.
TESTSVC_SO := $(patsubst test/cservice/%.c,$(BUILD)/testsvc/%.so,$(wildcard test/cservice/*.c))
SYS_LIBS := -Wl,--no-as-needed $(LUA_LIBS) $(INIH_LIBS) $(ALLOC_LIBS) -ldl -lpthread -lm

.PHONY: all deps deps-test run test bench asan clean unit tools
# Keep family objects (made through a pattern rule) so their .d files stay valid.
.SECONDARY:

all: $(OUT)/skynet $(CSERVICES) $(OUT)/luaclib/skynet.so $(FAMILY_SO) $(if $(CLIENT_SRC),$(OUT)/luaclib/client.so) $(OUT)/luaclib/lpeg.so $(OUT)/luaclib/cjson.so tools

deps:
	@bash tools/deps.sh build

deps-test:
	@bash tools/deps.sh test

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(OUT)/skynet: $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -Wl,-E $(SYS_LIBS)

# A service is service-src/service_NAME.c plus any service-src/NAME_*.c helpers.
svc_helpers = $(patsubst %.c,$(BUILD)/%.o,$(wildcard service-src/$(1)_*.c))
.SECONDEXPANSION:
$(OUT)/cservice/%.so: $(BUILD)/service-src/service_%.o $$(call svc_helpers,$$*)
	@mkdir -p $(dir $@)
	$(CC) $(SHARED) -o $@ $^

$(OUT)/luaclib/skynet.so: $(LUALIB_OBJ) $(CRYPT_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(SHARED) -o $@ $^

family_obj = $(patsubst %.c,$(BUILD)/%.o,$(wildcard lualib-src/$(1)/*.c))
# Libraries one family links: FAMILY_LIBS_<name>.
FAMILY_LIBS_ltls := -lssl -lcrypto
$(OUT)/luaclib/%.so: $$(call family_obj,$$*)
	@mkdir -p $(dir $@)
	$(CC) $(SHARED) -o $@ $^ $(FAMILY_LIBS_$*)

$(OUT)/luaclib/md5.so: $(BUILD)/lualib-src/crypt_md5.o
$(OUT)/cservice/harbor.so: $(BUILD)/lualib-src/crypt_sha1.o

# skynet ships luaclib/lpeg.so (sprotoparser needs it), so skynet configs list
# only luaclib/ in lua_cpath: link Debian's lua-lpeg there (not a copy).
$(OUT)/luaclib/lpeg.so:
	@mkdir -p $(dir $@)
	ln -sfn $(LUA_CMOD)/lpeg.so $@
# cjson too: every service may `require "cjson"` (the default lua_cpath has the
# system folder, a skynet config's luaclib-only lua_cpath would not).
$(OUT)/luaclib/cjson.so:
	@mkdir -p $(dir $@)
	ln -sfn $(LUA_CMOD)/cjson.so $@

# Loaded by a plain lua5.4, which cannot host the sanitizer runtime: no $(SAN).
$(OUT)/luaclib/client.so: $(CLIENT_SRC) lualib-src/lua-crypt.c $(CRYPT_SRC) $(wildcard lualib-src/crypt_*.h)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out $(SAN),$(CFLAGS)) -shared -o $@ $(filter %.c,$^)

$(BUILD)/unit/%: test/unit/%.c $(UNIT_DEPS) $(EXTRA_UNIT_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -Itest/unit -o $@ $< $(UNIT_DEPS) $(EXTRA_UNIT_OBJ) $(SYS_LIBS)

$(BUILD)/bin/%: test/tools/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -lpthread

$(BUILD)/bin/%: bench/%.c bench/benchclient.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -lpthread

$(BUILD)/testsvc/%.so: test/cservice/%.c skynet-src/skynet.h
	@mkdir -p $(dir $@)
	$(CC) $(filter-out $(SAN),$(CFLAGS)) -shared -o $@ $<

unit: $(UNIT_BIN)
tools: $(TOOL_BIN) $(TESTSVC_SO)

run: deps
	@$(MAKE) --no-print-directory all
	./skynet config/game.conf

test: deps-test
	@$(MAKE) --no-print-directory all unit
	@bash test/run.sh

bench: deps-test
	@$(MAKE) --no-print-directory all
	@bash bench/run.sh

asan: deps-test
	@$(MAKE) --no-print-directory MODE=asan all unit
	@SKYNET_OUT=build/asan SKYNET_BUILD=build/asan bash test/run.sh

clean:
	rm -rf build skynet cservice luaclib

-include $(CORE_OBJ:.o=.d) $(LUALIB_OBJ:.o=.d) $(CRYPT_OBJ:.o=.d) $(patsubst %.c,$(BUILD)/%.d,$(wildcard lualib-src/*/*.c))
