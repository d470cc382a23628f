// SPDX-License-Identifier: GPL-2.0-only
/*
 * Scheduling policy (DESIGN.md, "Scheduling"): where the kernel has
 * sched_ext (and unless --no-sched), osnicd loads the osnic scheduler after
 * the XDP maps are pinned, so that both share them. Otherwise, and whenever
 * the scheduler is not running (unloaded on request, ejected by the kernel),
 * the sched_switch feed (bpf/osnic_feed.bpf.c) keeps osnic_worker_sched
 * instead: exactly one of the two is attached at any time. The event loop
 * polls the scheduler every SCHED_POLL_MS; an ejection is logged, its reason
 * kept for `osnicctl sched status`, and the feed attached at once. After an
 * error exit (a runtime error, scx_bpf_error(), a watchdog stall) osnicd
 * reloads the scheduler with backoff, and gives up after too many errors
 * (sched_policy.h); any other exit (a request's disable, SysRq-S, the
 * kernel's unregistration) stays until a request (SCHED_SET) enables it,
 * which also resets the reload policy. This file holds that state machine
 * and the two sched commands.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <linux/capability.h>

#include <bpf/libbpf.h>

#include "osnicd.h"

/* The feed's maps are all shared with the XDP object: use its. */
static int feed_share_maps(struct osnicd *d)
{
	const struct osnic_shared_map shared[] = OSNIC_SHARED_MAP_TABLE(d->feed);
	int err, i;

	for (i = 0; i < OSNIC_NR_SHARED_MAPS; i++) {
		err = bpf_map__reuse_fd(shared[i].map, osnic_xdp_map_fd(d->xdp, shared[i].id));
		if (err)
			return err;
	}
	return 0;
}

static int feed_attach(struct osnicd *d)
{
	int err;

	if (d->feed_attached)
		return 0;
	if (!d->feed) {
		d->feed = osnic_feed__open();
		if (!d->feed)
			return -errno;
		err = feed_share_maps(d) ?: osnic_feed__load(d->feed);
		if (err)
			goto fail;
	}
	err = osnic_feed__attach(d->feed);
	if (err)
		return err;
	d->feed_attached = true;
	pr_info("sched_switch feed attached: the kernel's scheduler runs the workers");
	return 0;
fail:
	osnic_feed__destroy(d->feed);
	d->feed = NULL;
	return err;
}

static void feed_detach(struct osnicd *d)
{
	if (!d->feed_attached)
		return;
	osnic_feed__detach(d->feed);
	d->feed_attached = false;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Keep the scheduler's last words and counters, then free it. */
void sched_forget(struct osnicd *d)
{
	struct osnic_sched_exit_info info;

	if (!d->sched)
		return;
	osnic_sched_stats(d->sched, &d->sched_last);
	osnic_sched_detach(d->sched);
	/* Truncated if it must: the message is for humans. */
	if (!osnic_sched_exit_info(d->sched, &info)) {
		d->sched_exit_kind = info.kind;
		snprintf(d->sched_exit_reason, sizeof(d->sched_exit_reason), "%s", info.reason);
		snprintf(d->sched_exit_msg, sizeof(d->sched_exit_msg), "%s", info.msg);
		if (snprintf(d->sched_exit, sizeof(d->sched_exit), "%s%s%s%s%s",
			     osnic_sched_exit_kind_name(info.kind), info.reason[0] ? ": " : "",
			     info.reason, info.msg[0] ? ": " : "",
			     info.msg) >= (int)sizeof(d->sched_exit))
			pr_debug("the scheduler's exit message was cut");
	}
	osnic_sched_destroy(d->sched);
	d->sched = NULL;
}

/* Fall back to XDP-only: the feed keeps the workers' state. */
void sched_fallback(struct osnicd *d)
{
	int err = feed_attach(d);

	if (err)
		pr_warn("attaching the sched_switch feed: %s: steering sees no worker state",
			strerror(-err));
}

/* Load and attach the osnic scheduler; on failure, XDP-only with the reason. */
int sched_start(struct osnicd *d)
{
	/* Our maps by fd, never by path: a bpffs mounted over the pins would mislead. */
	struct osnic_sched_opts opts = { .verbose = log_level >= LOG_LIBBPF,
					 .pin_dir = "",
					 .xdp = d->xdp };
	int err;

	if (d->sched)
		return 0;
	err = osnic_sched_available(d->sched_why, sizeof(d->sched_why));
	if (err)
		goto fallback;
	d->sched = osnic_sched_load(&opts);
	if (!d->sched) {
		err = -errno;
		snprintf(d->sched_why, sizeof(d->sched_why), "loading the scheduler: %s",
			 strerror(-err));
		goto fallback;
	}
	/* Without XDP's maps its worker states would reach nobody. */
	if (osnic_sched_reused_maps(d->sched) != osnic_sched_nr_shared_maps()) {
		err = -ENOENT;
		snprintf(d->sched_why, sizeof(d->sched_why),
			 "the scheduler shares only %u of the %u maps with XDP",
			 osnic_sched_reused_maps(d->sched), osnic_sched_nr_shared_maps());
		osnic_sched_destroy(d->sched);
		d->sched = NULL;
		goto fallback;
	}
	/* The feed's state updates would race the scheduler's. */
	feed_detach(d);
	err = osnic_sched_attach(d->sched);
	if (err) {
		snprintf(d->sched_why, sizeof(d->sched_why), "attaching the scheduler: %s%s",
			 strerror(-err),
			 err == -EBUSY ? " (another sched_ext scheduler runs)" : "");
		osnic_sched_destroy(d->sched);
		d->sched = NULL;
		goto fallback;
	}
	d->sched_why[0] = '\0';
	d->sched_ran = true;
	pr_info("osnic sched_ext scheduler attached (%u shared maps reused)",
		osnic_sched_reused_maps(d->sched));
	return 0;
fallback:
	pr_info("XDP-only: %s", d->sched_why);
	sched_fallback(d);
	return err;
}

static void sched_stop(struct osnicd *d, const char *why)
{
	if (!d->sched)
		return;
	sched_forget(d);
	snprintf(d->sched_why, sizeof(d->sched_why), "%s", why);
	pr_info("osnic scheduler unloaded: %s", why);
	sched_fallback(d);
}

bool sched_reload_planned(const struct osnicd *d)
{
	return d->sched_reload.next_ms != 0;
}

/* After an exit of kind (or a failed reload, as an error): plan a reload or not. */
static void sched_plan_reload(struct osnicd *d, long long kind)
{
	struct sched_reload *r = &d->sched_reload;
	uint64_t now = now_ms();

	switch (sched_reload_decide(r, kind, now)) {
	case SCHED_RELOAD_NONE:
		break;
	case SCHED_RELOAD_AT:
		pr_warn("reloading the osnic scheduler in %.1f s (error %u within %llu min; "
			"osnicd gives up at %d)",
			(r->next_ms - now) / 1000.0, r->nerrors, SCHED_RELOAD_WINDOW_MS / 60000,
			SCHED_RELOAD_MAX_ERRORS);
		break;
	case SCHED_RELOAD_GIVE_UP:
		pr_warn("%u scheduler errors within %llu min: no more reloads until `osnicctl sched "
			"enable`",
			r->nerrors, SCHED_RELOAD_WINDOW_MS / 60000);
		break;
	}
}

/* A planned reload is due: bring the scheduler back, or plan the next try. */
static void sched_reload(struct osnicd *d)
{
	d->sched_reload.next_ms = 0;
	pr_info("reloading the osnic scheduler after its error exit");
	if (sched_start(d) || !d->sched) {
		/* The scheduler did not come back: as bad as another error. */
		sched_plan_reload(d, OSNIC_SCHED_EXIT_ERROR);
		return;
	}
	d->sched_reload.reloads++;
	pr_info("osnic scheduler reloaded (%u reloads since osnicd started)",
		d->sched_reload.reloads);
}

/* Called from the event loop: notice an ejection, reload when it is time. */
void sched_check(struct osnicd *d)
{
	if (d->sched && osnic_sched_exited(d->sched)) {
		sched_forget(d);
		if (snprintf(d->sched_why, sizeof(d->sched_why),
			     "the scheduler left the kernel: %s",
			     d->sched_exit) >= (int)sizeof(d->sched_why))
			pr_debug("the reason was cut");
		pr_warn("osnic scheduler exited (%s); falling back to XDP-only", d->sched_exit);
		sched_fallback(d);
		sched_plan_reload(d, d->sched_exit_kind);
	}
	if (!d->sched && sched_reload_due(&d->sched_reload, now_ms()))
		sched_reload(d);
}

static int put_sched_info(struct osnicd *d, struct request *rq)
{
	struct nlmsghdr *nlh = reply_begin(d, rq, false);
	struct osnic_sched_stats st = d->sched_last;
	struct nlattr *nest;
	unsigned int i;

	put_u32(d, nlh, OSNIC_A_SCHED_MODE,
		d->sched ? OSNIC_SCHED_MODE_SCHED_EXT : OSNIC_SCHED_MODE_XDP_ONLY);
	if (!d->sched && d->sched_why[0])
		put_str(d, nlh, OSNIC_A_SCHED_WHY, d->sched_why);
	put_u8(d, nlh, OSNIC_A_SCHED_FEED, d->feed_attached);
	if (d->sched_exit[0])
		put_str(d, nlh, OSNIC_A_SCHED_EXIT, d->sched_exit);
	if (d->sched_exit_kind)
		put_u32(d, nlh, OSNIC_A_SCHED_EXIT_KIND, d->sched_exit_kind);
	/* The protocol has no empty strings: SysRq-S, for one, leaves no message. */
	if (d->sched_exit_reason[0])
		put_str(d, nlh, OSNIC_A_SCHED_EXIT_REASON, d->sched_exit_reason);
	if (d->sched_exit_msg[0])
		put_str(d, nlh, OSNIC_A_SCHED_EXIT_MSG, d->sched_exit_msg);
	put_u32(d, nlh, OSNIC_A_SCHED_RELOADS, d->sched_reload.reloads);
	if (!d->sched && sched_reload_planned(d)) {
		uint64_t now = now_ms(), at = d->sched_reload.next_ms;

		put_u32(d, nlh, OSNIC_A_SCHED_RELOAD_IN, at > now ? at - now : 0);
	}
	put_u8(d, nlh, OSNIC_A_SCHED_GAVE_UP, d->sched_reload.gave_up);
	if (d->sched)
		osnic_sched_stats(d->sched, &st);
	if (d->sched_ran) {
		nest = mnl_attr_nest_start_check(nlh, reply_room(d), OSNIC_A_SCHED_STATS);
		if (nest) {
			for (i = 0; i < sizeof(st) / sizeof(__u64); i++)
				put_u64(d, nlh, i + 1, ((const __u64 *)&st)[i]);
			mnl_attr_nest_end(nlh, nest);
		}
	}
	reply_end(d, rq);
	return 0;
}

int do_sched_info(struct osnicd *d, struct request *rq)
{
	sched_check(d);
	return put_sched_info(d, rq);
}

int do_sched_set(struct osnicd *d, struct request *rq)
{
	bool enable = mnl_attr_get_u8(rq->m->tb[OSNIC_A_SCHED_ENABLE]);
	bool planned;
	int err;

	if (!caller_may(d, rq->cred, CAP_SYS_ADMIN))
		return osnic_nl_ext_set(&rq->ext, -EPERM, NULL, NULL, 0,
					"sched-set needs uid 0, the admin group or CAP_SYS_ADMIN "
					"in osnicd's user namespace (uid %u)",
					rq->cred->uid);
	sched_check(d);
	planned = sched_reload_planned(d);
	/* A request decides from here on: no planned reload, no old errors. */
	sched_reload_reset(&d->sched_reload);
	if (!enable) {
		if (d->sched)
			sched_stop(d, "disabled by request");
		else if (planned)
			snprintf(d->sched_why, sizeof(d->sched_why),
				 "disabled by request (a reload was planned)");
		return put_sched_info(d, rq);
	}
	err = sched_start(d);
	if (err)
		return osnic_nl_ext_set(&rq->ext, err, rq->nlh, rq->m->tb[OSNIC_A_SCHED_ENABLE],
					OSNIC_A_SCHED_ENABLE, "%s", d->sched_why);
	return put_sched_info(d, rq);
}
