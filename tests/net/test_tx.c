// SPDX-License-Identifier: GPL-2.0-only
/*
 * The worker's reply sender (lib/tx.c): runs of replies to one client leave
 * as one UDP GSO send, and the client still receives every reply as its own
 * datagram, in order; a GSO send the path's MTU refuses is resent reply by
 * reply. Here (and not with the unit tests) because each test needs root:
 * it runs in a network namespace of its own (Criterion forks per test),
 * whose loopback MTU it may change.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../lib/internal.h"

#define BUF 2048

static struct osnic_tx tx;
static uint8_t bufs[OSNIC_BATCH][BUF];
static struct osnic_worker_counters cnt;
static int sender = -1;
static int rcv[2] = { -1, -1 };
static struct sockaddr_in rcv_addr[2];

static void lo_set(int mtu)
{
	struct ifreq ifr = {};
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(s, 0);
	strcpy(ifr.ifr_name, "lo");
	cr_assert_eq(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	cr_assert_eq(ioctl(s, SIOCSIFFLAGS, &ifr), 0, "lo up: %s", strerror(errno));
	if (mtu) {
		ifr.ifr_mtu = mtu;
		cr_assert_eq(ioctl(s, SIOCSIFMTU, &ifr), 0, "lo mtu %d: %s", mtu, strerror(errno));
	}
	close(s);
}

static void setup(void)
{
	socklen_t len;
	int i;

	cr_assert_eq(unshare(CLONE_NEWNET), 0,
		     "a private network namespace (needs root): %s", strerror(errno));
	lo_set(0);
	for (i = 0; i < 2; i++) {
		rcv[i] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		cr_assert_geq(rcv[i], 0);
		rcv_addr[i] = (struct sockaddr_in){ .sin_family = AF_INET,
						    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		len = sizeof(rcv_addr[i]);
		cr_assert_eq(bind(rcv[i], (struct sockaddr *)&rcv_addr[i], sizeof(rcv_addr[i])), 0);
		cr_assert_eq(getsockname(rcv[i], (struct sockaddr *)&rcv_addr[i], &len), 0);
	}
	sender = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(sender, 0);
	memset(&tx, 0, sizeof(tx));
	memset(&cnt, 0, sizeof(cnt));
	for (i = 0; i < OSNIC_BATCH; i++)
		tx.slot[i].buf = bufs[i];
	tx.gso_seg_max = OSNIC_GSO_SEG_MAX;
}

static void teardown(void)
{
	close(sender);
	close(rcv[0]);
	close(rcv[1]);
}

TestSuite(tx, .init = setup, .fini = teardown);

/* Reply i: len bytes to receiver r, tagged with i in its first 4 bytes and in its fill. */
static void reply(unsigned int i, int r, size_t len)
{
	uint32_t tag = i;

	memcpy(&tx.slot[i].to, &rcv_addr[r], sizeof(rcv_addr[r]));
	memset(tx.slot[i].buf, 'a' + i, len);
	memcpy(tx.slot[i].buf, &tag, sizeof(tag));
	osnic__tx_prepare(&tx, i, len, sizeof(rcv_addr[r]), 0);
}

/* Receiver r gets reply i next, whole and alone in its datagram. */
static void expect_reply(int r, unsigned int i, size_t len)
{
	uint8_t got[BUF];
	uint32_t tag;
	ssize_t n;

	n = recv(rcv[r], got, sizeof(got), MSG_DONTWAIT);
	cr_assert_eq(n, (ssize_t)len, "receiver %d, reply %u: %zd bytes, expected %zu (%s)", r,
		     i, n, len, n < 0 ? strerror(errno) : "");
	memcpy(&tag, got, sizeof(tag));
	cr_assert_eq(tag, i, "receiver %d: reply %u arrived where %u was due", r, tag, i);
	cr_assert_eq(got[len - 1], (uint8_t)('a' + i), "receiver %d, reply %u: its tail", r, i);
}

/* Send replies 0..n-1, all len bytes to receiver r, and see each arrive. */
static void send_and_receive(unsigned int n, int r, size_t len)
{
	unsigned int i;

	osnic__tx_send(&tx, sender, n, &cnt);
	for (i = 0; i < n; i++)
		expect_reply(r, i, len);
}

static void expect_nothing_more(int r)
{
	uint8_t got[BUF];

	cr_assert_lt(recv(rcv[r], got, sizeof(got), MSG_DONTWAIT), 0, "receiver %d: a stray datagram",
		     r);
}

Test(tx, a_run_to_one_client_is_one_send)
{
	unsigned int i;

	for (i = 0; i < 8; i++)
		reply(i, 0, 100);
	send_and_receive(8, 0, 100);
	cr_expect_eq(tx.segs[0], 8, "all eight in the first message");
	cr_expect_eq(cnt.replies, 8);
	cr_expect_eq(cnt.gso_replies, 8);
	cr_expect_eq(cnt.send_errors + cnt.gso_fallbacks, 0);
	expect_nothing_more(0);
}

/*
 * A0 100, A1 100, B2 100, A3 100, A4 60, A5 100: a run ends at another
 * client and after a shorter reply (only the last datagram of a GSO send
 * may be shorter); a longer one never joins.
 */
Test(tx, runs_end_at_another_client_or_length)
{
	static const int dst[] = { 0, 0, 1, 0, 0, 0, 1, 1 };
	static const size_t len[] = { 100, 100, 100, 100, 60, 100, 50, 80 };
	static const uint8_t segs[] = { 2, 1, 2, 1, 1, 1 };
	unsigned int i;

	for (i = 0; i < 8; i++)
		reply(i, dst[i], len[i]);
	osnic__tx_send(&tx, sender, 8, &cnt);
	for (i = 0; i < 6; i++)
		cr_expect_eq(tx.segs[i], segs[i], "message %u carries %u replies, expected %u", i,
			     tx.segs[i], segs[i]);
	cr_expect_eq(cnt.replies, 8);
	cr_expect_eq(cnt.gso_replies, 4);
	for (i = 0; i < 8; i++)
		expect_reply(dst[i], i, len[i]);
	expect_nothing_more(0);
	expect_nothing_more(1);
}

/* Replies with control data (the socket path's PKTINFO) are never joined. */
Test(tx, replies_with_control_data_stay_single)
{
	struct in_pktinfo pi = { .ipi_spec_dst.s_addr = htonl(INADDR_LOOPBACK) };
	struct cmsghdr *cm;
	unsigned int i;

	for (i = 0; i < 4; i++) {
		reply(i, 0, 100);
		cm = (struct cmsghdr *)tx.slot[i].ctrl.buf;
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		osnic__tx_prepare(&tx, i, 100, sizeof(rcv_addr[0]), CMSG_SPACE(sizeof(pi)));
	}
	send_and_receive(4, 0, 100);
	cr_expect_eq(cnt.replies, 4);
	cr_expect_eq(cnt.gso_replies, 0);
}

Test(tx, off_sends_every_reply_alone)
{
	unsigned int i;

	tx.gso_seg_max = 0;
	for (i = 0; i < 4; i++)
		reply(i, 0, 100);
	send_and_receive(4, 0, 100);
	for (i = 0; i < 4; i++)
		cr_expect_eq(tx.segs[i], 1);
	cr_expect_eq(cnt.replies, 4);
	cr_expect_eq(cnt.gso_replies, 0);
}

/*
 * Loopback MTU 1100: 1200-byte replies fit only as IP fragments, which a
 * GSO send cannot make. The send is refused, the replies go out one by one
 * (fragmented, as without GSO), and the limit drops below 1200; 1000-byte
 * replies still go by GSO.
 */
Test(tx, too_long_for_the_path_falls_back_and_remembers)
{
	unsigned int i;

	lo_set(1100);
	for (i = 0; i < 4; i++)
		reply(i, 0, 1200);
	send_and_receive(4, 0, 1200);
	cr_expect_eq(cnt.gso_fallbacks, 1);
	cr_expect_eq(cnt.replies, 4);
	cr_expect_eq(cnt.send_errors, 0);
	cr_expect_eq(cnt.gso_replies, 0);
	cr_expect_eq(tx.gso_seg_max, 1199);

	for (i = 0; i < 4; i++)
		reply(i, 0, 1200);
	send_and_receive(4, 0, 1200);
	cr_expect_eq(cnt.gso_fallbacks, 1, "not tried again at that length");

	for (i = 0; i < 4; i++)
		reply(i, 0, 1000);
	send_and_receive(4, 0, 1000);
	cr_expect_eq(cnt.gso_replies, 4);
	cr_expect_eq(cnt.replies, 12);
	expect_nothing_more(0);
}
