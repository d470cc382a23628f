// SPDX-License-Identifier: GPL-2.0-only
/*
 * Raises a sched_ext error against whatever scheduler runs, as the
 * scheduler's own scx_bpf_error() would: the kernel ejects it with kind
 * SCX_EXIT_ERROR_BPF. sched_ext offers scx_bpf_error to BPF_PROG_TYPE_SYSCALL
 * programs; run with BPF_PROG_TEST_RUN (tests/integration/scx_error.c).
 * Only for the VM tests: the host kernel has no sched_ext and cannot load it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

extern void scx_bpf_error_bstr(char *fmt, unsigned long long *data, __u32 data__sz) __ksym __weak;

/* The kernel prints it; tests match it in the scheduler's exit message. */
static char fmt[] = "osnic test: error forced from a syscall program";

SEC("syscall")
int scx_error(void *ctx)
{
	unsigned long long param[1] = { 0 }; /* fmt takes none; the kernel wants some */

	if (!bpf_ksym_exists(scx_bpf_error_bstr))
		return -1;
	scx_bpf_error_bstr(fmt, param, sizeof(param));
	return 0;
}
