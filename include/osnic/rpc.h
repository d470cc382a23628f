/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ONC RPC version 2 protocol constants (RFC 5531), shared by the XDP
 * program (which decodes calls and builds error replies) and user space.
 */
#ifndef OSNIC_RPC_H
#define OSNIC_RPC_H

#define OSNIC_RPC_VERSION		2

enum osnic_rpc_msg_type { OSNIC_RPC_CALL = 0, OSNIC_RPC_REPLY = 1 };
enum osnic_rpc_reply_stat { OSNIC_RPC_MSG_ACCEPTED = 0, OSNIC_RPC_MSG_DENIED = 1 };

enum osnic_rpc_accept_stat {
	OSNIC_RPC_SUCCESS = 0,
	OSNIC_RPC_PROG_UNAVAIL = 1,
	OSNIC_RPC_PROG_MISMATCH = 2,	/* followed by low and high version */
	OSNIC_RPC_PROC_UNAVAIL = 3,
	OSNIC_RPC_GARBAGE_ARGS = 4,
	OSNIC_RPC_SYSTEM_ERR = 5,
};

enum osnic_rpc_reject_stat {
	OSNIC_RPC_RPC_MISMATCH = 0,	/* followed by low and high RPC version */
	OSNIC_RPC_AUTH_ERROR = 1,	/* followed by an auth_stat */
};

enum osnic_rpc_auth_flavor { OSNIC_RPC_AUTH_NONE = 0, OSNIC_RPC_AUTH_SYS = 1 };

enum osnic_rpc_auth_stat {
	OSNIC_RPC_AUTH_OK = 0,
	OSNIC_RPC_AUTH_BADCRED = 1,
	OSNIC_RPC_AUTH_REJECTEDCRED = 2,
	OSNIC_RPC_AUTH_BADVERF = 3,
	OSNIC_RPC_AUTH_REJECTEDVERF = 4,
	OSNIC_RPC_AUTH_TOOWEAK = 5,
};

/* Largest opaque_auth body (RFC 5531: opaque body<400>). */
#define OSNIC_RPC_MAX_AUTH_BYTES	400
/* AUTH_SYS (authsys_parms): machinename<255>, at most 16 gids. */
#define OSNIC_RPC_AUTHSYS_MAX_MACHINENAME 255
#define OSNIC_RPC_AUTHSYS_MAX_GIDS	16

/* xid, msg_type, rpcvers, prog, vers, proc, cred (flavor,len), verf (flavor,len) */
#define OSNIC_RPC_CALL_MIN_HDR	40

#endif /* OSNIC_RPC_H */
