/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test builder for ONC RPC call messages: a spec with defaults for every
 * field (a zeroed spec is a valid AUTH_NONE call of program 0 version 0
 * procedure 0) and mutations that break one thing at a time.
 */
#ifndef OSNIC_TESTS_RPCBUILD_H
#define OSNIC_TESTS_RPCBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct call_spec {
	uint32_t xid;
	uint32_t msg_type;		/* 0: CALL */
	uint32_t rpcvers;		/* 0: 2 */
	uint32_t prog, vers, proc;
	uint32_t cred_flavor;
	const void *cred;		/* raw credential body */
	uint32_t cred_len;
	uint32_t verf_flavor;
	uint32_t verf_len;		/* body of zeros */
	const void *args;
	size_t args_len;
	bool rpcvers_zero;		/* really send rpcvers 0 */
};

/* Returns the message length, 0 if it does not fit. */
size_t build_call(const struct call_spec *s, uint8_t *buf, size_t cap);

/* An AUTH_SYS body; returns its length, 0 if it does not fit. */
size_t build_authsys(uint32_t stamp, const char *machine, uint32_t uid, uint32_t gid,
		     const uint32_t *gids, uint32_t ngids, uint8_t *buf, size_t cap);

/* Big-endian helpers for checking replies. */
uint32_t be32_at(const uint8_t *p, size_t word);

#endif /* OSNIC_TESTS_RPCBUILD_H */
