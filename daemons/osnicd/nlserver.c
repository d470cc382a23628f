// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control protocol's server side (include/osnic/nl.h on
 * NETLINK_USERSOCK): the socket, reading datagrams with the sender's
 * credentials, parsing requests, batching replies (a dump may span several
 * datagrams), errors with extended acks, and the command table that sends
 * each request to its handler.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "osnicd.h"

/* ---- replies ------------------------------------------------------------------- */

static void batch_send(struct osnicd *d, uint32_t portid)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK, .nl_pid = portid };
	size_t len = mnl_nlmsg_batch_size(d->batch);

	/* A client that does not read (EAGAIN) loses its replies, unlogged. */
	if (len && sendto(mnl_socket_get_fd(d->nl), mnl_nlmsg_batch_head(d->batch), len,
			  MSG_DONTWAIT, (struct sockaddr *)&to, sizeof(to)) < 0 &&
	    errno != EAGAIN)
		pr_debug("reply to port id %#x lost: %s", portid, strerror(errno));
	mnl_nlmsg_batch_reset(d->batch);
}

/* Start a reply message; the handler adds attributes, then reply_end(). */
struct nlmsghdr *reply_begin(struct osnicd *d, struct request *rq, bool multi)
{
	return osnic_nl_put_header(mnl_nlmsg_batch_current(d->batch), rq->m->genl->cmd,
				   multi ? NLM_F_MULTI : 0, rq->nlh->nlmsg_seq, rq->portid);
}

/* Room left for the message being built at the batch's end. */
size_t reply_room(struct osnicd *d)
{
	return d->tx + sizeof(d->tx) - (char *)mnl_nlmsg_batch_current(d->batch);
}

void reply_end(struct osnicd *d, struct request *rq)
{
	if (!mnl_nlmsg_batch_next(d->batch)) {
		/* Full: send what precedes this message; it moves to the front. */
		batch_send(d, rq->portid);
	}
}

void reply_done(struct osnicd *d, struct request *rq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(mnl_nlmsg_batch_current(d->batch));
	int *zero;

	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = rq->nlh->nlmsg_seq;
	nlh->nlmsg_pid = rq->portid;
	zero = mnl_nlmsg_put_extra_header(nlh, sizeof(*zero));
	*zero = 0;
	reply_end(d, rq);
}

static void reply_error(struct osnicd *d, const struct nlmsghdr *req, uint32_t portid,
			const struct osnic_nl_ext *ext)
{
	size_t len;

	mnl_nlmsg_batch_reset(d->batch);
	if (mnl_nlmsg_batch_size(d->batch))	/* an overflow carried over: drop it */
		mnl_nlmsg_batch_reset(d->batch);
	len = osnic_nl_put_error(mnl_nlmsg_batch_current(d->batch), reply_room(d), req, portid,
				 ext);
	if (!len)
		return;
	mnl_nlmsg_batch_next(d->batch);
	batch_send(d, portid);
}

uint32_t get_u32(const struct request *rq, int type, uint32_t dflt)
{
	return rq->m->tb[type] ? mnl_attr_get_u32(rq->m->tb[type]) : dflt;
}

/* Point the error at the attribute of that type in the request. */
int blame(struct request *rq, int err)
{
	if (rq->ext.attr && rq->m->tb[rq->ext.attr])
		rq->ext.offs = (const char *)rq->m->tb[rq->ext.attr] - (const char *)rq->nlh;
	return err;
}

/* ---- the command table ------------------------------------------------------- */

typedef int (*handler_fn)(struct osnicd *d, struct request *rq);

static const handler_fn handlers[OSNIC_CMD_MAX + 1] = {
	[OSNIC_CMD_APP_REGISTER] = do_app_register, [OSNIC_CMD_APP_DEREGISTER] = do_app_deregister,
	[OSNIC_CMD_SERVICE_ADD] = do_service_add,   [OSNIC_CMD_SERVICE_DEL] = do_service_del,
	[OSNIC_CMD_SERVICE_DUMP] = do_service_dump, [OSNIC_CMD_WORKER_ADD] = do_worker_add,
	[OSNIC_CMD_WORKER_DEL] = do_worker_del,	    [OSNIC_CMD_WORKER_DUMP] = do_worker_dump,
	[OSNIC_CMD_IFACE_ATTACH] = do_iface_attach, [OSNIC_CMD_IFACE_DETACH] = do_iface_detach,
	[OSNIC_CMD_IFACE_DUMP] = do_iface_dump,	    [OSNIC_CMD_STATS_GET] = do_stats_get,
	[OSNIC_CMD_DAEMON_INFO] = do_daemon_info,   [OSNIC_CMD_SCHED_INFO] = do_sched_info,
	[OSNIC_CMD_SCHED_SET] = do_sched_set,
};

/* ---- the netlink socket ----------------------------------------------------------- */

/* One message of a datagram: len is what is left of the datagram. */
static void handle_message(struct osnicd *d, const struct nlmsghdr *nlh, size_t len,
			   uint32_t portid, const struct ucred *cred, int *admin)
{
	struct osnic_nl_msg m;
	struct request rq = {
		.nlh = nlh,
		.m = &m,
		.cred = cred,
		.portid = portid,
		.admin = admin,
	};
	int err;

	err = osnic_nl_parse_request(nlh, len, &m, &rq.ext);
	if (!err && !cred)
		err = osnic_nl_ext_set(&rq.ext, -EPERM, NULL, NULL, 0,
				       "request without SCM_CREDENTIALS");
	if (!err && !cred->pid)
		err = osnic_nl_ext_set(&rq.ext, -EPERM, NULL, NULL, 0,
				       "the sender is not visible in osnicd's pid namespace");
	if (!err) {
		memset(&rq.ext, 0, sizeof(rq.ext));
		err = handlers[m.genl->cmd](d, &rq);
		if (err && !rq.ext.err)
			rq.ext.err = err;
		if (err && !rq.ext.msg[0])
			snprintf(rq.ext.msg, sizeof(rq.ext.msg), "%s", strerror(-err));
	}
	pr_debug("%s from pid %d uid %d (port id %#x): %s",
		 len >= OSNIC_NL_HDRLEN && nlh->nlmsg_len >= OSNIC_NL_HDRLEN ?
			 osnic_nl_cmd_name(((const struct genlmsghdr *)NLMSG_DATA(nlh))->cmd) :
			 "?",
		 cred ? cred->pid : -1, cred ? (int)cred->uid : -1, portid,
		 err ? rq.ext.msg : "ok");
	if (err) {
		reply_error(d, len >= NLMSG_HDRLEN ? nlh : NULL, portid, &rq.ext);
		return;
	}
	if (nlh->nlmsg_flags & NLM_F_ACK) {
		struct osnic_nl_ext ack = { 0 };
		size_t n = osnic_nl_put_error(mnl_nlmsg_batch_current(d->batch), reply_room(d), nlh,
					      portid, &ack);

		if (n)
			reply_end(d, &rq);
	}
	batch_send(d, portid);
}

/* Requests beyond REQS_PER_DATAGRAM: counted, logged now and then. */
static void flood_note(struct osnicd *d, uint32_t portid, const struct ucred *cred,
		       unsigned int dropped)
{
	struct timespec now;

	d->req_dropped += dropped;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (d->flood_logged && now.tv_sec - d->flood_logged < FLOOD_LOG_S)
		return;
	pr_warn("request flood: %u requests beyond %d in one datagram from pid %d uid %d "
		"(port id %#x) dropped; %llu dropped since the last message",
		dropped, REQS_PER_DATAGRAM, cred ? cred->pid : -1, cred ? (int)cred->uid : -1,
		portid, (unsigned long long)(d->req_dropped - d->req_dropped_logged));
	d->req_dropped_logged = d->req_dropped;
	d->flood_logged = now.tv_sec ?: 1;
}

static void handle_datagram(struct osnicd *d, size_t n, uint32_t portid, const struct ucred *cred)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)d->rx;
	unsigned int handled = 0, dropped = 0;
	int left = n, admin = -1;

	while (left > 0) {
		/* Control messages (NOOP, DONE, ERROR) are no requests: skip them. */
		if (left >= NLMSG_HDRLEN && nlh->nlmsg_len >= NLMSG_HDRLEN &&
		    nlh->nlmsg_len <= (unsigned int)left && nlh->nlmsg_type < NLMSG_MIN_TYPE) {
			nlh = mnl_nlmsg_next(nlh, &left);
			continue;
		}
		if (handled == REQS_PER_DATAGRAM) {
			/* One error for the first one beyond, the rest only counted. */
			struct osnic_nl_ext ext;

			if (!dropped) {
				osnic_nl_ext_set(&ext, -ENOBUFS, NULL, NULL, 0,
						 "more than %d requests in one datagram: "
						 "the rest are dropped",
						 REQS_PER_DATAGRAM);
				reply_error(d, left >= NLMSG_HDRLEN ? nlh : NULL, portid, &ext);
			}
			dropped++;
		} else {
			handle_message(d, nlh, left, portid, cred, &admin);
			handled++;
		}
		if (!mnl_nlmsg_ok(nlh, left))
			break;	/* truncated: answered, nothing after it can be found */
		nlh = mnl_nlmsg_next(nlh, &left);
	}
	if (dropped)
		flood_note(d, portid, cred, dropped);
}

/* At most DATAGRAMS_PER_ROUND datagrams, so that the loop turns. */
void nl_receive(struct osnicd *d)
{
	unsigned int round;

	for (round = 0; round < DATAGRAMS_PER_ROUND; round++) {
		struct osnic_nl_sender from;
		ssize_t n;

		n = osnic_nl_recv(mnl_socket_get_fd(d->nl), d->rx, sizeof(d->rx), MSG_DONTWAIT,
				  &from);
		if (n < 0) {
			if (errno == ENOBUFS) {
				pr_warn("netlink receive queue overflowed: requests were lost");
				continue;
			}
			if (errno != EAGAIN)
				pr_warn("netlink receive: %s", strerror(errno));
			return;
		}
		if (from.addr.nl_pid == 0)
			continue;	/* the kernel has nothing to say on NETLINK_USERSOCK */
		if (from.truncated) {
			struct osnic_nl_ext ext;

			osnic_nl_ext_set(&ext, -EMSGSIZE, NULL, NULL, 0,
					 "datagram larger than %zu bytes", sizeof(d->rx));
			reply_error(d, (size_t)n >= NLMSG_HDRLEN ? (void *)d->rx : NULL,
				    from.addr.nl_pid, &ext);
			continue;
		}
		handle_datagram(d, n, from.addr.nl_pid, from.cred);
	}
}

int nl_open(struct osnicd *d)
{
	int one = 1, err;

	d->nl = mnl_socket_open2(NETLINK_USERSOCK, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!d->nl)
		return -errno;
	if (setsockopt(mnl_socket_get_fd(d->nl), SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)))
		return -errno;
	err = portid_bind(d);
	if (err)
		return err;
	d->batch = mnl_nlmsg_batch_start(d->tx, BATCH_LIMIT);
	return d->batch ? 0 : -ENOMEM;
}
