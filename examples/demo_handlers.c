// SPDX-License-Identifier: GPL-2.0-only
/*
 * The demo service's procedures, once for all transports (demo_handlers.h).
 *
 * PUT and GET share one table: open addressing over DEMO_TABLE_SLOTS
 * slots, FNV-1a hash, linear probing, no deletion, one mutex. Worker
 * threads call it concurrently; the table is small and the critical
 * sections are copies of at most 1 KiB.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "demo_handlers.h"

struct demo_entry {
	bool used;
	uint16_t key_len;
	uint16_t value_len;
	char key[DEMO_MAX_KEY];
	uint8_t value[DEMO_MAX_VALUE];
};

static struct demo_entry demo_table[DEMO_TABLE_SLOTS];
static pthread_mutex_t demo_table_lock = PTHREAD_MUTEX_INITIALIZER;

static uint32_t demo_hash(const char *key, size_t len)
{
	uint32_t h = 2166136261u;

	while (len--)
		h = (h ^ (uint8_t)*key++) * 16777619u;
	return h;
}

/* The slot holding key, or the free slot where it would go; NULL when full. */
static struct demo_entry *demo_find(const char *key, size_t key_len)
{
	uint32_t i, h = demo_hash(key, key_len);
	struct demo_entry *e;

	for (i = 0; i < DEMO_TABLE_SLOTS; i++) {
		e = &demo_table[(h + i) % DEMO_TABLE_SLOTS];
		if (!e->used || (e->key_len == key_len && !memcmp(e->key, key, key_len)))
			return e;
	}
	return NULL;
}

int64_t demo_add(int64_t a, int64_t b)
{
	/* Wraps like the hardware does, without signed overflow. */
	return (int64_t)((uint64_t)a + (uint64_t)b);
}

int demo_put(const char *key, size_t key_len, const void *value, size_t len)
{
	struct demo_entry *e;

	if (key_len > DEMO_MAX_KEY || len > DEMO_MAX_VALUE)
		return DEMO_PUT_FULL;
	pthread_mutex_lock(&demo_table_lock);
	e = demo_find(key, key_len);
	if (e) {
		e->used = true;
		e->key_len = key_len;
		memcpy(e->key, key, key_len);
		e->value_len = len;
		if (len)
			memcpy(e->value, value, len);
	}
	pthread_mutex_unlock(&demo_table_lock);
	return e ? 0 : DEMO_PUT_FULL;
}

bool demo_get(const char *key, size_t key_len, void *value, uint32_t *len)
{
	struct demo_entry *e;
	bool found = false;

	if (key_len > DEMO_MAX_KEY)
		return false;
	pthread_mutex_lock(&demo_table_lock);
	e = demo_find(key, key_len);
	if (e && e->used) {
		memcpy(value, e->value, e->value_len);
		*len = e->value_len;
		found = true;
	}
	pthread_mutex_unlock(&demo_table_lock);
	return found;
}

uint32_t demo_spin(uint32_t usec)
{
	uint32_t todo = usec < DEMO_SPIN_MAX_USEC ? usec : DEMO_SPIN_MAX_USEC;
	struct timespec now, end;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_nsec += (long)(todo % 1000000) * 1000;
	end.tv_sec += todo / 1000000 + end.tv_nsec / 1000000000;
	end.tv_nsec %= 1000000000;
	do {
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec < end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec < end.tv_nsec));
	return usec;
}

/* ---- osnic handlers --------------------------------------------------------- */

static int demo_osnic_echo(const struct osnic_call *call, struct xdr_dec *args,
			   struct xdr_enc *res)
{
	const uint8_t *data;
	uint32_t len;

	if (xdr_dec_opaque(args, &data, &len, DEMO_MAX_ECHO) || !osnic_args_done(args))
		return OSNIC_RPC_GARBAGE_ARGS;
	return xdr_enc_opaque(res, data, len, DEMO_MAX_ECHO) ? OSNIC_RPC_SYSTEM_ERR : OSNIC_RPC_SUCCESS;
}

static int demo_osnic_add(const struct osnic_call *call, struct xdr_dec *args,
			  struct xdr_enc *res)
{
	int64_t a, b;

	if (xdr_dec_hyper(args, &a) || xdr_dec_hyper(args, &b) || !osnic_args_done(args))
		return OSNIC_RPC_GARBAGE_ARGS;
	return xdr_enc_hyper(res, demo_add(a, b)) ? OSNIC_RPC_SYSTEM_ERR : OSNIC_RPC_SUCCESS;
}

static int demo_osnic_put(const struct osnic_call *call, struct xdr_dec *args,
			  struct xdr_enc *res)
{
	const uint8_t *value;
	uint32_t key_len, len;
	const char *key;

	if (xdr_dec_string(args, &key, &key_len, DEMO_MAX_KEY) ||
	    xdr_dec_opaque(args, &value, &len, DEMO_MAX_VALUE) || !osnic_args_done(args))
		return OSNIC_RPC_GARBAGE_ARGS;
	return xdr_enc_int(res, demo_put(key, key_len, value, len)) ? OSNIC_RPC_SYSTEM_ERR
								     : OSNIC_RPC_SUCCESS;
}

static int demo_osnic_get(const struct osnic_call *call, struct xdr_dec *args,
			  struct xdr_enc *res)
{
	uint8_t value[DEMO_MAX_VALUE];
	uint32_t key_len, len;
	const char *key;
	int err;

	if (xdr_dec_string(args, &key, &key_len, DEMO_MAX_KEY) || !osnic_args_done(args))
		return OSNIC_RPC_GARBAGE_ARGS;
	if (demo_get(key, key_len, value, &len))
		err = xdr_enc_int(res, 1) || xdr_enc_opaque(res, value, len, DEMO_MAX_VALUE);
	else
		err = xdr_enc_int(res, 0);
	return err ? OSNIC_RPC_SYSTEM_ERR : OSNIC_RPC_SUCCESS;
}

static int demo_osnic_spin(const struct osnic_call *call, struct xdr_dec *args,
			   struct xdr_enc *res)
{
	uint32_t usec;

	if (xdr_dec_uint(args, &usec) || !osnic_args_done(args))
		return OSNIC_RPC_GARBAGE_ARGS;
	return xdr_enc_uint(res, demo_spin(usec)) ? OSNIC_RPC_SYSTEM_ERR : OSNIC_RPC_SUCCESS;
}

/* NULLPROC needs no handler: osnic answers it (XDP, or the runtime). */
const struct osnic_proc demo_osnic_procs[] = {
	{ DEMO_ECHO, demo_osnic_echo, 4 + DEMO_MAX_ECHO },
	{ DEMO_ADD, demo_osnic_add, 16 },
	{ DEMO_PUT, demo_osnic_put, 8 + DEMO_MAX_KEY + DEMO_MAX_VALUE },
	{ DEMO_GET, demo_osnic_get, 4 + DEMO_MAX_KEY },
	{ DEMO_SPIN, demo_osnic_spin, 4 },
};

const size_t demo_osnic_nprocs = sizeof(demo_osnic_procs) / sizeof(demo_osnic_procs[0]);

/* ---- rpcgen procedures (rpcgen -M: results in the caller's storage) ----------- */

/*
 * The generated dispatch function frees the result with xdr_free() whatever
 * the procedure returned, so every result is initialised first.
 */
bool_t demo_null_1_svc(void *argp, void *result, struct svc_req *rqstp)
{
	return TRUE;
}

bool_t demo_echo_1_svc(demo_bytes *argp, demo_bytes *result, struct svc_req *rqstp)
{
	result->demo_bytes_len = 0;
	result->demo_bytes_val = NULL;
	if (argp->demo_bytes_len) {
		result->demo_bytes_val = malloc(argp->demo_bytes_len);
		if (!result->demo_bytes_val) {
			svcerr_systemerr(rqstp->rq_xprt);
			return FALSE;
		}
		memcpy(result->demo_bytes_val, argp->demo_bytes_val, argp->demo_bytes_len);
		result->demo_bytes_len = argp->demo_bytes_len;
	}
	return TRUE;
}

bool_t demo_add_1_svc(demo_add_args *argp, quad_t *result, struct svc_req *rqstp)
{
	*result = demo_add(argp->a, argp->b);
	return TRUE;
}

bool_t demo_put_1_svc(demo_put_args *argp, int *result, struct svc_req *rqstp)
{
	*result = demo_put(argp->key, strlen(argp->key), argp->value.value_val,
			   argp->value.value_len);
	return TRUE;
}

bool_t demo_get_1_svc(demo_key *argp, demo_get_result *result, struct svc_req *rqstp)
{
	uint32_t len;
	char *value;

	memset(result, 0, sizeof(*result));
	value = malloc(DEMO_MAX_VALUE);
	if (!value) {
		svcerr_systemerr(rqstp->rq_xprt);
		return FALSE;
	}
	if (demo_get(*argp, strlen(*argp), value, &len)) {
		result->found = 1;
		result->demo_get_result_u.value.value_val = value;
		result->demo_get_result_u.value.value_len = len;
	} else {
		free(value);
	}
	return TRUE;
}

bool_t demo_spin_1_svc(u_int *argp, u_int *result, struct svc_req *rqstp)
{
	*result = demo_spin(*argp);
	return TRUE;
}

int demo_prog_1_freeresult(SVCXPRT *transp, xdrproc_t xdr_result, caddr_t result)
{
	xdr_free(xdr_result, result);
	return 1;
}
