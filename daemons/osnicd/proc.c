// SPDX-License-Identifier: GPL-2.0-only
/*
 * /proc and pidfd helpers: who a process is (start time, capabilities,
 * name), whether a thread still runs, and the pidfd that tells osnicd when
 * an application exits. Kept apart so that the rest reads as policy.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
