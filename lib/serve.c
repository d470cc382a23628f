// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * One call in, one reply out: the part of the worker loop that does not
 * touch a ring or a socket, so that unit tests can drive it directly.
 *
 * The reply is built in place: the handler encodes its results at offset
 * OSNIC_RPC_ACCEPTED_HDR of the reply buffer, and the accepted-reply header
 * (xid, REPLY, MSG_ACCEPTED, AUTH_NONE verifier, accept_stat) is written in
 * front of them once the handler's verdict is known; for any verdict but
 * SUCCESS (and PROG_MISMATCH, whose body is the version range) the results
 * are cut off. Nothing is copied.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include <osnic/rpcmsg.h>

#include "internal.h"

static ssize_t reply_accepted(uint8_t *reply, size_t cap, uint32_t xid, enum osnic_rpc_accept_stat stat,
			      size_t body_len)
{
	struct xdr_enc xe;

	xdr_enc_init(&xe, reply, cap);
	if (osnic_rpc_encode_accepted(&xe, xid, stat))
		return -EMSGSIZE;
	return xe.pos + body_len;
}

static ssize_t reply_auth_error(uint8_t *reply, size_t cap, uint32_t xid, uint32_t why)
{
	struct xdr_enc xe;

	xdr_enc_init(&xe, reply, cap);
	if (osnic_rpc_encode_auth_error(&xe, xid, why))
		return -EMSGSIZE;
	return xe.pos;
}

/* Run the handler of call->proc in svc and encode the whole reply. */
static ssize_t run_call(struct osnic_svc *svc, struct osnic_call *call, const uint8_t *args,
			size_t args_len, uint8_t *reply, size_t cap,
			struct osnic_worker_counters *c)
{
	const struct osnic_proc *p = NULL;
	struct xdr_dec dec;
	struct xdr_enc res;
	int rc;

	if (cap < OSNIC_RPC_MIN_REPLY)
		return -EMSGSIZE;
	call->svc = svc;
	call->data = svc->data;
	if (call->proc < OSNIC_MAX_PROCS && svc->procs[call->proc].handler)
		p = &svc->procs[call->proc];
	else if (svc->any_proc.handler)
		p = &svc->any_proc;
	if (!p) {
		/* Every program answers NULLPROC, even without a handler for it. */
		if (call->proc == 0) {
			if (args_len) {
				CNT_INC(c, garbage_args);
				return reply_accepted(reply, cap, call->xid, OSNIC_RPC_GARBAGE_ARGS, 0);
			}
			return reply_accepted(reply, cap, call->xid, OSNIC_RPC_SUCCESS, 0);
		}
		CNT_INC(c, proc_unavail);
		return reply_accepted(reply, cap, call->xid, OSNIC_RPC_PROC_UNAVAIL, 0);
	}
	if (p->max_arg_bytes && args_len > p->max_arg_bytes) {
		CNT_INC(c, garbage_args);
		return reply_accepted(reply, cap, call->xid, OSNIC_RPC_GARBAGE_ARGS, 0);
	}

	xdr_dec_init(&dec, args, args_len);
	xdr_enc_init(&res, reply + OSNIC_RPC_ACCEPTED_HDR, cap - OSNIC_RPC_ACCEPTED_HDR);
	rc = p->handler(call, &dec, &res);
	if (rc == OSNIC_RPC_SUCCESS && !osnic_args_done(&dec))
		rc = OSNIC_RPC_GARBAGE_ARGS;

	switch (rc) {
	case OSNIC_RPC_SUCCESS:
		return reply_accepted(reply, cap, call->xid, OSNIC_RPC_SUCCESS, res.pos);
	case OSNIC_RPC_PROG_MISMATCH:
		/* The handler encoded low and high. */
		if (res.pos == 8) {
			CNT_INC(c, prog_mismatch);
			return reply_accepted(reply, cap, call->xid, OSNIC_RPC_PROG_MISMATCH, 8);
		}
		break;
	case OSNIC_RPC_GARBAGE_ARGS:
		CNT_INC(c, garbage_args);
		return reply_accepted(reply, cap, call->xid, rc, 0);
	case OSNIC_RPC_PROG_UNAVAIL:
		CNT_INC(c, prog_unavail);
		return reply_accepted(reply, cap, call->xid, rc, 0);
	case OSNIC_RPC_PROC_UNAVAIL:
		CNT_INC(c, proc_unavail);
		return reply_accepted(reply, cap, call->xid, rc, 0);
	case OSNIC_RPC_SYSTEM_ERR:
		break;
	case OSNIC_REPLY_NONE:
		CNT_INC(c, no_reply);
		return 0;
	default:
		if ((rc & ~0xff) == OSNIC_REPLY_AUTH_ERROR(0) && (rc & 0xff) >= OSNIC_RPC_AUTH_BADCRED &&
		    (rc & 0xff) <= OSNIC_RPC_AUTH_TOOWEAK) {
			CNT_INC(c, rpc_denied);
			return reply_auth_error(reply, cap, call->xid, rc & 0xff);
		}
		break;
	}
	/* SYSTEM_ERR, and whatever a handler returned that is not a verdict. */
	CNT_INC(c, system_err);
	return reply_accepted(reply, cap, call->xid, OSNIC_RPC_SYSTEM_ERR, 0);
}

/* Present IPv4-mapped IPv6 addresses as what they are: IPv4. */
static void set_client(struct osnic_call *call, const struct sockaddr *from, socklen_t fromlen)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)from;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&call->client;

	if (!from || fromlen > sizeof(call->client)) {
		call->client_len = 0;
		return;
	}
	if (from->sa_family == AF_INET6 && fromlen >= sizeof(*s6) &&
	    IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		memset(s4, 0, sizeof(*s4));
		s4->sin_family = AF_INET;
		s4->sin_port = s6->sin6_port;
		memcpy(&s4->sin_addr, &s6->sin6_addr.s6_addr[12], 4);
		call->client_len = sizeof(*s4);
		return;
	}
	memcpy(&call->client, from, fromlen);
	call->client_len = fromlen;
}

ssize_t osnic_serve_datagram(struct osnic_svc *svc, const void *msg, size_t len,
			     const struct sockaddr *from, socklen_t fromlen, void *reply, size_t cap,
			     struct osnic_worker_counters *c)
{
	struct osnic_rpc_call rc;
	struct osnic_call call;
	struct osnic_svc *s, *target = NULL;
	uint32_t low = UINT32_MAX, high = 0;
	bool prog_found = false;
	struct xdr_enc xe;
	ssize_t n;

	if (cap < OSNIC_RPC_MIN_REPLY)
		return -EMSGSIZE;
	xdr_enc_init(&xe, reply, cap);
	switch (osnic_rpc_decode_call(msg, len, &rc)) {
	case OSNIC_CALL_OK:
		break;
	case OSNIC_CALL_RPC_MISMATCH:
		CNT_INC(c, rpc_denied);
		osnic_rpc_encode_rpc_mismatch(&xe, rc.xid, OSNIC_RPC_VERSION, OSNIC_RPC_VERSION);
		return xe.pos;
	case OSNIC_CALL_AUTH_ERROR:
		CNT_INC(c, rpc_denied);
		osnic_rpc_encode_auth_error(&xe, rc.xid, rc.auth_stat);
		return xe.pos;
	case OSNIC_CALL_DROP:
	default:
		CNT_INC(c, sock_dropped);
		return 0;
	}
	CNT_INC(c, sock_calls);

	memset(&call, 0, sizeof(call));
	call.xid = rc.xid;
	call.prog = rc.prog;
	call.vers = rc.vers;
	call.proc = rc.proc;
	call.cred_flavor = rc.cred_flavor;
	if (rc.cred_flavor == OSNIC_RPC_AUTH_SYS) {
		call.uid = rc.authsys.uid;
		call.gid = rc.authsys.gid;
		call.authsys = &rc.authsys;
	}
	set_client(&call, from, fromlen);

	if (rc.prog == svc->prog && rc.vers == svc->vers)
		return run_call(svc, &call, rc.args, rc.args_len, reply, cap, c);

	/* Another service of this application on the same port, or none. */
	pthread_rwlock_rdlock(&svc->ctx->svc_lock);
	for (s = svc->ctx->services; s; s = s->next) {
		if (s->port != svc->port || s->prog != rc.prog)
			continue;
		if (s->vers == rc.vers)
			target = s;
		prog_found = true;
		low = s->vers < low ? s->vers : low;
		high = s->vers > high ? s->vers : high;
	}
	if (target) {
		n = run_call(target, &call, rc.args, rc.args_len, reply, cap, c);
	} else if (prog_found) {
		CNT_INC(c, prog_mismatch);
		osnic_rpc_encode_prog_mismatch(&xe, rc.xid, low, high);
		n = xe.pos;
	} else {
		CNT_INC(c, prog_unavail);
		osnic_rpc_encode_accepted(&xe, rc.xid, OSNIC_RPC_PROG_UNAVAIL);
		n = xe.pos;
	}
	pthread_rwlock_unlock(&svc->ctx->svc_lock);
	return n;
}

ssize_t osnic_serve_record(struct osnic_svc *svc, const void *rec, size_t len,
			   struct sockaddr_storage *to, socklen_t *tolen, void *reply, size_t cap,
			   struct osnic_worker_counters *c)
{
	struct osnic_call_desc d;
	struct osnic_call call;
	struct sockaddr_in *s4;
	struct sockaddr_in6 *s6;

	/* The descriptor is copied out once: read each field exactly one time. */
	if (len < OSNIC_ARGS_OFF)
		goto malformed;
	memcpy(&d, rec, sizeof(d));
	if (d.arg_len > len - OSNIC_ARGS_OFF || d.service_id != svc->id)
		goto malformed;

	memset(&call, 0, sizeof(call));
	switch (d.family) {
	case AF_INET:
		s4 = (struct sockaddr_in *)&call.client;
		s4->sin_family = AF_INET;
		s4->sin_port = d.client_port;
		memcpy(&s4->sin_addr, d.client_addr, 4);
		call.client_len = sizeof(*s4);
		break;
	case AF_INET6:
		s6 = (struct sockaddr_in6 *)&call.client;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = d.client_port;
		memcpy(&s6->sin6_addr, d.client_addr, 16);
		s6->sin6_scope_id = IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr) ? d.rx_ifindex : 0;
		call.client_len = sizeof(*s6);
		break;
	default:
		goto malformed;
	}
	memcpy(to, &call.client, call.client_len);
	*tolen = call.client_len;

	CNT_INC(c, ring_calls);
	call.xid = ntohl(d.xid);
	call.prog = svc->prog;
	call.vers = svc->vers;
	call.proc = d.proc;
	call.cred_flavor = d.cred_flavor;
	if (d.cred_flavor == OSNIC_RPC_AUTH_SYS) {
		call.uid = d.uid;
		call.gid = d.gid;
	}
	call.via_ring = true;
	call.rx_cpu = d.rx_cpu;
	call.rx_ns = d.rx_ns;
	return run_call(svc, &call, (const uint8_t *)rec + OSNIC_ARGS_OFF, d.arg_len, reply, cap, c);

malformed:
	CNT_INC(c, ring_malformed);
	return 0;
}
