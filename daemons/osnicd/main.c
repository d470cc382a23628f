// SPDX-License-Identifier: GPL-2.0-only
/*
 * osnicd: the osnic control daemon.
 *
 * It loads the XDP program and pins it and its maps under OSNIC_PIN_DIR
 * (loader/xdp.c), owns the registry of applications, services and workers
 * (registry.c), keeps the BPF maps in step with the registry (maps.c), and
 * answers the control protocol of include/osnic/nl.h on NETLINK_USERSOCK
 * (nlserver.c).
 *
 * One thread, one poll loop: the netlink socket, a signalfd for SIGINT and
 * SIGTERM, an rtnetlink socket for this namespace's address changes
 * (local_addrs.c), a pidfd per application, which becomes readable when the
 * process exits (its services, workers and rings are then removed at once),
 * and a pidfd per worker thread, readable when the thread exits (the worker
 * and its ring go).
 * This file holds the options, the start, the loop and the stop.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "osnicd.h"

int log_level = LOG_INFO;

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	fputs(level == LOG_WARN ? "osnicd: warning: " : "osnicd: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: osnicd [OPTIONS]\n"
		"The osnic control daemon: loads the XDP program, keeps the registry of\n"
		"applications, services and workers, answers osnicctl and libosnic.\n"
		"\n"
		"  -a, --admin-group NAME|GID\n"
		"                      members of this group (its gid in the credentials, or\n"
		"                      the account listed in the group database) are admins\n"
		"  -C, --cleanup       on stop, detach XDP everywhere and remove all pinned state\n"
		"  -d, --depth LINES   default ring depth of a service (default %d)\n"
		"  -l, --linger SECS   keep answering PROG_UNAVAIL on a port that lost its\n"
		"                      last service for SECS seconds (default %d; 0: no)\n"
		"      --quota KEY=N   per-uid quota (uid 0 is exempt); KEY apps, services,\n"
		"                      workers or ring-mb; N a number or 'unlimited'\n"
		"      --quota-apps N       applications per uid (default %d)\n"
		"      --quota-services N   services and lingering ports per uid (default %d)\n"
		"      --quota-workers N    workers per uid (default %d)\n"
		"      --quota-ring-mb N    MiB of worker rings per uid (default %d)\n"
		"  -S, --no-sched      do not load the osnic sched_ext scheduler: XDP-only,\n"
		"                      the sched_switch feed keeps the workers' state\n"
		"  -v, --verbose       more messages (-vv: also libbpf and libxdp)\n"
		"  -V, --version       print the version and exit\n"
		"  -h, --help          this text\n",
		REG_DEFAULT_DEPTH, DEFAULT_LINGER_S, REG_QUOTA_APPS, REG_QUOTA_SERVICES,
		REG_QUOTA_WORKERS, REG_QUOTA_RING_MB);
}

enum { OPT_QUOTA = 0x100, OPT_QUOTA_APPS, OPT_QUOTA_SERVICES, OPT_QUOTA_WORKERS,
       OPT_QUOTA_RING_MB };

/* --quota KEY=N or --quota-KEY N into q; false if it makes no sense. */
static bool parse_quota(struct reg_quota *q, int opt, const char *arg)
{
	static const char *const keys[] = { "apps", "services", "workers", "ring-mb" };
	uint32_t *fields[] = { &q->apps, &q->services, &q->workers, &q->ring_mb };
	unsigned long v;
	const char *val = arg;
	char *end;
	int k = opt - OPT_QUOTA_APPS;

	if (opt == OPT_QUOTA) {
		const char *eq = strchr(arg, '=');

		for (k = 0; k < 4; k++)
			if (eq && (size_t)(eq - arg) == strlen(keys[k]) &&
			    !strncmp(arg, keys[k], eq - arg))
				break;
		if (k == 4)
			return false;
		val = eq + 1;
	}
	if (!strcmp(val, "unlimited")) {
		*fields[k] = REG_UNLIMITED;
		return true;
	}
	errno = 0;
	v = strtoul(val, &end, 0);
	if (errno || !*val || *end || v >= REG_UNLIMITED)
		return false;
	*fields[k] = v;
	return true;
}

static struct osnicd daemon_state;

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "admin-group", required_argument, NULL, 'a' },
		{ "cleanup", no_argument, NULL, 'C' },
		{ "depth", required_argument, NULL, 'd' },
		{ "linger", required_argument, NULL, 'l' },
		{ "no-sched", no_argument, NULL, 'S' },
		{ "quota", required_argument, NULL, OPT_QUOTA },
		{ "quota-apps", required_argument, NULL, OPT_QUOTA_APPS },
		{ "quota-services", required_argument, NULL, OPT_QUOTA_SERVICES },
		{ "quota-workers", required_argument, NULL, OPT_QUOTA_WORKERS },
		{ "quota-ring-mb", required_argument, NULL, OPT_QUOTA_RING_MB },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct osnicd *d = &daemon_state;
	struct osnic_xdp_opts xopts = { 0 };
	struct reg_quota quota = {
		.apps = REG_QUOTA_APPS,
		.services = REG_QUOTA_SERVICES,
		.workers = REG_QUOTA_WORKERS,
		.ring_mb = REG_QUOTA_RING_MB,
	};
	unsigned long depth = REG_DEFAULT_DEPTH, linger = DEFAULT_LINGER_S;
	/*
	 * Signals, netlink, address changes, then the application and thread
	 * pidfds; static, as they are large for a stack (tens of KiB).
	 */
	static struct pollfd pfd[3 + REG_MAX_APPS + OSNIC_MAX_WORKERS];
	static struct reg_app *pfd_app[3 + REG_MAX_APPS + OSNIC_MAX_WORKERS];
	static uint32_t pfd_worker[3 + REG_MAX_APPS + OSNIC_MAX_WORKERS];
	bool cleanup = false, owners_reused = false, running = true;
	sigset_t sigs;
	int err, opt, i;
	char *end;

	while ((opt = getopt_long(argc, argv, "a:Cd:l:SvVh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'a': {
			struct group *gr;

			d->admin_gid = strtoul(optarg, &end, 10);
			if (*end || !*optarg) {
				gr = getgrnam(optarg);
				if (!gr) {
					fprintf(stderr, "osnicd: --admin-group: no group %s\n",
						optarg);
					return 2;
				}
				d->admin_gid = gr->gr_gid;
			}
			if (d->admin_gid == (uint32_t)-1) {
				fprintf(stderr, "osnicd: --admin-group: not gid %s\n", optarg);
				return 2;
			}
			d->admin_group = true;
			break;
		}
		case 'C':
			cleanup = true;
			break;
		case 'd':
			depth = strtoul(optarg, &end, 0);
			if (*end || depth < REG_MIN_DEPTH || depth > REG_MAX_DEPTH) {
				fprintf(stderr, "osnicd: --depth must be %d..%d lines\n",
					REG_MIN_DEPTH, REG_MAX_DEPTH);
				return 2;
			}
			break;
		case 'l':
			linger = strtoul(optarg, &end, 0);
			if (*end || linger > 86400) {
				fprintf(stderr, "osnicd: --linger must be 0..86400 seconds\n");
				return 2;
			}
			break;
		case 'S':
			d->no_sched = true;
			break;
		case OPT_QUOTA:
		case OPT_QUOTA_APPS:
		case OPT_QUOTA_SERVICES:
		case OPT_QUOTA_WORKERS:
		case OPT_QUOTA_RING_MB:
			if (!parse_quota(&quota, opt, optarg)) {
				fprintf(stderr, "osnicd: bad quota '%s' (--quota KEY=N, KEY one of "
						"apps, services, workers, ring-mb; N a number or "
						"'unlimited')\n",
					optarg);
				return 2;
			}
			break;
		case 'v':
			log_level++;
			break;
		case 'V':
			printf("osnicd %s\n", OSNIC_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}

	d->started = time(NULL);
	d->linger_s = linger;
	d->owners_fd = -1;
	d->sigfd = -1;
	reg_init(&d->reg, depth, unpriv_port_start());
	d->reg.page_size = sysconf(_SC_PAGESIZE);
	d->reg.quota = quota;
	for (i = 0; i < REG_MAX_APPS; i++)
		d->reg.apps[i].pidfd = -1;
	for (i = 0; i < OSNIC_MAX_WORKERS; i++)
		d->worker_pidfd[i] = -1;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (d->sigfd < 0) {
		pr_warn("signalfd: %s", strerror(errno));
		return 1;
	}

	/* Claim the port id first: a second osnicd must not touch the pins. */
	err = nl_open(d);
	if (err) {
		pr_warn("opening the control socket: %s", strerror(-err));
		return 1;
	}

	xopts.verbose = log_level >= LOG_LIBBPF;
	d->xdp = osnic_xdp_load(&xopts);
	if (!d->xdp) {
		pr_warn("loading the XDP program: %s%s", strerror(errno),
			errno == EINVAL ? " (pinned maps of another layout? stop osnicd with "
					  "--cleanup or remove " OSNIC_PIN_DIR ")" :
					  "");
		return 1;
	}
	d->owners_fd = osnic_xdp_state_map(OWNERS_MAP, BPF_MAP_TYPE_ARRAY, sizeof(__u32),
					   sizeof(struct owner_rec), OSNIC_MAX_SERVICES,
					   &owners_reused);
	if (d->owners_fd < 0)
		pr_warn("%s: %s: a restarted osnicd will not re-adopt services", OWNERS_MAP,
			strerror(-d->owners_fd));
	err = pidfile_write();
	if (err)
		pr_warn("writing the pid file under %s: %s: applications in a user namespace "
			"will not recognise osnicd", OSNIC_RUN_DIR, strerror(-err));
	adopt_state(d, owners_reused);
	d->laddrs = local_addrs_open(&(struct local_addrs_opts){
		.map_fd = map_fd(d, OSNIC_MAP_LOCAL_ADDRS),
		.log = log_msg,
		.warn_level = LOG_WARN,
		.debug_level = LOG_DEBUG,
	});
	if (!d->laddrs)
		pr_warn("local addresses: %s: XDP leaves every datagram to the kernel",
			strerror(errno));
	if (sync_all(d))
		pr_warn("could not bring every map in step with the registry");
	adopt_ifaces(d);
	if (d->no_sched) {
		snprintf(d->sched_why, sizeof(d->sched_why), "osnicd runs with --no-sched");
		pr_info("XDP-only: %s", d->sched_why);
		sched_fallback(d);
	} else {
		sched_start(d);
	}

	pr_info("osnicd %s ready: pinned under %s, rings under %s, netlink port id %#x%s",
		OSNIC_VERSION, OSNIC_PIN_DIR, OSNIC_RING_DIR, d->nl_portid,
		cleanup ? ", cleanup on stop" : "");

	while (running) {
		int nfds = 0, timeout;

		pfd[nfds].fd = d->sigfd;
		pfd[nfds++].events = POLLIN;
		pfd[nfds].fd = mnl_socket_get_fd(d->nl);
		pfd[nfds++].events = POLLIN;
		pfd[nfds].fd = local_addrs_fd(d->laddrs);	/* -1 (ignored) without it */
		pfd[nfds++].events = POLLIN;
		for (i = 0; i < REG_MAX_APPS; i++) {
			if (!d->reg.apps[i].id || d->reg.apps[i].pidfd < 0)
				continue;
			pfd_app[nfds] = &d->reg.apps[i];
			pfd_worker[nfds] = 0;
			pfd[nfds].fd = d->reg.apps[i].pidfd;
			pfd[nfds++].events = POLLIN;
		}
		for (i = 1; i < OSNIC_MAX_WORKERS; i++) {
			if (d->worker_pidfd[i] < 0)
				continue;
			pfd_app[nfds] = NULL;
			pfd_worker[nfds] = i;
			pfd[nfds].fd = d->worker_pidfd[i];
			pfd[nfds++].events = POLLIN;
		}
		timeout = linger_expire(d);
		if ((d->sched || sched_reload_planned(d)) && (timeout < 0 || timeout > SCHED_POLL_MS))
			timeout = SCHED_POLL_MS;
		if (workers_polled(d) && (timeout < 0 || timeout > THREAD_POLL_MS))
			timeout = THREAD_POLL_MS;
		if (poll(pfd, nfds, timeout) < 0) {
			if (errno == EINTR)
				continue;
			pr_warn("poll: %s", strerror(errno));
			break;
		}
		if (pfd[0].revents) {
			struct signalfd_siginfo si;

			if (read(d->sigfd, &si, sizeof(si)) == sizeof(si))
				pr_info("%s: stopping", strsignal(si.ssi_signo));
			running = false;
			break;
		}
		/* Deaths first: a request must not reach an application that is gone. */
		for (i = 3; i < nfds; i++)
			if (pfd[i].revents && pfd_app[i] && pfd_app[i]->id &&
			    pfd_app[i]->pidfd == pfd[i].fd)
				app_remove(d, pfd_app[i], "exited");
		for (i = 3; i < nfds; i++)
			if (pfd[i].revents && !pfd_app[i] &&
			    d->worker_pidfd[pfd_worker[i]] == pfd[i].fd)
				worker_exited(d, pfd_worker[i]);
		workers_check(d);
		/* Addresses before requests: a call may follow an address change. */
		if (pfd[2].revents)
			local_addrs_event(d->laddrs);
		if (pfd[1].revents)
			nl_receive(d);
		sched_check(d);
	}

	/* Clients get ECONNREFUSED from here on. */
	mnl_socket_close(d->nl);
	portid_unpublish(d);
	local_addrs_close(d->laddrs);
	for (i = 0; i < REG_MAX_APPS; i++)
		if (d->reg.apps[i].id && d->reg.apps[i].pidfd >= 0)
			close(d->reg.apps[i].pidfd);
	for (i = 0; i < OSNIC_MAX_WORKERS; i++)
		worker_unwatch(d, i);
	pidfile_remove();
	if (d->owners_fd >= 0)
		close(d->owners_fd);
	/* The kernel's scheduler takes the workers back; the feed goes with us. */
	sched_forget(d);
	osnic_feed__destroy(d->feed);
	osnic_xdp_unload(d->xdp, cleanup);
	pr_info(cleanup ? "stopped; XDP detached and %s removed" :
			  "stopped; %s and the attached XDP programs stay",
		OSNIC_PIN_DIR);
	close(d->sigfd);
	return 0;
}
