// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of osnicd's scheduler reload policy (daemons/osnicd/
 * sched_policy.c): which exits are reloaded, the backoff, giving up after
 * too many errors in the window, the window sliding, and an admin's reset.
 */
#include <criterion/criterion.h>

#include <osnic/sched.h>

#include "../../daemons/osnicd/sched_policy.h"

#define T0 100000ULL /* an arbitrary CLOCK_MONOTONIC ms */

static struct sched_reload r;

static void setup(void)
{
	memset(&r, 0, sizeof(r));
}

TestSuite(sched_reload, .init = setup);

Test(sched_reload, unregistrations_are_not_reloaded)
{
	const long long kinds[] = { OSNIC_SCHED_EXIT_DONE,	OSNIC_SCHED_EXIT_UNREG,
				    OSNIC_SCHED_EXIT_UNREG_BPF, OSNIC_SCHED_EXIT_UNREG_KERN,
				    OSNIC_SCHED_EXIT_SYSRQ,	100 /* unknown, below ERROR */ };
	unsigned int i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		cr_expect_eq(sched_reload_decide(&r, kinds[i], T0 + i), SCHED_RELOAD_NONE,
			     "kind %lld", kinds[i]);
		cr_expect_eq(r.next_ms, 0, "kind %lld planned a reload", kinds[i]);
	}
	cr_expect_eq(r.nerrors, 0, "unregistrations counted as errors");
	cr_expect_not(r.gave_up);
	cr_expect_not(sched_reload_due(&r, T0 + 3600000));
}

Test(sched_reload, errors_are_reloaded)
{
	const long long kinds[] = { OSNIC_SCHED_EXIT_ERROR, OSNIC_SCHED_EXIT_ERROR_BPF,
				    OSNIC_SCHED_EXIT_ERROR_STALL, 1100 /* unknown error */ };
	unsigned int i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		sched_reload_reset(&r);
		cr_expect_eq(sched_reload_decide(&r, kinds[i], T0), SCHED_RELOAD_AT, "kind %lld",
			     kinds[i]);
		cr_expect_eq(r.next_ms, T0 + SCHED_RELOAD_FIRST_MS, "kind %lld", kinds[i]);
	}
}

Test(sched_reload, due_at_the_planned_time)
{
	sched_reload_decide(&r, OSNIC_SCHED_EXIT_ERROR_STALL, T0);
	cr_expect_not(sched_reload_due(&r, T0));
	cr_expect_not(sched_reload_due(&r, T0 + SCHED_RELOAD_FIRST_MS - 1));
	cr_expect(sched_reload_due(&r, T0 + SCHED_RELOAD_FIRST_MS));
	cr_expect(sched_reload_due(&r, T0 + 10 * SCHED_RELOAD_FIRST_MS));
}

Test(sched_reload, backoff_doubles_then_gives_up)
{
	uint64_t now = T0, delay = SCHED_RELOAD_FIRST_MS;
	unsigned int i;

	for (i = 1; i < SCHED_RELOAD_MAX_ERRORS; i++) {
		cr_assert_eq(sched_reload_decide(&r, OSNIC_SCHED_EXIT_ERROR_BPF, now),
			     SCHED_RELOAD_AT, "error %u", i);
		cr_expect_eq(r.next_ms - now, delay, "error %u: waits %llu ms, expected %llu", i,
			     (unsigned long long)(r.next_ms - now), (unsigned long long)delay);
		/* The reload works, and the scheduler fails again a while later. */
		now = r.next_ms + 5000;
		delay *= 2;
	}
	cr_expect_eq(sched_reload_decide(&r, OSNIC_SCHED_EXIT_ERROR_BPF, now),
		     SCHED_RELOAD_GIVE_UP);
	cr_expect(r.gave_up);
	cr_expect_eq(r.next_ms, 0);
	cr_expect_not(sched_reload_due(&r, now + SCHED_RELOAD_WINDOW_MS * 10));
	/* Still given up, even for an error long after: only an admin's enable resets. */
	cr_expect_eq(sched_reload_decide(&r, OSNIC_SCHED_EXIT_ERROR,
					 now + 2 * SCHED_RELOAD_WINDOW_MS),
		     SCHED_RELOAD_GIVE_UP);
}

Test(sched_reload, delay_is_capped)
{
	unsigned int i;

	/* Errors spread so that many stay in a long window are not possible with
	 * the defaults (5 in 10 min); the cap holds whatever the count. */
	for (i = 1; i < SCHED_RELOAD_MAX_ERRORS; i++) {
		sched_reload_decide(&r, OSNIC_SCHED_EXIT_ERROR, T0 + i);
		cr_expect_leq(r.next_ms - (T0 + i), SCHED_RELOAD_MAX_MS);
	}
}

Test(sched_reload, old_errors_leave_the_window)
{
	uint64_t now = T0;
	unsigned int i;

	/* One error short of giving up... */
	for (i = 1; i < SCHED_RELOAD_MAX_ERRORS; i++, now += 1000)
		cr_assert_eq(sched_reload_decide(&r, OSNIC_SCHED_EXIT_ERROR_STALL, now),
			     SCHED_RELOAD_AT);
	/* ... then a window of good behaviour: the next error starts over. */
	now += SCHED_RELOAD_WINDOW_MS;
	cr_expect_eq(sched_reload_decide(&r, OSNIC_SCHED_EXIT_ERROR_STALL, now), SCHED_RELOAD_AT);
	cr_expect_eq(r.next_ms, now + SCHED_RELOAD_FIRST_MS, "the backoff did not start over");
	cr_expect_eq(r.nerrors, 1);
}

Test(sched_reload, window_slides)
{
	uint64_t t[SCHED_RELOAD_MAX_ERRORS - 1];
	unsigned int i;

	for (i = 0; i < SCHED_RELOAD_MAX_ERRORS - 1; i++) {
		t[i] = T0 + i * 60000;
		cr_assert_eq(sched_reload_decide(&r, OSNIC_SCHED_EXIT_ERROR, t[i]),
			     SCHED_RELOAD_AT);
	}
	/* Just after the first error left the window: 4 in it, not 5. */
	cr_expect_eq(sched_reload_decide(&r, OSNIC_SCHED_EXIT_ERROR, t[0] + SCHED_RELOAD_WINDOW_MS),
		     SCHED_RELOAD_AT);
	/* Just before the second one leaves it: 5 in the window. */
	cr_expect_eq(sched_reload_decide(&r, OSNIC_SCHED_EXIT_ERROR,
					 t[1] + SCHED_RELOAD_WINDOW_MS - 1),
		     SCHED_RELOAD_GIVE_UP);
}

Test(sched_reload, reset_forgets_errors_and_plans)
{
	unsigned int i;

	for (i = 0; i < SCHED_RELOAD_MAX_ERRORS; i++)
		sched_reload_decide(&r, OSNIC_SCHED_EXIT_ERROR_BPF, T0 + i);
	cr_assert(r.gave_up);
	r.reloads = 3;
	sched_reload_reset(&r);
	cr_expect_not(r.gave_up);
	cr_expect_eq(r.nerrors, 0);
	cr_expect_eq(r.reloads, 3, "reset forgot the reloads");
	cr_expect_eq(sched_reload_decide(&r, OSNIC_SCHED_EXIT_ERROR_BPF, T0 + 10), SCHED_RELOAD_AT);
	cr_expect_eq(r.next_ms, T0 + 10 + SCHED_RELOAD_FIRST_MS);
	/* A disable while a reload is planned cancels it. */
	sched_reload_reset(&r);
	cr_expect_not(sched_reload_due(&r, T0 + 3600000));
}
