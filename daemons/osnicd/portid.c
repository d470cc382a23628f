// SPDX-License-Identifier: GPL-2.0-only
/*
 * osnicd's netlink port id. Any user may bind any free port id of
 * NETLINK_USERSOCK, also the well-known OSNIC_NL_PORTID while osnicd is
 * down. Such a squatter cannot impersonate osnicd (clients take answers of
 * uid 0 only); to keep it from denying service too, osnicd then binds a
 * port id the kernel chooses and publishes it in a root-owned file
 * (include/osnic/nl.h, OSNIC_NL_PORTID_DIR), which clients read first. The
 * holder of a taken port id is found through sock_diag (its socket's inode)
 * and /proc/PID/fd, and named in the log.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/netlink_diag.h>
#include <linux/sock_diag.h>

#include "osnicd.h"

/* The inode of the NETLINK_USERSOCK socket bound to portid, 0 if none. */
static uint64_t portid_inode(uint32_t portid)
{
	struct {
		struct nlmsghdr nlh;
		struct netlink_diag_req req;
	} q = {
		.nlh = { .nlmsg_len = sizeof(q),
			 .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			 .nlmsg_seq = 1 },
		.req = { .sdiag_family = AF_NETLINK,
			 .sdiag_protocol = NETLINK_USERSOCK,
			 .ndiag_show = 0 },
	};
	static char buf[16384];
	uint64_t ino = 0;
	bool done = false;
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return 0;
	if (send(fd, &q, sizeof(q), 0) < 0)
		goto out;
	while (!done) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
		int left = n;

		if (n <= 0)
			break;
		for (; mnl_nlmsg_ok(h, left); h = mnl_nlmsg_next(h, &left)) {
			const struct netlink_diag_msg *m = mnl_nlmsg_get_payload(h);

			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
				done = true;
				break;
			}
			if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(*m)) && m->ndiag_portid == portid)
				ino = m->ndiag_ino;
		}
	}
out:
	close(fd);
	return ino;
}

/* A process holding the socket of inode ino: 0 if none is found. */
static uint32_t inode_holder(uint64_t ino)
{
	char want[64], path[600], link[64];
	struct dirent *p, *f;
	uint32_t pid = 0;
	DIR *proc, *fds;

	snprintf(want, sizeof(want), "socket:[%llu]", (unsigned long long)ino);
	proc = opendir("/proc");
	if (!proc)
		return 0;
	while (!pid && (p = readdir(proc))) {
		if (p->d_name[0] < '1' || p->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", p->d_name);
		fds = opendir(path);
		if (!fds)
			continue;
		while (!pid && (f = readdir(fds))) {
			ssize_t n;

			snprintf(path, sizeof(path), "/proc/%s/fd/%s", p->d_name, f->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = '\0';
			if (!strcmp(link, want))
				pid = strtoul(p->d_name, NULL, 10);
		}
		closedir(fds);
	}
	closedir(proc);
	return pid;
}

/*
 * Who holds portid: 1 and *pid, *uid if found, 0 if the port id is free or
 * its holder cannot be found.
 */
static int portid_holder(uint32_t portid, uint32_t *pid, uint32_t *uid)
{
	char path[64];
	struct stat st;
	uint64_t ino = portid_inode(portid);

	if (!ino)
		return 0;
	*pid = inode_holder(ino);
	snprintf(path, sizeof(path), "/proc/%u", *pid);
	if (!*pid || stat(path, &st))
		return 0;
	*uid = st.st_uid;
	return 1;
}

/* Write the port id to the file of this network namespace. */
static int publish(uint32_t portid, const char *path)
{
	char tmp[OSNIC_NL_PORTID_PATH_MAX + 8];
	struct stat st;
	FILE *f;

	if (mkdir(OSNIC_NL_PORTID_DIR, 0755) && errno != EEXIST)
		return -errno;
	if (lstat(OSNIC_NL_PORTID_DIR, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022))
		return -EPERM;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	f = fopen(tmp, "wxe");
	if (!f)
		return -errno;
	fchmod(fileno(f), 0644);
	fprintf(f, "%#x\n", portid);
	if (fclose(f) || rename(tmp, path)) {
		unlink(tmp);
		return -errno;
	}
	return 0;
}

/*
 * Bind d->nl: the well-known port id if it is free; if a process of uid 0
 * holds it, or the published one, another osnicd runs: -EADDRINUSE; if
 * anyone else holds it, a port id of the kernel's choice.
 */
int portid_bind(struct osnicd *d)
{
	char path[OSNIC_NL_PORTID_PATH_MAX], comm[32];
	uint32_t published = osnic_nl_daemon_portid(path), pid = 0, uid = 0;
	int err;

	if (published != OSNIC_NL_PORTID && portid_holder(published, &pid, &uid) && uid == 0) {
		proc_comm(pid, comm, sizeof(comm));
		pr_warn("netlink port id %#x (published in %s) is held by pid %u (%s) of uid 0: "
			"is another osnicd running?",
			published, path, pid, comm);
		return -EADDRINUSE;
	}
	if (!mnl_socket_bind(d->nl, 0, OSNIC_NL_PORTID)) {
		d->nl_portid = OSNIC_NL_PORTID;
	} else {
		if (errno != EADDRINUSE)
			return -errno;
		if (!portid_holder(OSNIC_NL_PORTID, &pid, &uid) || uid == 0) {
			if (pid)
				proc_comm(pid, comm, sizeof(comm));
			pr_warn("netlink port id %#x is taken in this network namespace%s%s%s: "
				"is another osnicd running?",
				OSNIC_NL_PORTID, pid ? " by " : "", pid ? comm : "",
				pid ? " of uid 0" : "");
			return -EADDRINUSE;
		}
		proc_comm(pid, comm, sizeof(comm));
		if (mnl_socket_bind(d->nl, 0, MNL_SOCKET_AUTOPID))
			return -errno;
		d->nl_portid = mnl_socket_get_portid(d->nl);
		pr_warn("netlink port id %#x is squatted by pid %u (%s) of uid %u: listening on "
			"port id %#x instead (published in %s)",
			OSNIC_NL_PORTID, pid, comm, uid, d->nl_portid, path);
	}
	err = publish(d->nl_portid, path);
	if (err) {
		pr_warn("publishing the port id in %s: %s", path, strerror(-err));
		/* Without the file, clients find only the well-known id. */
		if (d->nl_portid != OSNIC_NL_PORTID)
			return err;
	}
	return 0;
}

/* At a clean stop: the next osnicd writes it again anyway. */
void portid_unpublish(struct osnicd *d)
{
	char path[OSNIC_NL_PORTID_PATH_MAX];

	if (!osnic_nl_portid_path(path))
		unlink(path);
}
