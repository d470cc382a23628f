/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ONC RPC version 2 protocol constants (RFC 5531), shared by the XDP
 * program (which decodes calls and builds error replies) and user space.
 */
#ifndef OSNIC_RPC_H
#define OSNIC_RPC_H

#define RPC_VERSION		2

enum rpc_msg_type { RPC_CALL = 0, RPC_REPLY = 1 };
enum rpc_reply_stat { RPC_MSG_ACCEPTED = 0, RPC_MSG_DENIED = 1 };

/*
 * libtirpc's enum clnt_stat (<rpc/clnt_stat.h>) also names RPC_SUCCESS, with
 * the same value 0. A file that uses both includes <rpc/rpc.h> first, and
 * RPC_SUCCESS is then libtirpc's.
 */
enum rpc_accept_stat {
#ifndef _RPC_CLNT_STAT_H
	RPC_SUCCESS = 0,
#endif
	RPC_PROG_UNAVAIL = 1,
	RPC_PROG_MISMATCH = 2,	/* followed by low and high version */
	RPC_PROC_UNAVAIL = 3,
	RPC_GARBAGE_ARGS = 4,
	RPC_SYSTEM_ERR = 5,
};

enum rpc_reject_stat {
	RPC_RPC_MISMATCH = 0,	/* followed by low and high RPC version */
	RPC_AUTH_ERROR = 1,	/* followed by an auth_stat */
};

enum rpc_auth_flavor { RPC_AUTH_NONE = 0, RPC_AUTH_SYS = 1 };

enum rpc_auth_stat {
	RPC_AUTH_OK = 0,
	RPC_AUTH_BADCRED = 1,
	RPC_AUTH_REJECTEDCRED = 2,
	RPC_AUTH_BADVERF = 3,
	RPC_AUTH_REJECTEDVERF = 4,
	RPC_AUTH_TOOWEAK = 5,
};

/* Largest opaque_auth body (RFC 5531: opaque body<400>). */
#define RPC_MAX_AUTH_BYTES	400
/* AUTH_SYS (authsys_parms): machinename<255>, at most 16 gids. */
#define RPC_AUTHSYS_MAX_MACHINENAME 255
#define RPC_AUTHSYS_MAX_GIDS	16

/* xid, msg_type, rpcvers, prog, vers, proc, cred (flavor,len), verf (flavor,len) */
#define RPC_CALL_MIN_HDR	40

#endif /* OSNIC_RPC_H */
