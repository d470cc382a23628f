// SPDX-License-Identifier: GPL-2.0-only
/*
 * The sched_switch feed (sched_feed.h) on its own, for the host's BPF tests
 * (tests/bpf/test_sched_feed.c). In production the same header is included
 * by the XDP object, where the programs share the receive path's maps.
 */
#include "sched_feed.h"

char LICENSE[] SEC("license") = "GPL";
