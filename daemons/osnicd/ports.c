// SPDX-License-Identifier: GPL-2.0-only
/*
 * Proof of port ownership.
 *
 * A process may serve a UDP port through osnic only if it holds a UDP
 * socket bound to that port in osnicd's network namespace, and nobody else
 * does: the kernel already decided who may bind the port (privileged ports,
 * SO_REUSEPORT only within one uid), so osnic follows the kernel's verdict
 * instead of taking the port from whoever bound it.
 *
 * The sockets bound to a port come from sock_diag (NETLINK_SOCK_DIAG,
 * UDP over IPv4 and IPv6, filtered by source port in the kernel), each with
 * its inode and the uid that created it; a process holds a socket if its fd
 * table (/proc/PID/fd) has "socket:[INODE]". The fd table is read between
 * a pidfd of the process and a check through that pidfd that it is still
 * alive, so a reused pid cannot lend its sockets to a dead application.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>

#include "osnicd.h"

#define PORT_MAX_SOCKS 256

/* One sock_diag dump of the UDP sockets of family bound to port. */
static int diag_dump(int fd, int family, uint16_t port, struct port_sock *out, int max, int n)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
		struct nlattr a;
		struct inet_diag_bc_op ops[2];
	} req = {
		.nlh = {
			.nlmsg_len = sizeof(req),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = family,
		},
		.r = {
			.sdiag_family = family,
			.sdiag_protocol = IPPROTO_UDP,
			.idiag_states = ~0U,	/* bound, connected or not */
		},
		.a = { .nla_len = NLA_HDRLEN + sizeof(req.ops), .nla_type = INET_DIAG_REQ_BYTECODE },
		/* sport == port: accept (jump to the end), else reject (past it). */
		.ops = { { INET_DIAG_BC_S_EQ, sizeof(req.ops), sizeof(req.ops) + 4 },
			 { 0, 0, port } },
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char buf[16384];

	_Static_assert(sizeof(req) == NLMSG_HDRLEN + sizeof(struct inet_diag_req_v2) + NLA_HDRLEN +
					      2 * sizeof(struct inet_diag_bc_op),
		       "no padding in the request");
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	for (;;) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (len < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			const struct inet_diag_msg *m = NLMSG_DATA(h);

			if (h->nlmsg_seq != (uint32_t)family)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return n;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				/* No IPv6 in this kernel: no IPv6 sockets either. */
				if (family == AF_INET6 && e->error == -ENOENT)
					return n;
				return e->error ? e->error : -EIO;
			}
			if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
			    h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)) ||
			    ntohs(m->id.idiag_sport) != port)
				continue;
			if (n < max)
				out[n] = (struct port_sock){ .inode = m->idiag_inode,
							     .uid = m->idiag_uid };
			n++;
		}
	}
}

int port_sockets(uint16_t port, struct port_sock *out, int max)
{
	int fd, n;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	n = diag_dump(fd, AF_INET, port, out, max, 0);
	if (n >= 0)
		n = diag_dump(fd, AF_INET6, port, out, max, n);
	close(fd);
	return n;
}

/*
 * Mark the sockets that process pid holds. pidfd: the process's, opened
 * before (-1: open one now). -ESRCH if the process is gone.
 */
static int fd_table_mark(uint32_t pid, int pidfd, struct port_sock *s, int n)
{
	int own = -1, err = 0, dfd, i;
	char path[64];
	struct dirent *de;
	DIR *dir;

	if (pidfd < 0) {
		pidfd = own = pidfd_open(pid);
		if (own < 0)
			return -ESRCH;
	}
	snprintf(path, sizeof(path), "/proc/%u/fd", pid);
	dir = opendir(path);
	if (!dir) {
		err = -ESRCH;
		goto out;
	}
	dfd = dirfd(dir);
	while ((de = readdir(dir))) {
		char link[64];
		unsigned long long ino;
		ssize_t len;

		if (de->d_name[0] == '.')
			continue;
		len = readlinkat(dfd, de->d_name, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		if (sscanf(link, "socket:[%llu]", &ino) != 1)
			continue;
		for (i = 0; i < n; i++)
			if (s[i].inode == ino)
				s[i].held = true;
	}
	closedir(dir);
	/* Still the process the pidfd names: the table read was its own. */
	if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0))
		err = -ESRCH;
out:
	if (own >= 0)
		close(own);
	return err;
}

int port_check_owner(struct osnicd *d, const struct reg_app *app, uint32_t port,
		     struct osnic_nl_ext *ext)
{
	static struct port_sock s[PORT_MAX_SOCKS];
	int n, i, held = 0, err;

	n = port_sockets(port, s, PORT_MAX_SOCKS);
	if (n < 0)
		return osnic_nl_ext_set(ext, n, NULL, NULL, 0,
					"listing the sockets of port %u (sock_diag): %s", port,
					strerror(-n));
	if (n == 0)
		return osnic_nl_ext_set(ext, -EADDRNOTAVAIL, NULL, NULL, OSNIC_A_PORT,
					"no UDP socket is bound to port %u: bind the port first "
					"(the service's socket proves the port is yours)",
					port);
	if (n > PORT_MAX_SOCKS)
		return osnic_nl_ext_set(ext, -EADDRINUSE, NULL, NULL, OSNIC_A_PORT,
					"port %u has %d UDP sockets, more than osnicd checks (%d)",
					port, n, PORT_MAX_SOCKS);
	err = fd_table_mark(app->pid, app->pidfd, s, n);
	if (err)
		return osnic_nl_ext_set(ext, err, NULL, NULL, 0, "process %u is gone", app->pid);
	for (i = 0; i < n; i++)
		held += s[i].held;
	/* Others' sockets are fine if they are of a peer serving this port. */
	for (i = 0; held < n && i < REG_MAX_APPS; i++) {
		const struct reg_app *peer = &d->reg.apps[i];
		uint32_t id;

		if (!peer->id || peer == app || peer->uid != app->uid)
			continue;
		for (id = 1; id < OSNIC_MAX_SERVICES; id++)
			if (d->reg.services[id].app_id == peer->id &&
			    d->reg.services[id].val.port == port)
				break;
		if (id < OSNIC_MAX_SERVICES)
			fd_table_mark(peer->pid, peer->pidfd, s, n);
	}
	for (i = 0; i < n; i++)
		if (!s[i].held)
			return osnic_nl_ext_set(ext, -EADDRINUSE, NULL, NULL, OSNIC_A_PORT,
						"port %u is taken: a UDP socket bound to it is "
						"held by uid %u, not by process %u",
						port, s[i].uid, app->pid);
	if (!held)
		return osnic_nl_ext_set(ext, -EADDRNOTAVAIL, NULL, NULL, OSNIC_A_PORT,
					"process %u holds no UDP socket bound to port %u: bind "
					"the port first",
					app->pid, port);
	return 0;
}
