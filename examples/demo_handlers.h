/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The demo service (examples/demo.x), written once and served by every
 * transport of osnic-demo-server:
 *  - the logic (demo_*), transport-free;
 *  - osnic handlers over osnic's XDR cursors (demo_osnic_procs);
 *  - the procedures rpcgen's dispatch function calls (demo_*_1_svc, declared
 *    in the generated demo.h), for libtirpc's svc_run and for osnic's
 *    SVCXPRT adapter.
 */
#ifndef OSNIC_DEMO_HANDLERS_H
#define OSNIC_DEMO_HANDLERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "demo.h"

#include <osnic/osnic.h>

/* SPIN never runs longer than this, whatever the caller asks. */
#define DEMO_SPIN_MAX_USEC	1000000
/* PUT's answer when the table has no room for a new key. */
#define DEMO_PUT_FULL		28	/* ENOSPC */
#define DEMO_TABLE_SLOTS	1024

/* Bit n: procedure n of DEMO_VERS. */
#define DEMO_PROC_MASK		0x3fULL

int64_t demo_add(int64_t a, int64_t b);
int demo_put(const char *key, size_t key_len, const void *value, size_t len);
/* Copies the value (at most DEMO_MAX_VALUE bytes) into value; false if absent. */
bool demo_get(const char *key, size_t key_len, void *value, uint32_t *len);
uint32_t demo_spin(uint32_t usec);

extern const struct osnic_proc demo_osnic_procs[];
extern const size_t demo_osnic_nprocs;

/* rpcgen's dispatch function (build/gen/demo_svc.c, rpcgen -m -M). */
void demo_prog_1(struct svc_req *rqstp, SVCXPRT *transp);

#endif /* OSNIC_DEMO_HANDLERS_H */
