// SPDX-License-Identifier: GPL-2.0-only
/*
 * /proc and pidfd helpers: who a process is (start time, capabilities,
 * name), whether a thread still runs, the pidfds that tell osnicd when an
 * application or a worker thread exits, and the pid file by which
 * applications in a user namespace recognise osnicd. Kept apart so that the
 * rest reads as policy.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include "osnicd.h"

int proc_start_time(uint32_t pid, uint64_t *start)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd, i;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: count from the last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return -EIO;
	/* After ')' come fields 3 (state) ... 22 (starttime). */
	for (i = 3; i <= 22 && p; i++)
		p = strchr(p + 1, ' ');
	if (!p)
		return -EIO;
	*start = strtoull(p, NULL, 10);
	return 0;
}

/* Whether the process has cap in its effective set. */
bool proc_has_cap(uint32_t pid, int cap)
{
	char path[64], line[256];
	bool has = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "CapEff:", 7)) {
			has = (strtoull(line + 7, NULL, 16) >> cap) & 1;
			break;
		}
	fclose(f);
	return has;
}

bool may_admin(const struct ucred *cred)
{
	return cred->uid == 0 || proc_has_cap(cred->pid, CAP_NET_ADMIN);
}

uint32_t unpriv_port_start(void)
{
	unsigned int v = 1024;
	FILE *f;

	f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "re");
	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = 1024;
		fclose(f);
	}
	return v;
}

int pidfd_open(uint32_t pid)
{
	return syscall(SYS_pidfd_open, pid, 0);
}

/*
 * <linux/pidfd.h> has it since Linux 6.9, but cannot be included beside
 * glibc's <fcntl.h> (struct flock twice): the same value, O_EXCL.
 */
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

int thread_pidfd_open(uint32_t tid)
{
	return syscall(SYS_pidfd_open, tid, PIDFD_THREAD);
}

static char pid_file[128];

int pidfile_write(void)
{
	char tmp[sizeof(pid_file) + 8];
	uint64_t start;
	struct stat st;
	FILE *f;
	int err;

	if (stat("/proc/self/ns/net", &st))
		return -errno;
	snprintf(pid_file, sizeof(pid_file), OSNIC_PID_FILE_FMT, (unsigned long long)st.st_ino);
	err = proc_start_time(getpid(), &start);
	if (err)
		return err;
	snprintf(tmp, sizeof(tmp), "%s.new", pid_file);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fchmod(fileno(f), 0644);
	fprintf(f, "%d %llu\n", getpid(), (unsigned long long)start);
	if (fclose(f) || rename(tmp, pid_file)) {
		err = -errno;
		unlink(tmp);
		return err;
	}
	return 0;
}

/* Only if it names this process (another osnicd may have taken over). */
void pidfile_remove(void)
{
	unsigned int pid = 0;
	FILE *f;

	if (!pid_file[0])
		return;
	f = fopen(pid_file, "re");
	if (!f)
		return;
	if (fscanf(f, "%u", &pid) == 1 && pid == (unsigned int)getpid())
		unlink(pid_file);
	fclose(f);
}

void proc_comm(uint32_t pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(buf, len, "?");
	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

bool thread_alive(uint32_t pid, uint32_t tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%u/task/%u", pid, tid);
	return access(path, F_OK) == 0;
}
