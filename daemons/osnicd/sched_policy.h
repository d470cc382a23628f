/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * When osnicd reloads the osnic scheduler after the kernel ejected it
 * (sched_policy.c): pure logic, no I/O, unit-tested (tests/unit/).
 *
 * Only error exits (kind >= OSNIC_SCHED_EXIT_ERROR: a runtime error, the
 * scheduler's scx_bpf_error(), a watchdog stall) are reloaded; an
 * unregistration (osnicd's own detach, SysRq-S, the kernel's) is what
 * somebody asked for and stays. The k-th error within the window is
 * reloaded after SCHED_RELOAD_FIRST_MS << (k - 1), at most
 * SCHED_RELOAD_MAX_MS; the SCHED_RELOAD_MAX_ERRORS-th gives up until an
 * admin enables the scheduler again (sched_reload_reset()).
 */
#ifndef OSNICD_SCHED_POLICY_H
#define OSNICD_SCHED_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#define SCHED_RELOAD_FIRST_MS	1000ULL
#define SCHED_RELOAD_MAX_MS	60000ULL
#define SCHED_RELOAD_MAX_ERRORS	5
#define SCHED_RELOAD_WINDOW_MS	(10 * 60 * 1000ULL)

struct sched_reload {
	/* When the recent errors happened (CLOCK_MONOTONIC ms), oldest first. */
	uint64_t error_ms[SCHED_RELOAD_MAX_ERRORS];
	unsigned int nerrors;
	uint64_t next_ms;	/* the planned reload; 0: none */
	bool gave_up;		/* until sched_reload_reset() */
	unsigned int reloads;	/* reloads that attached the scheduler again */
};

enum sched_reload_verdict {
	SCHED_RELOAD_NONE,	/* not an error: stays unloaded */
	SCHED_RELOAD_AT,	/* reload at next_ms */
	SCHED_RELOAD_GIVE_UP,	/* too many errors in the window */
};

/*
 * The scheduler left the kernel with exit kind at now_ms (a failed reload
 * counts as kind OSNIC_SCHED_EXIT_ERROR): record it and decide. Sets
 * r->next_ms for SCHED_RELOAD_AT, clears it otherwise.
 */
enum sched_reload_verdict sched_reload_decide(struct sched_reload *r, long long kind,
					      uint64_t now_ms);

/* True when a reload is planned and now_ms has reached it. */
bool sched_reload_due(const struct sched_reload *r, uint64_t now_ms);

/* Forget the errors and any plan (an admin's enable or disable); keeps reloads. */
void sched_reload_reset(struct sched_reload *r);

#endif /* OSNICD_SCHED_POLICY_H */
