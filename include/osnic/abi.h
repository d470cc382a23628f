/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * osnic ABI: the layouts and limits shared by the BPF programs and user
 * space. This header is the single definition of every struct that crosses
 * that boundary; never redeclare one elsewhere.
 *
 * BPF code includes it after vmlinux.h (which provides the __u* types);
 * user space gets them from <linux/types.h>.
 */
#ifndef OSNIC_ABI_H
#define OSNIC_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Where osnicd pins its objects. */
#define OSNIC_PIN_DIR "/sys/fs/bpf/osnic"

/*
 * Receive counters kept by the XDP program, one slot each in the per-CPU
 * array map `rx_counters`. User space sums the per-CPU values.
 */
enum osnic_rx_counter {
	OSNIC_RX_PACKETS = 0,	/* every frame seen */
	OSNIC_RX_NOT_IP,	/* not IPv4/IPv6 (ARP, LLDP, ...): passed */
	OSNIC_RX_NOT_UDP,	/* IP but not UDP: passed */
	OSNIC_RX_MALFORMED,	/* truncated or inconsistent L2-L4 headers */
	OSNIC_RX_FRAGMENT,	/* IP fragments: passed to the kernel to reassemble */
	OSNIC_RX_UDP,		/* well-formed UDP datagrams */
	OSNIC_RX__MAX,
};

/* `port_packets`: per-CPU array indexed by UDP destination port (host order). */
#define OSNIC_NR_PORTS 65536

#endif /* OSNIC_ABI_H */
