// SPDX-License-Identifier: GPL-2.0-only
/*
 * The reload policy of sched_policy.h: which ejections of the osnic
 * scheduler osnicd undoes, when, and when it stops trying.
 */
#include <string.h>

#include <osnic/sched.h>

#include "sched_policy.h"

/* Drop the errors that are older than the window at now_ms. */
static void forget_old(struct sched_reload *r, uint64_t now_ms)
{
	unsigned int i = 0;

	while (i < r->nerrors && now_ms - r->error_ms[i] >= SCHED_RELOAD_WINDOW_MS)
		i++;
	if (!i)
		return;
	memmove(r->error_ms, r->error_ms + i, (r->nerrors - i) * sizeof(r->error_ms[0]));
	r->nerrors -= i;
}

enum sched_reload_verdict sched_reload_decide(struct sched_reload *r, long long kind,
					      uint64_t now_ms)
{
	uint64_t delay;

	r->next_ms = 0;
	if (kind < OSNIC_SCHED_EXIT_ERROR)
		return SCHED_RELOAD_NONE;
	forget_old(r, now_ms);
	if (r->nerrors == SCHED_RELOAD_MAX_ERRORS) { /* only after a reset was missed */
		memmove(r->error_ms, r->error_ms + 1, (r->nerrors - 1) * sizeof(r->error_ms[0]));
		r->nerrors--;
	}
	r->error_ms[r->nerrors++] = now_ms;
	if (r->gave_up || r->nerrors >= SCHED_RELOAD_MAX_ERRORS) {
		r->gave_up = true;
		return SCHED_RELOAD_GIVE_UP;
	}
	delay = SCHED_RELOAD_FIRST_MS << (r->nerrors - 1);
	if (delay > SCHED_RELOAD_MAX_MS)
		delay = SCHED_RELOAD_MAX_MS;
	/* 0 means "none planned": a clock at 0 still plans a reload. */
	r->next_ms = now_ms + delay ?: 1;
	return SCHED_RELOAD_AT;
}

bool sched_reload_due(const struct sched_reload *r, uint64_t now_ms)
{
	return r->next_ms && !r->gave_up && now_ms >= r->next_ms;
}

void sched_reload_reset(struct sched_reload *r)
{
	r->nerrors = 0;
	r->next_ms = 0;
	r->gave_up = false;
}
