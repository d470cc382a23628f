// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Sending a batch of replies (a libosnic worker's pass over its ring, an
 * osnic-run batch): one sendmmsg for all of them, and replies to one client
 * joined into one UDP GSO send.
 *
 * A run of replies to the same client, all of one length but the last
 * (which may be shorter), leaves as one message with UDP_SEGMENT: one trip
 * through the socket layer, routing and IP output for all of them; the
 * kernel (or the NIC) cuts it into datagrams, and the client receives them
 * one by one as if sent singly. A client with several calls in flight on
 * one socket gets most of its replies this way. Replies that carry their
 * own control data (the socket path's PKTINFO) stay single.
 *
 * A GSO send is refused as a whole if one datagram of it would not fit the
 * path's MTU (EMSGSIZE; EINVAL on older kernels); its replies are then
 * sent one by one, as they would have been without GSO, and the worker
 * stays below that length from then on. Any other refusal turns GSO off.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>

#include "internal.h"

_Static_assert(OSNIC_BATCH <= 64, "a GSO send carries at most 64 datagrams (UDP_MAX_SEGMENTS)");
_Static_assert(OSNIC_BATCH * OSNIC_GSO_SEG_MAX <= 65535 - 48, "a GSO send is one IP datagram");

void osnic__tx_prepare(struct osnic_tx *tx, unsigned int i, size_t len, socklen_t tolen,
		       size_t ctrl_len)
{
	struct osnic_tx_slot *slot = &tx->slot[i];
	struct msghdr *mh = &tx->msg[i].msg_hdr;

	tx->iov[i].iov_base = slot->buf;
	tx->iov[i].iov_len = len;
	memset(mh, 0, sizeof(*mh));
	mh->msg_name = &slot->to;
	mh->msg_namelen = tolen;
	mh->msg_iov = &tx->iov[i];
	mh->msg_iovlen = 1;
	if (ctrl_len) {
		mh->msg_control = slot->ctrl.buf;
		mh->msg_controllen = ctrl_len;
	}
}

static bool same_dest(const struct msghdr *a, const struct msghdr *b)
{
	const struct sockaddr_storage *x = a->msg_name, *y = b->msg_name;

	if (a->msg_namelen != b->msg_namelen || x->ss_family != y->ss_family)
		return false;
	if (x->ss_family == AF_INET) {
		const struct sockaddr_in *p = a->msg_name, *q = b->msg_name;

		return p->sin_port == q->sin_port && p->sin_addr.s_addr == q->sin_addr.s_addr;
	}
	if (x->ss_family == AF_INET6) {
		const struct sockaddr_in6 *p = a->msg_name, *q = b->msg_name;

		return p->sin6_port == q->sin6_port && p->sin6_scope_id == q->sin6_scope_id &&
		       !memcmp(&p->sin6_addr, &q->sin6_addr, sizeof(p->sin6_addr));
	}
	return false;
}

/*
 * Join the n prepared replies into messages, in place; first[] and segs[]
 * say which replies each message carries. Returns the number of messages.
 */
static unsigned int tx_coalesce(struct osnic_tx *tx, unsigned int n)
{
	unsigned int i = 0, m = 0, k;
	struct msghdr *first, *h;
	struct cmsghdr *cm;
	size_t seg, len;
	uint16_t gso;

	while (i < n) {
		first = &tx->msg[i].msg_hdr;
		seg = tx->iov[i].iov_len;
		k = 1;
		if (seg && seg <= tx->gso_seg_max && !first->msg_controllen) {
			while (i + k < n) {
				h = &tx->msg[i + k].msg_hdr;
				len = tx->iov[i + k].iov_len;
				if (h->msg_controllen || !len || len > seg || !same_dest(first, h))
					break;
				k++;
				if (len < seg)
					break;	/* a shorter one ends the run */
			}
		}
		/* m <= i: message m is rewritten only once message i was read. */
		tx->msg[m].msg_hdr = *first;
		tx->first[m] = i;
		tx->segs[m] = k;
		if (k > 1) {
			first = &tx->msg[m].msg_hdr;
			first->msg_iovlen = k;
			first->msg_control = tx->slot[i].ctrl.buf;
			first->msg_controllen = CMSG_SPACE(sizeof(gso));
			cm = CMSG_FIRSTHDR(first);
			cm->cmsg_level = SOL_UDP;
			cm->cmsg_type = UDP_SEGMENT;
			cm->cmsg_len = CMSG_LEN(sizeof(gso));
			gso = seg;
			memcpy(CMSG_DATA(cm), &gso, sizeof(gso));
		}
		i += k;
		m++;
	}
	return m;
}

/* The kernel refused GSO message j with err: send its replies one by one. */
static void tx_ungso(struct osnic_tx *tx, int fd, unsigned int j, int err,
		     struct osnic_worker_counters *c)
{
	struct msghdr mh = tx->msg[j].msg_hdr;
	size_t seg = tx->iov[tx->first[j]].iov_len;
	unsigned int i;

	CNT_INC(c, gso_fallbacks);
	if (err == EMSGSIZE || err == EINVAL)
		tx->gso_seg_max = seg - 1;
	else
		tx->gso_seg_max = 0;
	mh.msg_iovlen = 1;
	mh.msg_control = NULL;
	mh.msg_controllen = 0;
	for (i = tx->first[j]; i < tx->first[j] + tx->segs[j]; i++) {
		mh.msg_iov = &tx->iov[i];
		if (sendmsg(fd, &mh, tx->send_flags) < 0)
			CNT_INC(c, send_errors);
		else
			CNT_INC(c, replies);
	}
}

void osnic__tx_send(struct osnic_tx *tx, int fd, unsigned int n, struct osnic_worker_counters *c)
{
	unsigned int m = n, sent = 0, j;
	int r;

	if (tx->gso_seg_max) {
		m = tx_coalesce(tx, n);
	} else {
		for (j = 0; j < n; j++) {
			tx->first[j] = j;
			tx->segs[j] = 1;
		}
	}
	while (sent < m) {
		r = sendmmsg(fd, tx->msg + sent, m - sent, tx->send_flags);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (tx->segs[sent] > 1)
				tx_ungso(tx, fd, sent, errno, c);
			else
				CNT_INC(c, send_errors);
			sent++;
			continue;
		}
		for (j = sent; j < sent + (unsigned int)r; j++) {
			CNT_ADD(c, replies, tx->segs[j]);
			if (tx->segs[j] > 1)
				CNT_ADD(c, gso_replies, tx->segs[j]);
		}
		sent += r;
	}
}
