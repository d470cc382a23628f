// SPDX-License-Identifier: GPL-2.0-only
/*
 * A stand-in application for tests/integration/ctl.sh: it speaks osnicd's
 * protocol through lib/ctl.c the way libosnic does, one step per argument,
 * and prints one line per step ("ok KEY=VALUE..." or "err ERRNO-NAME msg").
 *
 *   ctl_app STEP...
 *     register                 app-register
 *     service PORT [PROG VERS] service-add (procs 0-3), remembers the id
 *     worker                   worker-add for the last service, on a new thread
 *     end-worker               the last worker's thread returns (the process lives)
 *     open [PATH]              bpf_obj_get the last worker's ring, or PATH
 *     del-service ID           service-del of any id (for EPERM tests)
 *     del-worker ID            worker-del of any id
 *     deregister               app-deregister
 *     wait                     block until stdin closes (the test kills us)
 *
 * Exit status: 0 if every step succeeded, 1 at the first failure (2: usage).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include <osnic/ctl.h>

static pid_t worker_tid, end_tid;
static pthread_t last_thread;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;

/* Runs until end-worker names it. */
static void *worker_thread(void *arg)
{
	pid_t me = syscall(SYS_gettid);

	pthread_mutex_lock(&lock);
	worker_tid = me;
	pthread_cond_broadcast(&cond);
	while (end_tid != me)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	return NULL;
}

static pid_t start_thread(void)
{
	pthread_t t;

	worker_tid = 0;
	if (pthread_create(&t, NULL, worker_thread, NULL))
		return 0;
	last_thread = t;
	pthread_mutex_lock(&lock);
	while (!worker_tid)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	return worker_tid;
}

static int report(struct osnic_ctl *ctl, int err, const char *step)
{
	const char *msg = osnic_ctl_errmsg(ctl);

	if (!err)
		return 0;
	printf("err %s %s: %s\n", strerrorname_np(-err) ?: "?", step, msg ? msg : strerror(-err));
	fflush(stdout);
	return 1;
}

static int run_steps(struct osnic_ctl *ctl, int argc, char **argv)
{
	uint32_t service_id = 0, worker_id = 0, id;
	char ring[128] = "";
	int i, err;

	for (i = 1; i < argc; i++) {
		const char *step = argv[i];

		if (!strcmp(step, "register")) {
			err = osnic_ctl_app_register(ctl, &id);
			if (report(ctl, err, step))
				return 1;
			printf("ok app=%u\n", id);
		} else if (!strcmp(step, "service") && i + 1 < argc) {
			struct osnic_ctl_service svc = {
				.prog = 0x20001234, .vers = 1, .procs = 0xf,
			};

			svc.port = atoi(argv[++i]);
			if (i + 2 < argc && atoi(argv[i + 1]) > 0) {
				svc.prog = strtoul(argv[++i], NULL, 0);
				svc.vers = strtoul(argv[++i], NULL, 0);
			}
			err = osnic_ctl_service_add(ctl, &svc, &service_id);
			if (report(ctl, err, step))
				return 1;
			printf("ok service=%u\n", service_id);
		} else if (!strcmp(step, "worker")) {
			pid_t tid = start_thread();

			err = osnic_ctl_worker_add(ctl, service_id, tid, &worker_id, ring,
						   sizeof(ring));
			if (report(ctl, err, step))
				return 1;
			printf("ok worker=%u tid=%d ring=%s\n", worker_id, tid, ring);
		} else if (!strcmp(step, "end-worker")) {
			pid_t tid = worker_tid;

			pthread_mutex_lock(&lock);
			end_tid = tid;
			pthread_cond_broadcast(&cond);
			pthread_mutex_unlock(&lock);
			pthread_join(last_thread, NULL);
			printf("ok ended tid=%d\n", tid);
		} else if (!strcmp(step, "open")) {
			int fd;

			if (i + 1 < argc && argv[i + 1][0] == '/')
				snprintf(ring, sizeof(ring), "%s", argv[++i]);
			fd = bpf_obj_get(ring);

			if (fd < 0) {
				printf("err %s open %s\n", strerrorname_np(errno), ring);
				return 1;
			}
			close(fd);
			printf("ok opened=%s\n", ring);
		} else if (!strcmp(step, "del-service") && i + 1 < argc) {
			err = osnic_ctl_service_del(ctl, strtoul(argv[++i], NULL, 0));
			if (report(ctl, err, step))
				return 1;
			printf("ok\n");
		} else if (!strcmp(step, "del-worker") && i + 1 < argc) {
			err = osnic_ctl_worker_del(ctl, strtoul(argv[++i], NULL, 0));
			if (report(ctl, err, step))
				return 1;
			printf("ok\n");
		} else if (!strcmp(step, "deregister")) {
			err = osnic_ctl_app_deregister(ctl);
			if (report(ctl, err, step))
				return 1;
			printf("ok\n");
		} else if (!strcmp(step, "wait")) {
			char c;

			printf("ok waiting\n");
			while (read(0, &c, 1) > 0)
				;
		} else {
			fprintf(stderr, "ctl_app: unknown step %s\n", step);
			return 2;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct osnic_ctl *ctl;
	int err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	err = osnic_ctl_open(&ctl);
	if (err) {
		printf("err %s open\n", strerrorname_np(-err));
		return 1;
	}
	err = run_steps(ctl, argc, argv);
	osnic_ctl_close(ctl);
	return err;
}
