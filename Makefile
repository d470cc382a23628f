# SPDX-License-Identifier: GPL-2.0-only
#
# osnic: the one entry point. `make help` lists the targets.
#
# Build chain for BPF (as libbpf-bootstrap): clang -target bpf -g -O2 ->
# bpftool gen object -> bpftool gen skeleton; user code includes the .skel.h.
# The sched_ext scheduler uses a *sub*skeleton over an embedded object, which
# avoids the `map->link` field that bpftool 7.5 writes into full skeletons of
# struct_ops maps and libbpf 1.4's headers do not have.

# ---- tools and overridable inputs -----------------------------------------
CLANG		?= clang-19
BPFTOOL		?= bpftool
CC		?= gcc
PKG_CONFIG	?= pkg-config

BUILD		?= build
BIN		:= $(BUILD)/bin
OBJ		:= $(BUILD)/obj
GEN		:= $(BUILD)/include

# vmlinux.h for the XDP side: from the running kernel's BTF.
VMLINUX_BTF	?= /sys/kernel/btf/vmlinux
VMLINUX_H	?= $(GEN)/vmlinux.h

# vmlinux.h for the sched_ext side: from the BTF of the sched_ext guest
# kernel (the development host has no sched_ext types). By default the BTF is
# taken from the uncompressed guest vmlinuz that `make deps` unpacks; point
# SCX_VMLINUX_BTF at any vmlinux/BTF file, or SCX_VMLINUX_H at a header.
DEPS_STATE	?= /var/lib/osnic-deps
SCX_KVER	?= $(shell cat $(DEPS_STATE)/guest-kernel-version 2>/dev/null)
SCX_VMLINUZ	?= /usr/lib/modules/$(SCX_KVER)/vmlinuz
SCX_VMLINUX_BTF	?= $(BUILD)/scx/vmlinux
SCX_VMLINUX_H	?= $(BUILD)/scx/vmlinux.h

ARCH		:= $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

# ---- flags ------------------------------------------------------------------
WARN		:= -Wall -Wextra -Werror -Wno-unused-parameter -Wno-override-init
CFLAGS		?= -O2 -g
ALL_CFLAGS	:= $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude -I$(GEN) -Itests/lib \
		   $(shell $(PKG_CONFIG) --cflags libtirpc 2>/dev/null)
LDLIBS_BPF	:= -lxdp -lbpf -lelf -lz
# What a program linked with libosnic.a needs (rpcbind, osnicd's netlink, rings).
LDLIBS_OSNIC	:= -ltirpc -lmnl -lbpf -lelf -lz -lpthread
BPF_CFLAGS	:= -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) $(WARN) -Wno-unknown-warning-option \
		   -Wno-missing-field-initializers -Iinclude -Ibpf

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SECONDARY:
.DEFAULT_GOAL := all

# ---- sources ------------------------------------------------------------------
LIB_SRCS	:= $(wildcard lib/*.c)
LIB_OBJS	:= $(patsubst %.c,$(OBJ)/%.o,$(LIB_SRCS))
LIBOSNIC	:= $(BUILD)/lib/libosnic.a
# The osnic-run LD_PRELOAD shim (lib/run/ over libosnic, built below).
RUN_SHIM	:= $(BUILD)/lib/libosnic-run.so

# osnic_xdp is the receive path, osnic_feed the sched_switch feed osnicd
# attaches without sched_ext. osnic_pass (XDP_PASS) is no part of osnicd:
# make demo and make bench attach it to the client end of their veth, so
# that the XDP_TX replies are received; it needs no skeleton.
XDP_PROGS	:= osnic_xdp osnic_feed
XDP_OBJS	:= $(patsubst %,$(BUILD)/bpf/%.bpf.o,$(XDP_PROGS))
XDP_SKELS	:= $(patsubst %,$(GEN)/%.skel.h,$(XDP_PROGS))
PASS_OBJ	:= $(BUILD)/bpf/osnic_pass.bpf.o

SCX_PROG	:= osnic_sched
SCX_OBJ		:= $(BUILD)/bpf/$(SCX_PROG).bpf.o
SCX_SUBSKEL	:= $(GEN)/$(SCX_PROG).subskel.h

LOADER_SRCS	:= $(wildcard loader/*.c)
LOADER_OBJS	:= $(patsubst %.c,$(OBJ)/%.o,$(LOADER_SRCS)) $(OBJ)/sched_ext/$(SCX_PROG).embed.o
LOADER		:= $(BUILD)/lib/libosnic-loader.a

TESTLIB_SRCS	:= $(wildcard tests/lib/*.c)
TESTLIB_OBJS	:= $(patsubst %.c,$(OBJ)/%.o,$(TESTLIB_SRCS))

# Test groups by subject: tests/unit (no root), tests/bpf (BPF_PROG_TEST_RUN,
# root), tests/net (the reply sender in a network namespace, root),
# tests/sched (sched_ext, in the VM: make vmtest).
UNIT_SRCS	:= $(wildcard tests/unit/*.c)
BPFT_SRCS	:= $(wildcard tests/bpf/*.c)
NET_SRCS	:= $(wildcard tests/net/*.c)
SCHED_SRCS	:= $(wildcard tests/sched/*.c)
# BPF programs that only tests load (tests/bpf/progs/*.bpf.c): a ring
# writer, and a ring filler standing in for XDP (tests/sched).
TEST_BPF_SKELS	:= $(patsubst tests/bpf/progs/%.bpf.c,$(GEN)/%.skel.h,$(wildcard tests/bpf/progs/*.bpf.c))

# The demo service (examples/): rpcgen output in $(RPCGEN_DIR).
RPCGEN		?= rpcgen
RPCGEN_DIR	:= $(BUILD)/gen
RPCGEN_OBJS	:= $(OBJ)/gen/demo_xdr.o $(OBJ)/gen/demo_svc.o
DEMO_OBJS	:= $(patsubst %.c,$(OBJ)/%.o,$(wildcard examples/*.c))

TESTS		:= $(BUILD)/tests/unit $(BUILD)/tests/bpf $(BUILD)/tests/net $(BUILD)/tests/sched
TOOLS		:= $(BIN)/osnic-sched $(BIN)/osnicd $(BIN)/osnicctl
TOOLS		+= $(BIN)/osnic-demo-server $(BIN)/osnic-demo-client
# make bench: the load generator and the plain-socket baseline servers.
TOOLS		+= $(BIN)/osnic-loadgen $(BIN)/osnic-bench-server
# ... and what the XDP program itself costs per packet (BPF_PROG_TEST_RUN).
TOOLS		+= $(BIN)/osnic-xdp-cost

# The control plane (daemons/): osnicd (daemons/osnicd/) and osnicctl; the
# registry is also unit-tested.
OSNICD_OBJS	:= $(patsubst %.c,$(OBJ)/%.o,$(wildcard daemons/osnicd/*.c))
OSNICCTL_OBJS	:= $(patsubst %.c,$(OBJ)/%.o,$(wildcard daemons/osnicctl/*.c)) $(OBJ)/daemons/json_writer.o
# A stand-in application for tests/integration/ctl.sh; scx_error raises a
# sched_ext error for tests/integration/sched.sh (in the VM).
TESTS		+= $(BUILD)/tests/ctl_app $(BUILD)/tests/scx_error

# ---- top-level targets -------------------------------------------------------
.PHONY: all clean deps test check-unit check-bpf check-net check-fuzz check-bench-tools check-integration vmtest demo fuzz help

all: $(LIBOSNIC) $(LOADER) $(PASS_OBJ) $(TOOLS) $(TESTS)

help:
	@echo 'make            build everything into build/ (V=1 for full commands)'
	@echo 'make deps       install what is missing from Debian (idempotent)'
	@echo 'make test       deps, build, unit tests, BPF tests (root), then vmtest'
	@echo 'make check-unit only the Criterion unit tests'
	@echo 'make check-bpf  only the BPF_PROG_TEST_RUN tests (root)'
	@echo 'make check-net  only the reply sender tests, each in its own netns (root)'
	@echo 'make check-fuzz every libFuzzer target for 10 s (XDR, netlink)'
	@echo 'make check-bench-tools  bench/summary.py, plots.sh, nis_summary.py on made-up results; osnic-xdp-cost'
	@echo 'make check-integration  netns + veth tests: osnicd, demo service, real clients (root)'
	@echo 'make vmtest     boot the sched_ext kernel once and run the tests in it'
	@echo 'make vmbench    p50/p99 under CPU hogs, osnic scheduler vs default, in the VM'
	@echo 'make demo       deps, build, the demo service on osnic in netns, driven by real clients'
	@echo 'make bench      osnic and the baselines, NIS lookups, XDP cost (~6.5 min; BENCH_QUICK=1: ~3 min)'
	@echo 'make fuzz       build the libFuzzer targets and run each FUZZ_TIME s (30)'
	@echo 'make install    binaries, libosnic, headers, man pages, osnicd.service (PREFIX, DESTDIR)'
	@echo 'make uninstall  remove exactly what make install put there'
	@echo 'make clean      remove build/'

deps:
	$(Q)scripts/deps.sh all

# deps runs first and on its own, so that variables read from its state
# (SCX_KVER) are evaluated by a make that starts after it.
test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory check-unit check-bpf check-net check-fuzz check-bench-tools check-integration
	$(Q)$(MAKE) --no-print-directory vmtest

check-unit: $(BUILD)/tests/unit
	$(call msg,TEST,unit)
	$(Q)$(BUILD)/tests/unit --jobs=2

check-bpf: $(BUILD)/tests/bpf
	$(call msg,TEST,bpf)
	$(Q)scripts/require-root.sh "BPF tests" && $(BUILD)/tests/bpf --jobs=1

check-net: $(BUILD)/tests/net
	$(call msg,TEST,net)
	$(Q)scripts/require-root.sh "reply sender tests" && $(BUILD)/tests/net --jobs=1

# A short run of every fuzzer (make fuzz runs them longer), so none rots.
check-fuzz:
	$(Q)$(MAKE) --no-print-directory fuzz FUZZ_TIME=10

# make bench's summary.py, plots.sh and nis_summary.py on made-up results
# with known figures, and a tiny sweep of osnic-xdp-cost (root) checked
# against the counters.
check-bench-tools: $(BIN)/osnic-xdp-cost
	$(call msg,TEST,bench tools)
	$(Q)BUILD=$(BUILD) tests/bench/bench_tools.sh

# Each script builds its own namespaces and prints `N passed, N failed`;
# tests/integration/run.sh runs them all and prints the total the same way.
check-integration: all
	$(call msg,TEST,integration)
	$(Q)scripts/require-root.sh "integration tests" && BUILD=$(BUILD) tests/integration/run.sh

vmtest: all
	$(call msg,VMTEST,$(SCX_KVER))
	$(Q)vmtest/run.sh

# A benchmark, not a test: RPC latency under CPU hogs with the osnic
# scheduler and with the default one, in one guest boot, as ratios.
.PHONY: vmbench
vmbench: all
	$(call msg,VMBENCH,$(SCX_KVER))
	$(Q)VMTEST_GUEST=bench/vm-guest.sh vmtest/run.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh

# BENCH_QUICK=1: a ~1-minute version.
.PHONY: bench
bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/require-root.sh "benchmarks" && BUILD=$(BUILD) bench/run.sh
	$(Q)BUILD=$(BUILD) bench/nis.sh
	$(Q)BUILD=$(BUILD) bench/xdp_cost.sh

# libFuzzer targets: tests/fuzz/fuzz_X.c is linked with the library sources
# it needs, instrumented (ASan, UBSan). Each runs FUZZ_TIME seconds from its
# corpus directory under build/fuzz/.
FUZZ_TIME	?= 30
FUZZ_CFLAGS	:= -g -O1 -fsanitize=fuzzer,address,undefined $(WARN) -Wno-missing-field-initializers \
		   -std=gnu11 -D_GNU_SOURCE -Iinclude
FUZZERS		:= $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/*.c))

$(BUILD)/fuzz/fuzz_xdr: tests/fuzz/fuzz_xdr.c lib/xdr.c include/osnic/xdr.h
	@mkdir -p $(dir $@)
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) tests/fuzz/fuzz_xdr.c lib/xdr.c -o $@

$(BUILD)/fuzz/fuzz_nl: tests/fuzz/fuzz_nl.c lib/nl.c include/osnic/nl.h include/osnic/abi.h
	@mkdir -p $(dir $@)
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) tests/fuzz/fuzz_nl.c lib/nl.c -lmnl -o $@

# tests/fuzz/seeds_X/, if there, seeds fuzz_X (read only; finds go to the corpus).
fuzz: $(FUZZERS)
	$(Q)for f in $(FUZZERS); do \
		mkdir -p $$f.corpus; \
		seeds=tests/fuzz/seeds_$${f##*/fuzz_}; [ -d $$seeds ] || seeds=; \
		echo "  FUZZ     $$f ($(FUZZ_TIME) s)"; \
		$$f -max_total_time=$(FUZZ_TIME) -rss_limit_mb=2048 -print_final_stats=0 $$f.corpus $$seeds 2>$$f.log || \
			{ tail -40 $$f.log; echo "fuzz: $$f found a problem (see $$f.log)" >&2; exit 1; }; \
		grep -h '^Done' $$f.log; \
	done

clean:
	$(call msg,CLEAN,$(BUILD))
	$(Q)rm -rf $(BUILD)

# ---- vmlinux.h ------------------------------------------------------------------
$(VMLINUX_H): | $(GEN)
	$(call msg,GEN,$@)
	$(Q)test -r $(VMLINUX_BTF) || { echo "error: no kernel BTF at $(VMLINUX_BTF) (CONFIG_DEBUG_INFO_BTF); set VMLINUX_BTF= or VMLINUX_H=" >&2; exit 1; }
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@

$(BUILD)/scx/vmlinux: | $(BUILD)/scx
	$(call msg,EXTRACT,$(SCX_VMLINUZ))
	$(Q)test -n "$(SCX_KVER)" -o -r "$(SCX_VMLINUZ)" || { echo "error: no sched_ext guest kernel known; run 'make deps' or set SCX_VMLINUZ=, SCX_VMLINUX_BTF= or SCX_VMLINUX_H=" >&2; exit 1; }
	$(Q)scripts/extract-vmlinux.sh $(SCX_VMLINUZ) $@

$(BUILD)/scx/vmlinux.h: $(SCX_VMLINUX_BTF) | $(BUILD)/scx
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) btf dump file $(SCX_VMLINUX_BTF) format c > $@.tmp
	$(Q)grep -q 'struct sched_ext_ops {' $@.tmp || { rm -f $@.tmp; echo "error: $(SCX_VMLINUX_BTF) has no sched_ext types (CONFIG_SCHED_CLASS_EXT)" >&2; exit 1; }
	$(Q)mv $@.tmp $@

# ---- BPF objects and skeletons -------------------------------------------------
BPF_HDRS := $(wildcard bpf/*.h) $(wildcard include/osnic/*.h)

$(BUILD)/bpf/%.tmp.o: bpf/%.bpf.c $(BPF_HDRS) $(VMLINUX_H) | $(BUILD)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -I$(dir $(VMLINUX_H)) -c $< -o $@

# Bench-only programs (bench/*.bpf.c): osnic-bench-server --mode afxdp's filter.
$(BUILD)/bpf/%.tmp.o: bench/%.bpf.c $(BPF_HDRS) $(VMLINUX_H) | $(BUILD)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -I$(dir $(VMLINUX_H)) -c $< -o $@

$(BUILD)/bpf/%.tmp.o: tests/bpf/progs/%.bpf.c $(wildcard tests/bpf/progs/*.h) $(BPF_HDRS) $(VMLINUX_H) | $(BUILD)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -I$(dir $(VMLINUX_H)) -c $< -o $@

# Kernels since 6.19 are built with -fms-extensions and their BTF has
# anonymous tagged struct members (`struct __filename_head;`), which
# bpftool dumps as such into vmlinux.h.
$(BUILD)/bpf/$(SCX_PROG).tmp.o: sched_ext/$(SCX_PROG).bpf.c $(wildcard sched_ext/*.h) $(BPF_HDRS) $(SCX_VMLINUX_H) | $(BUILD)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -fms-extensions -Wno-microsoft-anon-tag -Isched_ext -I$(dir $(SCX_VMLINUX_H)) -c $< -o $@

$(BUILD)/bpf/%.bpf.o: $(BUILD)/bpf/%.tmp.o
	$(call msg,GENOBJ,$@)
	$(Q)$(BPFTOOL) gen object $@ $<

$(GEN)/%.skel.h: $(BUILD)/bpf/%.bpf.o | $(GEN)
	$(call msg,GENSKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@

$(GEN)/%.subskel.h: $(BUILD)/bpf/%.bpf.o | $(GEN)
	$(call msg,GENSKEL,$@)
	$(Q)$(BPFTOOL) gen subskeleton $< name $* > $@

# The scheduler's object is embedded in the loader and opened with
# bpf_object__open_mem; the subskeleton then gives typed access to it.
$(OBJ)/sched_ext/%.embed.o: sched_ext/embed.S $(BUILD)/bpf/%.bpf.o | $(OBJ)/sched_ext
	$(call msg,EMBED,$@)
	$(Q)$(CC) -c -DOBJ_FILE='"$(BUILD)/bpf/$*.bpf.o"' -DOBJ_SYM=$* $< -o $@

# ---- user space -------------------------------------------------------------------
$(OBJ)/%.o: %.c $(wildcard include/osnic/*.h) | $(XDP_SKELS)
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

# Only the scheduler's own user-space code needs its subskeleton.
$(OBJ)/loader/sched.o $(OBJ)/sched_ext/osnic_sched_main.o $(patsubst %.c,$(OBJ)/%.o,$(SCHED_SRCS)): | $(SCX_SUBSKEL)

# The loader's API (loader/loader.h) is osnic's own, not libosnic's.
$(OSNICD_OBJS) $(OBJ)/sched_ext/osnic_sched_main.o $(patsubst %.c,$(OBJ)/%.o,$(SCHED_SRCS)): ALL_CFLAGS += -Iloader

$(LIBOSNIC): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LOADER): $(LOADER_OBJS)
	@mkdir -p $(dir $@)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BIN)/osnic-sched: $(OBJ)/sched_ext/osnic_sched_main.o $(OBJ)/daemons/json_writer.o $(LOADER) $(LIBOSNIC) | $(BIN)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_BPF)

$(BIN)/osnicd: $(OSNICD_OBJS) $(LOADER) $(LIBOSNIC) | $(BIN)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_BPF) -lmnl

$(BIN)/osnicctl: $(OSNICCTL_OBJS) $(LIBOSNIC) | $(BIN)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ -lmnl

$(BUILD)/tests/ctl_app: $(OBJ)/tests/integration/ctl_app.o $(LIBOSNIC) | $(BUILD)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_OSNIC)

$(OBJ)/tests/integration/scx_error.o: | $(GEN)/scx_error.skel.h

$(BUILD)/tests/scx_error: $(OBJ)/tests/integration/scx_error.o | $(BUILD)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ -lbpf -lelf -lz

$(BUILD)/tests/unit: $(patsubst %.c,$(OBJ)/%.o,$(UNIT_SRCS)) $(TESTLIB_OBJS) $(OBJ)/daemons/osnicd/registry.o $(OBJ)/daemons/osnicd/sched_policy.o $(LIBOSNIC) | $(BUILD)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ -lcriterion $(LDLIBS_OSNIC)

$(patsubst %.c,$(OBJ)/%.o,$(BPFT_SRCS) $(SCHED_SRCS)): | $(TEST_BPF_SKELS)

$(BUILD)/tests/bpf: $(patsubst %.c,$(OBJ)/%.o,$(BPFT_SRCS)) $(TESTLIB_OBJS) $(LIBOSNIC) | $(BUILD)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ -lcriterion $(LDLIBS_BPF) $(LDLIBS_OSNIC)

$(BUILD)/tests/net: $(patsubst %.c,$(OBJ)/%.o,$(NET_SRCS)) $(LIBOSNIC) | $(BUILD)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ -lcriterion $(LDLIBS_OSNIC)

$(BUILD)/tests/sched: $(patsubst %.c,$(OBJ)/%.o,$(SCHED_SRCS)) $(TESTLIB_OBJS) $(LOADER) $(LIBOSNIC) | $(BUILD)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ -lcriterion $(LDLIBS_BPF) -lpthread

# ---- the demo service -------------------------------------------------------------
# rpcgen names the header it includes after its input file, so it runs in
# $(RPCGEN_DIR) on a copy of the .x file. -M: MT-safe procedures (results
# in the caller's storage), as osnic workers call them concurrently.
$(RPCGEN_DIR)/demo.x: examples/demo.x | $(RPCGEN_DIR)
	$(Q)cp $< $@

$(RPCGEN_DIR)/%.h: $(RPCGEN_DIR)/%.x
	$(call msg,RPCGEN,$@)
	$(Q)cd $(RPCGEN_DIR) && rm -f $*.h && $(RPCGEN) -M -h -o $*.h $*.x

$(RPCGEN_DIR)/%_xdr.c: $(RPCGEN_DIR)/%.x
	$(call msg,RPCGEN,$@)
	$(Q)cd $(RPCGEN_DIR) && rm -f $*_xdr.c && $(RPCGEN) -M -c -o $*_xdr.c $*.x

$(RPCGEN_DIR)/%_svc.c: $(RPCGEN_DIR)/%.x
	$(call msg,RPCGEN,$@)
	$(Q)cd $(RPCGEN_DIR) && rm -f $*_svc.c && $(RPCGEN) -M -m -o $*_svc.c $*.x

# Generated code: rpcgen declares unused variables and casts xdr_void.
$(OBJ)/gen/%.o: $(RPCGEN_DIR)/%.c $(RPCGEN_DIR)/demo.h
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Wno-unused-variable -Wno-cast-function-type -I$(RPCGEN_DIR) -c $< -o $@

$(DEMO_OBJS): ALL_CFLAGS += -I$(RPCGEN_DIR)
$(DEMO_OBJS): | $(RPCGEN_DIR)/demo.h

$(BIN)/osnic-demo-server: $(OBJ)/examples/demo_server.o $(OBJ)/examples/demo_handlers.o $(RPCGEN_OBJS) $(LIBOSNIC) | $(BIN)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_OSNIC)

$(BIN)/osnic-demo-client: $(OBJ)/examples/demo_client.o $(OBJ)/gen/demo_xdr.o | $(BIN)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ -ltirpc

$(BIN)/osnic-loadgen: $(OBJ)/bench/loadgen.o | $(BIN)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ -lm -lpthread

# The real XDP object through its skeleton, on frames tests/lib builds.
$(BIN)/osnic-xdp-cost: $(OBJ)/bench/xdp_cost.o $(OBJ)/tests/lib/pkt.o | $(BIN)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_BPF)

$(OBJ)/bench/server_reuseport.o: ALL_CFLAGS += -I$(RPCGEN_DIR) -Iexamples
$(OBJ)/bench/server_reuseport.o: | $(RPCGEN_DIR)/demo.h
$(OBJ)/bench/server_afxdp.o: | $(GEN)/afxdp_filter.skel.h

$(BIN)/osnic-bench-server: $(OBJ)/bench/server_reuseport.o $(OBJ)/bench/server_afxdp.o $(OBJ)/examples/demo_handlers.o $(RPCGEN_OBJS) $(LIBOSNIC) | $(BIN)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_BPF) $(LDLIBS_OSNIC)

# ---- libosnic as a shared library ----------------------------------------------
# The same sources as libosnic.a, compiled position-independent into
# $(OBJ)/pic/. Only the application API (the headers `make install` puts
# under include/osnic) is exported: lib/libosnic.map.
LIBOSNIC_MAJOR	:= 0
LIBOSNIC_MINOR	:= 1
LIBOSNIC_SONAME	:= libosnic.so.$(LIBOSNIC_MAJOR)
LIBOSNIC_SO	:= $(BUILD)/lib/libosnic.so.$(LIBOSNIC_MAJOR).$(LIBOSNIC_MINOR)
LIB_PIC_OBJS	:= $(patsubst %.c,$(OBJ)/pic/%.o,$(LIB_SRCS))

all: $(LIBOSNIC_SO)

$(OBJ)/pic/lib/%.o: lib/%.c $(wildcard include/osnic/*.h)
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -fPIC -MMD -MP -c $< -o $@

$(LIBOSNIC_SO): $(LIB_PIC_OBJS) lib/libosnic.map
	@mkdir -p $(dir $@)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -shared -Wl,-soname,$(LIBOSNIC_SONAME) -Wl,--version-script=lib/libosnic.map \
		-Wl,--no-undefined -o $@ $(LIB_PIC_OBJS) -ltirpc -lmnl -lbpf -lpthread

# ---- make install / make uninstall ---------------------------------------------
# PREFIX (/usr/local) and DESTDIR as usual; every directory is overridable.
#  - osnicd, osnic-sched and osnicctl go to sbin, as bpftool does: they load
#    BPF programs and drive the daemon that owns them.
#  - osnic-demo-server, osnic-demo-client and osnic-loadgen go to bin: the
#    demo service, a client of it and the load generator that measures it
#    (osnic-loadgen(1)) are a working example and a way to measure a
#    machine; osnic-bench-server and the test programs stay in build/.
#  - libosnic: libosnic.so.MAJOR.MINOR with its soname and development
#    links, libosnic.a, osnic.pc (the static library's dependencies are its
#    Requires.private and Libs.private).
#  - The headers an application includes: osnic.h and what it includes
#    (rpc.h, xdr.h), rpcmsg.h (call->authsys), abi.h (svc_flags' OSNIC_SVC_F_*)
#    and tirpc.h (the rpcgen adapter). ctl.h, nl.h, sched.h and ring.h are
#    osnicd's protocol and the runtime's insides, used by osnicctl and tests.
#  - Man pages, and systemd/osnicd.service with ExecStart pointing at SBINDIR.
# `make uninstall` with the same variables removes exactly these files.
PREFIX		?= /usr/local
DESTDIR		?=
BINDIR		?= $(PREFIX)/bin
SBINDIR		?= $(PREFIX)/sbin
LIBDIR		?= $(PREFIX)/lib
INCLUDEDIR	?= $(PREFIX)/include
PKGCONFIGDIR	?= $(LIBDIR)/pkgconfig
MANDIR		?= $(PREFIX)/share/man
SYSTEMDUNITDIR	?= $(PREFIX)/lib/systemd/system
INSTALL		?= install

INSTALL_SBIN	:= osnicd osnic-sched osnicctl
INSTALL_BIN	:= osnic-demo-server osnic-demo-client osnic-loadgen osnic-run
INSTALL_HDRS	:= osnic.h rpc.h xdr.h rpcmsg.h abi.h tirpc.h
INSTALL_MAN	:= $(wildcard man/*.1 man/*.3 man/*.8)
# osnic.pc names its directories relative to ${prefix} where they are under
# PREFIX, so that `pkg-config --define-variable=prefix=...` moves them all.
PC_LIBDIR	= $(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))
PC_INCLUDEDIR	= $(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))

.PHONY: install uninstall
install: $(addprefix $(BIN)/,$(INSTALL_SBIN) $(INSTALL_BIN)) $(LIBOSNIC) $(LIBOSNIC_SO) $(RUN_SHIM)
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) \
		$(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(INCLUDEDIR)/osnic $(DESTDIR)$(SYSTEMDUNITDIR) \
		$(addprefix $(DESTDIR)$(MANDIR)/man,$(sort $(subst .,,$(suffix $(INSTALL_MAN)))))
	$(Q)$(INSTALL) -m 0755 $(addprefix $(BIN)/,$(INSTALL_SBIN)) $(DESTDIR)$(SBINDIR)/
	$(Q)$(INSTALL) -m 0755 $(addprefix $(BIN)/,$(INSTALL_BIN)) $(DESTDIR)$(BINDIR)/
	$(Q)$(INSTALL) -m 0755 $(LIBOSNIC_SO) $(DESTDIR)$(LIBDIR)/
	$(Q)ln -sf $(notdir $(LIBOSNIC_SO)) $(DESTDIR)$(LIBDIR)/$(LIBOSNIC_SONAME)
	$(Q)ln -sf $(LIBOSNIC_SONAME) $(DESTDIR)$(LIBDIR)/libosnic.so
	$(Q)$(INSTALL) -m 0644 $(LIBOSNIC) $(DESTDIR)$(LIBDIR)/
	$(Q)$(INSTALL) -m 0755 $(RUN_SHIM) $(DESTDIR)$(LIBDIR)/
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(PC_LIBDIR)|' -e 's|@INCLUDEDIR@|$(PC_INCLUDEDIR)|' \
		-e 's|@VERSION@|$(LIBOSNIC_MAJOR).$(LIBOSNIC_MINOR)|' lib/osnic.pc.in >$(DESTDIR)$(PKGCONFIGDIR)/osnic.pc
	$(Q)chmod 0644 $(DESTDIR)$(PKGCONFIGDIR)/osnic.pc
	$(Q)$(INSTALL) -m 0644 $(addprefix include/osnic/,$(INSTALL_HDRS)) $(DESTDIR)$(INCLUDEDIR)/osnic/
	$(Q)for m in $(INSTALL_MAN); do \
		$(INSTALL) -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/ || exit; \
	done
	$(Q)sed 's|@SBINDIR@|$(SBINDIR)|' systemd/osnicd.service.in >$(DESTDIR)$(SYSTEMDUNITDIR)/osnicd.service
	$(Q)chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/osnicd.service

# Files only: directories are left, as they may be shared (or were there).
uninstall:
	$(call msg,UNINSTALL,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,$(INSTALL_SBIN)) \
		$(addprefix $(DESTDIR)$(BINDIR)/,$(INSTALL_BIN)) \
		$(DESTDIR)$(LIBDIR)/$(notdir $(LIBOSNIC_SO)) $(DESTDIR)$(LIBDIR)/$(LIBOSNIC_SONAME) \
		$(DESTDIR)$(LIBDIR)/libosnic.so $(DESTDIR)$(LIBDIR)/$(notdir $(LIBOSNIC)) \
		$(DESTDIR)$(LIBDIR)/$(notdir $(RUN_SHIM)) \
		$(DESTDIR)$(PKGCONFIGDIR)/osnic.pc \
		$(addprefix $(DESTDIR)$(INCLUDEDIR)/osnic/,$(INSTALL_HDRS)) \
		$(foreach m,$(INSTALL_MAN),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m))) \
		$(DESTDIR)$(SYSTEMDUNITDIR)/osnicd.service
	$(Q)rmdir $(DESTDIR)$(INCLUDEDIR)/osnic 2>/dev/null || true

$(RPCGEN_DIR) $(GEN) $(BIN) $(BUILD)/bpf $(BUILD)/scx $(BUILD)/tests $(OBJ)/sched_ext:
	$(Q)mkdir -p $@

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)

# ---- osnic-run: unmodified libtirpc daemons through osnic (LD_PRELOAD) ------------
# The shim is libosnic built position-independent with hidden symbols, plus
# lib/run/; only the libtirpc entry points it takes over are exported.
RUN_PIC_OBJS	:= $(patsubst %.c,$(OBJ)/run/%.o,$(LIB_SRCS) $(wildcard lib/run/*.c))
all: $(RUN_SHIM) $(BIN)/osnic-run $(BIN)/osnic-nis-client $(BUILD)/tests/own_loop_server

$(OBJ)/run/%.o: %.c $(wildcard include/osnic/*.h) | $(XDP_SKELS)
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -MMD -MP -c $< -o $@

$(RUN_SHIM): $(RUN_PIC_OBJS)
	@mkdir -p $(dir $@)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -shared -Wl,-z,defs -o $@ $^ $(LDLIBS_OSNIC) -ldl

$(BIN)/osnic-run: scripts/osnic-run | $(BIN)
	$(call msg,INSTALL,$@)
	$(Q)install -m 755 $< $@

# A NIS (YP) client that needs no ypbind: bench/nis.sh's load and
# tests/integration/osnic_run.sh's lookups.
$(BIN)/osnic-nis-client: $(OBJ)/bench/nis_client.o | $(BIN)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ -ltirpc -lm

# A libtirpc server with a poll/select loop of its own, for the same test.
$(BUILD)/tests/own_loop_server: $(OBJ)/tests/integration/own_loop_server.o | $(BUILD)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ -ltirpc
