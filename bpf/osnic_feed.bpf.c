// SPDX-License-Identifier: GPL-2.0-only
/*
 * The sched_switch feed (sched_feed.h) as osnicd loads it on kernels without
 * sched_ext, or while the osnic scheduler is not running: a separate object
 * so that libxdp's loads of the XDP program never carry tracepoints. osnicd
 * points its maps at the XDP object's (osnic_worker_tids,
 * osnic_worker_sched) before loading it, and attaches it only while no
 * osnic sched_ext scheduler keeps that state itself.
 */
#include "sched_feed.h"

char LICENSE[] SEC("license") = "GPL";
