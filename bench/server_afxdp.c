// SPDX-License-Identifier: GPL-2.0-only
/*
 * osnic-bench-server --mode afxdp: the kernel-bypass path a user would pick
 * on a stock kernel. bench/afxdp_filter.bpf.c, attached through libxdp (so
 * it joins the dispatcher osnic's program is in, or goes on the interface
 * alone), sends the UDP datagrams to the server's port to an AF_XDP socket
 * bound to one receive queue; everything else goes on. The server spins on
 * the socket's RX ring on its own core and never sleeps; for each frame it
 * checks Ethernet/IP/UDP, runs the call through osnic_serve_datagram() with
 * the demo's handlers (as the other servers), writes the reply over the
 * call in the same UMEM frame (addresses and ports swapped, lengths and
 * checksums set) and puts that frame on the TX ring; sendto() kicks the
 * transmission, and the completion ring gives the frames back to the fill
 * ring. Copy mode (XDP_COPY): veth has no zero-copy.
 *
 * Frames: NUM_FRAMES, all on the fill ring at start (it holds them all), so
 * that a frame given back to it (dropped, or its reply sent) always fits.
 */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>

#include <osnic/osnic.h>

#include "server_afxdp.h"
#include "afxdp_filter.skel.h"

#define NUM_FRAMES	4096
#define FRAME_SIZE	XSK_UMEM__DEFAULT_FRAME_SIZE
#define RING_SIZE	2048
#define BATCH		32
#define REPLY_TTL	64
#define IP_MF_OFFSET	0x3fff	/* more fragments, fragment offset */

struct afxdp {
	struct afxdp_filter *skel;
	struct xdp_program *prog;
	int ifindex;
	bool attached;
	void *area;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fq, tx;
	struct xsk_ring_cons cq, rx;
	bool kick;		/* frames on the TX ring the kernel has not taken */
	unsigned long long rx_frames, tx_frames, bad, no_reply, drops, kick_errors;
};

/* One's complement sum of len bytes (16-bit words as they lie in memory). */
static uint32_t csum_add(uint32_t sum, const void *p, size_t len)
{
	const uint8_t *b = p;
	uint16_t w;

	for (; len > 1; len -= 2, b += 2) {
		memcpy(&w, b, 2);
		sum += w;
	}
	if (len) {
		w = 0;
		memcpy(&w, b, 1);
		sum += w;
	}
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

static void swap_bytes(void *a, void *b, size_t n)
{
	uint8_t t[16];

	memcpy(t, a, n);
	memcpy(a, b, n);
	memcpy(b, t, n);
}

/*
 * The frame of len bytes at pkt (cap bytes to the end of its UMEM chunk):
 * serves the call it carries and writes the reply frame over it. Returns
 * the reply frame's length, 0 if there is none (no reply, or not a frame
 * of ours).
 */
static uint32_t serve_frame(struct afxdp *a, struct osnic_svc *svc, uint8_t *pkt, uint32_t len,
			    uint32_t cap)
{
	static uint8_t out[FRAME_SIZE];
	struct ethhdr *eth = (struct ethhdr *)pkt;
	struct sockaddr_storage from = {};
	struct iphdr *iph = NULL;
	struct ipv6hdr *ip6h = NULL;
	struct udphdr *udp;
	uint32_t hlen, ulen;
	socklen_t fromlen;
	ssize_t r;

	if (len < sizeof(*eth))
		goto bad;
	if (eth->h_proto == htons(ETH_P_IP)) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&from;

		iph = (struct iphdr *)(eth + 1);
		if (len < sizeof(*eth) + sizeof(*iph) || iph->ihl < 5 ||
		    iph->protocol != IPPROTO_UDP || (iph->frag_off & htons(IP_MF_OFFSET)))
			goto bad;
		hlen = sizeof(*eth) + iph->ihl * 4;
		if (len < hlen + sizeof(*udp) || ntohs(iph->tot_len) > len - sizeof(*eth))
			goto bad;
		udp = (struct udphdr *)(pkt + hlen);
		ulen = ntohs(udp->len);
		if (ulen < sizeof(*udp) || ulen > ntohs(iph->tot_len) - iph->ihl * 4u)
			goto bad;
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = iph->saddr;
		sin->sin_port = udp->source;
		fromlen = sizeof(*sin);
	} else if (eth->h_proto == htons(ETH_P_IPV6)) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&from;

		ip6h = (struct ipv6hdr *)(eth + 1);
		hlen = sizeof(*eth) + sizeof(*ip6h);
		if (len < hlen + sizeof(*udp) || ip6h->nexthdr != IPPROTO_UDP ||
		    ntohs(ip6h->payload_len) > len - hlen)
			goto bad;
		udp = (struct udphdr *)(pkt + hlen);
		ulen = ntohs(udp->len);
		if (ulen < sizeof(*udp) || ulen > ntohs(ip6h->payload_len))
			goto bad;
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, &ip6h->saddr, sizeof(ip6h->saddr));
		sin6->sin6_port = udp->source;
		fromlen = sizeof(*sin6);
	} else {
		goto bad;
	}
	hlen += sizeof(*udp);
	if (cap <= hlen)
		goto bad;

	r = osnic_serve_datagram(svc, pkt + hlen, ulen - sizeof(*udp), (struct sockaddr *)&from,
				 fromlen, out, cap - hlen, NULL);
	if (r <= 0) {
		a->no_reply++;
		return 0;
	}
	memcpy(pkt + hlen, out, r);
	ulen = sizeof(*udp) + r;

	swap_bytes(eth->h_dest, eth->h_source, ETH_ALEN);
	swap_bytes(&udp->source, &udp->dest, sizeof(udp->source));
	udp->len = htons(ulen);
	udp->check = 0;
	if (iph) {
		swap_bytes(&iph->saddr, &iph->daddr, sizeof(iph->saddr));
		iph->tot_len = htons(iph->ihl * 4 + ulen);
		iph->ttl = REPLY_TTL;
		iph->check = 0;
		iph->check = csum_fold(csum_add(0, iph, iph->ihl * 4));
		/* The UDP checksum stays 0: none, which IPv4 allows. */
	} else {
		uint32_t sum;

		swap_bytes(&ip6h->saddr, &ip6h->daddr, sizeof(ip6h->saddr));
		ip6h->payload_len = htons(ulen);
		ip6h->hop_limit = REPLY_TTL;
		/* IPv6 requires it: the pseudo-header, then the datagram. */
		sum = csum_add(0, &ip6h->saddr, 2 * sizeof(ip6h->saddr));
		sum += htons(ulen) + htons(IPPROTO_UDP);
		sum = csum_add(sum, udp, ulen);
		udp->check = csum_fold(sum) ?: 0xffff;
	}
	return hlen + r;
bad:
	a->bad++;
	return 0;
}

/* Frames back to the fill ring; it holds every frame, so they fit. */
static void refill(struct afxdp *a, const uint64_t *addrs, unsigned int n)
{
	unsigned int i;
	uint32_t idx;

	if (!n)
		return;
	while (xsk_ring_prod__reserve(&a->fq, n, &idx) != n)
		;
	for (i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&a->fq, idx + i) = addrs[i];
	xsk_ring_prod__submit(&a->fq, n);
}

static void reap_completions(struct afxdp *a)
{
	uint64_t addrs[BATCH];
	unsigned int n, i;
	uint32_t idx;

	while ((n = xsk_ring_cons__peek(&a->cq, BATCH, &idx)) > 0) {
		for (i = 0; i < n; i++)
			addrs[i] = *xsk_ring_cons__comp_addr(&a->cq, idx + i);
		xsk_ring_cons__release(&a->cq, n);
		refill(a, addrs, n);
	}
}

/* In copy mode the kernel sends what is on the TX ring only when asked. */
static void kick_tx(struct afxdp *a)
{
	if (sendto(xsk_socket__fd(a->xsk), NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0) {
		a->kick = false;
		return;
	}
	/* EAGAIN: more left than one call sends; EBUSY, ENOBUFS: again later. */
	a->kick = true;
	if (errno != EAGAIN && errno != EBUSY && errno != ENOBUFS && errno != ENETDOWN)
		a->kick_errors++;
}

static void serve_batch(struct afxdp *a, struct osnic_svc *svc)
{
	uint64_t tx_addr[BATCH], drop[BATCH];
	uint32_t tx_len[BATCH], idx, i;
	unsigned int n, ntx = 0, ndrop = 0;

	n = xsk_ring_cons__peek(&a->rx, BATCH, &idx);
	if (!n)
		return;
	for (i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&a->rx, idx + i);
		uint64_t chunk_end = (d->addr & ~(uint64_t)(FRAME_SIZE - 1)) + FRAME_SIZE;
		uint32_t len = serve_frame(a, svc, xsk_umem__get_data(a->area, d->addr), d->len,
					   chunk_end - d->addr);

		if (len) {
			tx_addr[ntx] = d->addr;
			tx_len[ntx++] = len;
		} else {
			drop[ndrop++] = d->addr;
		}
	}
	xsk_ring_cons__release(&a->rx, n);
	a->rx_frames += n;
	if (ntx && xsk_ring_prod__reserve(&a->tx, ntx, &idx) != ntx) {
		/* The TX ring is full: these replies are lost. */
		memcpy(drop + ndrop, tx_addr, ntx * sizeof(tx_addr[0]));
		ndrop += ntx;
		a->drops += ntx;
		ntx = 0;
	}
	for (i = 0; i < ntx; i++) {
		struct xdp_desc *d = xsk_ring_prod__tx_desc(&a->tx, idx + i);

		d->addr = tx_addr[i];
		d->len = tx_len[i];
	}
	if (ntx) {
		xsk_ring_prod__submit(&a->tx, ntx);
		a->tx_frames += ntx;
		a->kick = true;
	}
	refill(a, drop, ndrop);
}

static void afxdp_close(struct afxdp *a)
{
	int err;

	if (a->xsk)
		xsk_socket__delete(a->xsk);
	if (a->umem)
		xsk_umem__delete(a->umem);
	if (a->area)
		munmap(a->area, (size_t)NUM_FRAMES * FRAME_SIZE);
	if (a->attached) {
		err = xdp_program__detach(a->prog, a->ifindex, XDP_MODE_NATIVE, 0);
		if (err)
			fprintf(stderr, "afxdp: cannot detach its XDP program: %s\n",
				strerror(-err));
	}
	xdp_program__close(a->prog);
	afxdp_filter__destroy(a->skel);
}

static int afxdp_open(struct afxdp *a, const char *ifname, int queue, int port)
{
	struct xsk_umem_config ucfg = {
		.fill_size = NUM_FRAMES,
		.comp_size = NUM_FRAMES,
		.frame_size = FRAME_SIZE,
	};
	struct xsk_socket_config scfg = {
		.rx_size = RING_SIZE,
		.tx_size = RING_SIZE,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.xdp_flags = XDP_FLAGS_DRV_MODE,
		.bind_flags = XDP_COPY,
	};
	struct xdp_program_opts xopts = { .sz = sizeof(xopts), .prog_name = "afxdp_filter" };
	uint64_t addrs[BATCH];
	const char *what;
	int err, i, j;

	a->ifindex = if_nametoindex(ifname);
	if (!a->ifindex) {
		err = -errno;
		what = "no such interface";
		goto fail;
	}
	what = "cannot open its XDP program";
	a->skel = afxdp_filter__open();
	if (!a->skel) {
		err = -errno;
		goto fail;
	}
	a->skel->rodata->afxdp_port = htons(port);
	xopts.obj = a->skel->obj;
	a->prog = xdp_program__create(&xopts);
	err = libxdp_get_error(a->prog);
	if (err) {
		a->prog = NULL;
		goto fail;
	}
	what = "cannot attach its XDP program (native mode, through libxdp)";
	err = xdp_program__attach(a->prog, a->ifindex, XDP_MODE_NATIVE, 0);
	if (err)
		goto fail;
	a->attached = true;

	what = "cannot create the UMEM";
	a->area = mmap(NULL, (size_t)NUM_FRAMES * FRAME_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a->area == MAP_FAILED) {
		a->area = NULL;
		err = -errno;
		goto fail;
	}
	err = xsk_umem__create(&a->umem, a->area, (uint64_t)NUM_FRAMES * FRAME_SIZE, &a->fq, &a->cq,
			       &ucfg);
	if (err) {
		a->umem = NULL;
		goto fail;
	}
	what = "cannot create the AF_XDP socket (copy mode)";
	err = xsk_socket__create(&a->xsk, ifname, queue, a->umem, &a->rx, &a->tx, &scfg);
	if (err) {
		a->xsk = NULL;
		goto fail;
	}
	what = "cannot put the socket in xsks_map";
	err = xsk_socket__update_xskmap(a->xsk, bpf_map__fd(a->skel->maps.xsks_map));
	if (err)
		goto fail;
	for (i = 0; i < NUM_FRAMES; i += BATCH) {
		for (j = 0; j < BATCH; j++)
			addrs[j] = (uint64_t)(i + j) * FRAME_SIZE;
		refill(a, addrs, BATCH);
	}
	return 0;
fail:
	fprintf(stderr, "Error: afxdp on %s queue %d: %s: %s\n", ifname, queue, what,
		strerror(err < 0 ? -err : err));
	afxdp_close(a);
	return err < 0 ? err : -err;
}

int afxdp_serve(struct osnic_svc *svc, const char *ifname, int queue, int port, int cpu,
		volatile sig_atomic_t *stopping)
{
	struct afxdp a = {};

	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	if (afxdp_open(&a, ifname, queue, port))
		return 1;
	printf("osnic-bench-server: mode afxdp, %s queue %d, port %d\n", ifname, queue, port);
	fflush(stdout);
	while (!*stopping) {
		reap_completions(&a);
		serve_batch(&a, svc);
		if (a.kick)
			kick_tx(&a);
	}
	fprintf(stderr,
		"afxdp: rx %llu tx %llu bad %llu no reply %llu drops %llu kick errors %llu\n",
		a.rx_frames, a.tx_frames, a.bad, a.no_reply, a.drops, a.kick_errors);
	afxdp_close(&a);
	return 0;
}
