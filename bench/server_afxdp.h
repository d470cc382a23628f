/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * osnic-bench-server --mode afxdp (bench/server_afxdp.c): the demo service
 * on an AF_XDP socket.
 */
#ifndef OSNIC_BENCH_SERVER_AFXDP_H
#define OSNIC_BENCH_SERVER_AFXDP_H

#include <signal.h>

struct osnic_svc;

/*
 * Serves svc's calls to UDP port on ifname's receive queue until *stopping;
 * on cpu if >= 0. Prints its start line (with "port P") once it receives,
 * and its counters at the end. Returns 0, or 1 if it could not start.
 */
int afxdp_serve(struct osnic_svc *svc, const char *ifname, int queue, int port, int cpu,
		volatile sig_atomic_t *stopping);

#endif /* OSNIC_BENCH_SERVER_AFXDP_H */
