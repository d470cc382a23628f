/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * osnic loader: opening, loading and attaching the osnic BPF objects.
 *
 * Every function that can fail returns a negative errno (or NULL with errno
 * set); none prints unless asked to be verbose, and then only to stderr.
 */
#ifndef OSNIC_LOADER_H
#define OSNIC_LOADER_H

#include <stdbool.h>
#include <stddef.h>

#include <osnic/sched.h>

/* ---- the sched_ext scheduler (loader/sched.c) ---------------------------- */

/* Where the kernel describes the running sched_ext scheduler. */
#define OSNIC_SCHED_SYSFS_DIR "/sys/kernel/sched_ext"

struct osnic_scheduler;

struct osnic_sched_opts {
	bool verbose; /* libbpf and loader messages on stderr */
	unsigned int timeout_ms; /* watchdog timeout; 0: the kernel's default */
};

/*
 * 0 if this kernel can run a sched_ext scheduler, else -EOPNOTSUPP with a
 * human reason in why (when why is not NULL).
 */
int osnic_sched_available(char *why, size_t len);

/*
 * The kernel's view: the contents of /sys/kernel/sched_ext/state
 * ("disabled", "enabling", "enabled", "disabling") and of root/ops (the
 * running scheduler's name, "" when there is none). Either buffer may be
 * NULL. Returns 0 or a negative errno when the state cannot be read.
 */
int osnic_sched_kernel_state(char *state, size_t state_len, char *ops, size_t ops_len);

/* Open the embedded object and load its programs into the kernel. */
struct osnic_scheduler *osnic_sched_load(const struct osnic_sched_opts *opts);

/*
 * Register the scheduler with sched_ext. When this returns 0 the kernel has
 * switched every normal task to it. -EBUSY when another scheduler runs;
 * -EALREADY while this one is attached (detach it first, also after the
 * kernel ejected it).
 */
int osnic_sched_attach(struct osnic_scheduler *s);

/*
 * Unregister the scheduler; the kernel moves every task back to the fair
 * class before this returns. The counters and exit info stay readable.
 */
void osnic_sched_detach(struct osnic_scheduler *s);

/* Detach if needed and free everything. NULL is allowed. */
void osnic_sched_destroy(struct osnic_scheduler *s);

/* A snapshot of the scheduler's counters. */
int osnic_sched_stats(const struct osnic_scheduler *s, struct osnic_sched_stats *stats);

/* True once the scheduler has left the kernel, for whatever reason. */
bool osnic_sched_exited(const struct osnic_scheduler *s);

/* Why it exited; -EAGAIN while it still runs. */
int osnic_sched_exit_info(const struct osnic_scheduler *s, struct osnic_sched_exit_info *info);

/* True if the kernel ejected the scheduler (kind >= OSNIC_SCHED_EXIT_ERROR). */
bool osnic_sched_exit_is_error(const struct osnic_sched_exit_info *info);

/* A name for an exit kind: "unregistered", "error in the scheduler", ... */
const char *osnic_sched_exit_kind_name(long long kind);

#endif /* OSNIC_LOADER_H */
