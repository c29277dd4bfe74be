# threadline - build everything out of tree into $(O) (default build/).
# `make help` lists the targets. Quiet unless V=1.

O ?= build
V ?= 0
ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool
ARCH := $(shell uname -m | sed 's/x86_64/x86/; s/aarch64/arm64/')
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

WARN := -Wall -Wextra -Werror
CFLAGS ?= -O3 -g
USER_CFLAGS := $(CFLAGS) $(WARN) -std=c11 -D_GNU_SOURCE -MMD -MP \
	-I$(O) -I. -Iuserspace -DTL_VERSION='"$(VERSION)"'
LDLIBS := -lbpf -lelf -ldw -lz -lzstd -lpthread -lrt
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) $(WARN) \
	-idirafter /usr/include/$(shell $(CC) -dumpmachine) \
	-Wno-unused-parameter -Wno-missing-field-initializers -I$(O) -Ibpf -Iprobes

.DELETE_ON_ERROR:
.SECONDARY:
.SUFFIXES:
.PHONY: all check-layers help setup test test-unit test-integration fuzz fuzz-run bench \
	bench-workloads demos clean asan asan-build test-sanitize

# ---- sources ----
BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(O)/bpf/%.bpf.o,$(BPF_SRCS))
# userspace/ has one folder per layer (docs/design.md); objects keep the path.
US_SRCS := $(wildcard userspace/*/*.c userspace/*/*/*.c)
LIB_SRCS := $(filter-out userspace/cli/main.c,$(US_SRCS))
LIB_OBJS := $(patsubst userspace/%.c,$(O)/obj/%.o,$(LIB_SRCS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(O)/tests/unit/%,$(UNIT_SRCS))
INTEG_SRCS := $(wildcard tests/integration/test_*.c)
INTEG_BINS := $(patsubst tests/integration/%.c,$(O)/tests/integration/%,$(INTEG_SRCS))
TESTLIB_SRCS := $(filter-out tests/integration/test_%.c,$(wildcard tests/integration/*.c))
TESTLIB_OBJS := $(patsubst tests/integration/%.c,$(O)/tests/integration/obj/%.o,$(TESTLIB_SRCS))
HELPER_SRCS := $(wildcard tests/helpers/*.c)
HELPER_BINS := $(patsubst tests/helpers/%.c,$(O)/tests/helpers/%,$(HELPER_SRCS))
DEMOLIB_SRCS := $(wildcard demos/lib/*.c)
DEMOLIB_OBJS := $(patsubst demos/lib/%.c,$(O)/demos/obj/%.o,$(DEMOLIB_SRCS))
DEMO_SRCS := $(wildcard demos/*.c)
DEMO_BINS := $(patsubst demos/%.c,$(O)/demos/%,$(DEMO_SRCS))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(O)/fuzz/%,$(FUZZ_SRCS))
BENCH_SRCS := $(filter-out %.bpf.c,$(wildcard bench/*.c))
BENCH_BINS := $(patsubst bench/%.c,$(O)/bench/%,$(BENCH_SRCS))

all: check-layers $(O)/threadline demos $(HELPER_BINS) $(BENCH_BINS) ## build the tool, demos, test helpers

check-layers: ## userspace/ includes only point down the flow (docs/design.md)
	$(Q)./scripts/check-layers

help: ## this list
	@grep -E '^[a-z-]+:.*## ' Makefile | sed 's/:.*## /\t/' | expand -t 20

setup: ## install the Debian packages threadline needs (root)
	$(Q)./scripts/install-deps

# ---- BPF side ----
$(O)/vmlinux.h: | $(O)
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(O)/bpf/%.bpf.o: bpf/%.bpf.c $(O)/vmlinux.h $(wildcard bpf/*.h) | $(O)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(O)/threadline.bpf.o: $(BPF_OBJS)
	$(call msg,BPFLINK,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(O)/threadline.skel.h: $(O)/threadline.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name threadline_bpf > $@

# ---- user space ----
$(LIB_OBJS): | $(O)/threadline.skel.h
$(O)/obj/%.o: userspace/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(USER_CFLAGS) -c $< -o $@

$(O)/libtl.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(O)/threadline: $(O)/obj/cli/main.o $(O)/libtl.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(USER_CFLAGS) $^ $(LDLIBS) -o $@

$(O)/obj/cli/main.o: | $(O)/threadline.skel.h

# ---- demos ----
demos: $(DEMO_BINS) ## build the demos
$(O)/demos/obj/%.o: demos/lib/%.c | $(O)/demos/obj
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -Idemos/lib -c $< -o $@
$(O)/demos/libdemo.a: $(DEMOLIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^
$(O)/demos/%: demos/%.c $(O)/demos/libdemo.a | $(O)/demos
	$(call msg,DEMO,$@)
	$(Q)$(CC) $(USER_CFLAGS) -Idemos/lib $< $(O)/demos/libdemo.a \
		-lpthread -lrt $(if $(filter g5%,$*),-luring) -o $@

# ---- tests ----
$(O)/tests/unit/%: tests/unit/%.c $(O)/libtl.a | $(O)/tests/unit
	$(call msg,TEST,$@)
	$(Q)$(CC) $(USER_CFLAGS) $< $(O)/libtl.a -lcmocka $(LDLIBS) -o $@
$(O)/tests/integration/obj/%.o: tests/integration/%.c | $(O)/tests/integration/obj
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -c $< -o $@
$(O)/tests/integration/%: tests/integration/%.c $(TESTLIB_OBJS) $(O)/libtl.a | $(O)/tests/integration
	$(call msg,TEST,$@)
	$(Q)$(CC) $(USER_CFLAGS) $< $(TESTLIB_OBJS) $(O)/libtl.a -lcmocka $(LDLIBS) -o $@
$(O)/tests/helpers/%: tests/helpers/%.c | $(O)/tests/helpers
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -Iprobes $< -lpthread -lrt -o $@
# The off-CPU stack helper is built as most programs are: optimized, with
# DWARF, without frame pointers, so only CFI unwinding reaches its frames.
$(O)/tests/helpers/stack_lock: tests/helpers/stack_lock.c | $(O)/tests/helpers
	$(call msg,CC,$@)
	$(Q)$(CC) -O1 -g -fomit-frame-pointer $(WARN) $< -lpthread -o $@

# Programs the unit tests read but never trace (the symbolizer's fixture:
# an executable with DWARF, a library with DWARF and one without).
FIX := $(O)/tests/fixtures
$(FIX)/libsymfix.so: tests/fixtures/symfix_lib.c | $(FIX)
	$(call msg,CC,$@)
	$(Q)$(CC) -g -O0 -fPIC -shared $< -o $@
$(FIX)/libsymfix_nodbg.so: tests/fixtures/symfix_nodbg.c | $(FIX)
	$(call msg,CC,$@)
	$(Q)$(CC) -g0 -O0 -fPIC -shared $< -o $@
$(FIX)/symfix: tests/fixtures/symfix.c $(FIX)/libsymfix.so $(FIX)/libsymfix_nodbg.so
	$(call msg,CC,$@)
	$(Q)$(CC) -g -O0 $(WARN) $< -L$(FIX) -lsymfix -lsymfix_nodbg \
		-Wl,-rpath,'$$ORIGIN' -lpthread -o $@
$(O)/tests/unit/test_symbolize: $(FIX)/symfix

test-unit: $(UNIT_BINS) ## unit tests (no root)
	$(Q)./tests/run-tests unit $(UNIT_BINS)

test-integration: all $(INTEG_BINS) ## integration tests (root, real BPF, demos)
	$(Q)./tests/run-tests integration $(INTEG_BINS)

test: all $(UNIT_BINS) $(INTEG_BINS) $(if $(FUZZ_SRCS),fuzz) test-sanitize ## every test: unit, integration, short fuzz runs, sanitizers
	$(Q)./tests/run-tests all $(UNIT_BINS) $(INTEG_BINS) \
		$(filter-out %/fuzz_model,$(FUZZ_BINS))

# ---- sanitizers ----
# The library and the unit tests again with AddressSanitizer and
# UndefinedBehaviorSanitizer, in their own folder (build-asan unless O is
# given). Undefined behaviour stops the test instead of printing a line.
ASAN_O := $(if $(filter build,$(O)),build-asan,$(O))
ASAN_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all
ASAN_UNIT_BINS := $(patsubst tests/unit/%.c,$(ASAN_O)/tests/unit/%,$(UNIT_SRCS))
# a test may ask for an impossible size on purpose: malloc says NULL, as
# it does without the sanitizer, instead of stopping the test
ASAN_ENV := ASAN_OPTIONS=allocator_may_return_null=1:$${ASAN_OPTIONS:-}
asan-build:
	$(Q)$(MAKE) --no-print-directory O=$(ASAN_O) CFLAGS='$(ASAN_CFLAGS)' \
		$(ASAN_UNIT_BINS)
asan: asan-build ## unit tests built and run with ASan+UBSan (make O=build-asan asan)
	$(Q)$(ASAN_ENV) ./tests/run-tests unit $(ASAN_UNIT_BINS)
# What `make test` adds: the unit tests under ASan+UBSan, and the model
# fuzzer (libFuzzer with ASan+UBSan) for a short run.
test-sanitize: asan-build fuzz ## unit tests under ASan+UBSan and a short fuzz (part of `make test`)
	$(Q)$(ASAN_ENV) TL_FUZZ_SECONDS=$${TL_FUZZ_SECONDS:-15} ./tests/run-tests unit \
		$(ASAN_UNIT_BINS) $(O)/fuzz/fuzz_model

# ---- fuzzing (clang libFuzzer) ----
FUZZ_CFLAGS := -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all \
	-I$(O) -I. -Iuserspace $(WARN)
fuzz: $(FUZZ_BINS) ## build the libFuzzer targets
# What each target builds in: the reader alone, or every layer after it;
# both with the shared utilities.
FUZZ_LIB_fuzz_reader := $(wildcard userspace/recording/*.c userspace/util/*.c)
FUZZ_LIB_fuzz_model := $(wildcard $(addsuffix /*.c,$(addprefix userspace/, \
	util recording model load analysis report export export/perfetto)))
# recording/ compresses with zstd on threads of its own
FUZZ_LDLIBS_fuzz_reader := -lz -lzstd -lpthread
FUZZ_LDLIBS_fuzz_model := -ldw -lelf -lz -lzstd -lpthread   # the symbolizer (analysis/) reads ELF and DWARF
$(O)/fuzz/%: tests/fuzz/%.c $(LIB_SRCS) | $(O)/fuzz $(O)/threadline.skel.h
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $< $(FUZZ_LIB_$*) $(FUZZ_LDLIBS_$*) -o $@
fuzz-run: fuzz ## fuzz each target for 60 s
	$(Q)for f in $(FUZZ_BINS); do $$f -max_total_time=60 || exit 1; done

# ---- benchmarks ----
# bench/X.bpf.c, when present, becomes build/bench/X.skel.h for bench/X.c.
BENCH_BPF_SRCS := $(wildcard bench/*.bpf.c)
BENCH_SKELS := $(patsubst bench/%.bpf.c,$(O)/bench/%.skel.h,$(BENCH_BPF_SRCS))
BENCH_BINS := $(patsubst bench/%.c,$(O)/bench/%,$(BENCH_SRCS))
$(O)/bench/%.bpf.o: bench/%.bpf.c $(O)/vmlinux.h | $(O)/bench
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
$(O)/bench/%.skel.h: $(O)/bench/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@
$(O)/bench/%: bench/%.c $(O)/libtl.a $(BENCH_SKELS) | $(O)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -I$(O)/bench $< $(O)/libtl.a $(LDLIBS) -o $@
bench: all ## run the benchmarks (prints tables; not part of `make test`)
	$(Q)./bench/run-all
bench-workloads: all ## four workloads under every tracer, ~10 min (BENCH_ARGS="-b OTHER_BUILD -q ...")
	$(Q)O=$(O) ./bench/workloads $(BENCH_ARGS)

clean: ## remove the build folder
	$(Q)rm -rf $(O)

$(O) $(O)/bpf $(O)/obj $(O)/demos $(O)/demos/obj $(O)/tests/unit \
$(O)/tests/integration $(O)/tests/integration/obj $(O)/tests/helpers $(O)/fuzz $(O)/bench \
$(O)/tests/fixtures:
	$(Q)mkdir -p $@

-include $(wildcard $(O)/obj/*/*.d $(O)/obj/*/*/*.d $(O)/demos/*.d $(O)/demos/obj/*.d $(O)/tests/*/*.d \
	$(O)/tests/*/obj/*.d $(O)/bench/*.d $(O)/fuzz/*.d)
