// SPDX-License-Identifier: GPL-2.0-only
/*
 * /proc and pidfd helpers: who a process is (start time, capabilities,
 * /proc and pidfd helpers: who a process is (start time, capabilities,
 * user namespace, name), whether a thread still runs, the pidfds that tell
 * osnicd when an application or a worker thread exits, the pid file by which
 * applications in a user namespace recognise osnicd; and the rule of
 * privilege built on them (caller_may). Kept apart so that the rest reads as
 * policy.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
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

/* The identity of osnicd's own user namespace (st_dev, st_ino). */
static int own_userns(struct stat *st)
{
	static struct stat own;
	static bool known;

	if (!known) {
		if (stat("/proc/self/ns/user", &own))
			return -errno;
		known = true;
	}
	*st = own;
	return 0;
}

/* Uid: and CapEff: of /proc/PID/status. */
static int proc_status(uint32_t pid, uint32_t uids[3], uint64_t *cap_eff)
{
	char path[64], line[256];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Uid:", 4) &&
		    sscanf(line + 4, "%u %u %u", &uids[0], &uids[1], &uids[2]) == 3)
			found |= 1;
		else if (!strncmp(line, "CapEff:", 7)) {
			*cap_eff = strtoull(line + 7, NULL, 16);
			found |= 2;
		}
	}
	fclose(f);
	return found == 3 ? 0 : -EIO;
}

/*
 * What /proc says of the process of cred. A pidfd is opened first, /proc is
 * read, then the pidfd must still show a live process with the same start
 * time: so everything read belongs to one process, not to a successor that
 * reused the pid. The uid of the credentials must be one of the process's
 * (real, effective, saved), else the pid names another process already.
 */
int proc_ident(const struct ucred *cred, struct proc_ident *id)
{
	struct pollfd pfd = { .events = POLLIN };
	struct stat own = { 0 }, ns = { 0 };
	uint64_t again;
	uint32_t uids[3];
	char path[64];
	int err;

	memset(id, 0, sizeof(*id));
	if (!cred->pid)
		return -ESRCH;
	pfd.fd = pidfd_open(cred->pid);
	if (pfd.fd < 0)
		return -errno;
	err = proc_start_time(cred->pid, &id->start_time);
	if (!err)
		err = proc_status(cred->pid, uids, &id->cap_eff);
	snprintf(path, sizeof(path), "/proc/%u/ns/user", cred->pid);
	if (!err && (stat(path, &ns) || own_userns(&own)))
		err = -errno ?: -EIO;
	if (!err)
		id->own_userns = ns.st_dev == own.st_dev && ns.st_ino == own.st_ino;
	if (!err)
		err = proc_start_time(cred->pid, &again);
	/* Still the same process: not exited (POLLIN), same start. */
	if (!err && (poll(&pfd, 1, 0) != 0 || again != id->start_time))
		err = -ESRCH;
	if (!err && cred->uid != uids[0] && cred->uid != uids[1] && cred->uid != uids[2])
		err = -ESRCH;
	close(pfd.fd);
	return err;
}

/* Whether uid's account is a member of gid in the group database. */
static bool uid_in_group(uint32_t uid, uint32_t gid)
{
	char pwbuf[4096], *grbuf;
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	bool member = false;
	char **m;

	if (getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &pwp) || !pwp)
		return false;
	if (pw.pw_gid == gid)
		return true;
	grbuf = malloc(65536);
	if (!grbuf)
		return false;
	if (!getgrgid_r(gid, &gr, grbuf, 65536, &grp) && grp)
		for (m = gr.gr_mem; *m && !member; m++)
			member = !strcmp(*m, pw.pw_name);
	free(grbuf);
	return member;
}

/*
 * The one rule of privilege: uid 0, a member of the admin group, or a
 * process holding cap in osnicd's own user namespace (a capability in a
 * user namespace of the caller's own making counts for nothing here).
 */
bool caller_may(const struct osnicd *d, const struct ucred *cred, int cap)
{
	struct proc_ident id;

	if (cred->uid == 0)
		return true;
	if (d->admin_group && (cred->gid == d->admin_gid || uid_in_group(cred->uid, d->admin_gid)))
		return true;
	if (proc_ident(cred, &id))
		return false;
	return id.own_userns && ((id.cap_eff >> cap) & 1);
}

bool may_admin(const struct osnicd *d, const struct ucred *cred)
{
	return caller_may(d, cred, CAP_NET_ADMIN);
}

/* As may_admin, asked once per datagram (every request of it has its creds). */
bool rq_admin(const struct osnicd *d, struct request *rq)
{
	if (rq->admin && *rq->admin < 0)
		*rq->admin = may_admin(d, rq->cred);
	return rq->admin ? *rq->admin : may_admin(d, rq->cred);
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
