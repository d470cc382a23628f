// SPDX-License-Identifier: GPL-2.0-only
/*
 * scx_error: make the kernel eject the running sched_ext scheduler with an
 * error exit (SCX_EXIT_ERROR_BPF), as if the scheduler had called
 * scx_bpf_error(), by running tests/bpf/progs/scx_error.bpf.c. For the VM
 * tests (tests/integration/sched.sh): osnicd must treat it as the
 * scheduler's own error. Exit status 0 when the kernel took the error, 1
 * when it could not be raised (no sched_ext, the program refused).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "scx_error.skel.h"

int main(void)
{
	LIBBPF_OPTS(bpf_test_run_opts, run);
	struct scx_error *skel;
	int err;

	skel = scx_error__open_and_load();
	if (!skel) {
		fprintf(stderr, "scx_error: loading the program: %s\n", strerror(errno));
		return 1;
	}
	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.scx_error), &run);
	if (err || (int)run.retval) {
		fprintf(stderr, "scx_error: running the program: %s (retval %d)\n",
			err ? strerror(errno) : "ok", (int)run.retval);
		scx_error__destroy(skel);
		return 1;
	}
	scx_error__destroy(skel);
	return 0;
}
