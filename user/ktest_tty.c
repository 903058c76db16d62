/* The console tty from user space (KTAP): termios ioctls, the line discipline through TIOCSTI
 * (input "as if typed", processed by the same n_tty as the UART's), raw-mode VMIN/VTIME,
 * O_NONBLOCK, ISIG's flush, and the process-group syscalls with the job-control ioctls.
 * Runs under ktest=el0 (a child of PID 1, in PID 1's session 0, the console nobody's
 * controlling tty) and on Debian's Linux 6.1 as init (tools/run_tests.py linux_tests: PID 1
 * with /dev/console as fds 0-2 and no controlling tty): every case must pass on both.
 * Echo is turned off while input is injected, so that the KTAP output stays clean; the
 * termios it found is restored at the end. Exits with the number of failed suites. */
#include "lib/ktap.h"

#define EAGAIN 11
#define EACCES 13

#define __NR_fcntl 25
#define __NR_setpgid 154
#define __NR_getpgid 155
#define __NR_getsid 156
#define __NR_setsid 157
#define __NR_rt_sigpending 136
#define __NR_clone 220
#define __NR_execve 221
#define __NR_wait4 260
#define __NR_waitid 95
#define CLONE_VM 0x100
#define CLONE_VFORK 0x4000
#define SIGCHLD 17

#define TCSETS 0x5402
#define TCSETSW 0x5403
#define TCSETSF 0x5404
#define TCFLSH 0x540B
#define TIOCSCTTY 0x540E
#define TIOCGPGRP 0x540F
#define TIOCSPGRP 0x5410
#define TIOCSTI 0x5412
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414
#define FIONREAD 0x541B
#define FIONBIO 0x5421
#define TIOCNOTTY 0x5422
#define TIOCGETD 0x5424
#define TIOCGSID 0x5429

#define F_GETFL 3
#define F_SETFL 4
#define O_NONBLOCK 04000

#define ISIG 01
#define ICANON 02
#define ECHO 010
#define NOFLSH 0200
#define ICRNL 0400
#define IXON 02000
#define VTIME 5
#define VMIN 6

#define SIGHUP 1
#define SIGINT 2
#define SIGCONT 18

struct termios {
	unsigned c_iflag, c_oflag, c_cflag, c_lflag;
	unsigned char c_line, c_cc[19];
};
struct winsize {
	unsigned short ws_row, ws_col, ws_xpixel, ws_ypixel;
};
struct k_sigaction {
	unsigned long handler, flags, restorer, mask;
};

static long ioctl(int fd, unsigned long cmd, const void *arg) { return syscall3(__NR_ioctl, fd, cmd, arg); }
static long ioctl_int(int fd, unsigned long cmd, long v) { return syscall3(__NR_ioctl, fd, cmd, v); }

static struct termios saved;

static int get(struct termios *t) { return (int)ioctl(0, TCGETS, t); }
static int set_lflag(unsigned on, unsigned off)
{
	struct termios t;
	if (get(&t))
		return -1;
	t.c_lflag = (t.c_lflag | on) & ~off;
	return (int)ioctl(0, TCSETS, &t);
}
static int set_cc(int i, unsigned char v)
{
	struct termios t;
	if (get(&t))
		return -1;
	t.c_cc[i] = v;
	return (int)ioctl(0, TCSETS, &t);
}
/* Back to what the program found, with echo off and nothing pending. */
static void reset(void)
{
	struct termios t = saved;
	t.c_lflag &= ~ECHO;
	ioctl(0, TCSETSF, &t);
}

/* Types s into the console's input as TIOCSTI does; the number of bytes that went in. */
static int type(const char *s)
{
	int n = 0;
	for (; *s; s++, n++)
		if (ioctl(0, TIOCSTI, s))
			break;
	return n;
}
static int inq(void)
{
	int n = -1;
	long r = ioctl(0, FIONREAD, &n);
	return r ? (int)r : n;
}
/* One read() into buf (NUL-terminated); its result. */
static long rd(char *buf, size_t n)
{
	long r = sys_read(0, buf, n);
	buf[r > 0 ? r : 0] = 0;
	return r;
}

static void sigact(int sig, unsigned long handler)
{
	struct k_sigaction a = {handler, 0, 0, 0};
	syscall4(__NR_rt_sigaction, sig, &a, 0, 8);
}

/* ---- termios ------------------------------------------------------------------------------ */

static void t_defaults(void)
{
	struct termios t;
	ASSERT_EQ(get(&t), 0);
	ktap_log("c_iflag %#o c_oflag %#o c_cflag %#o c_lflag %#o", t.c_iflag, t.c_oflag, t.c_cflag, t.c_lflag);
	EXPECT_EQ(t.c_iflag, 0400 | 02000);              /* ICRNL | IXON */
	EXPECT_EQ(t.c_oflag, 01 | 04);                   /* OPOST | ONLCR */
	EXPECT_EQ(t.c_lflag, 0105073);                   /* ISIG ICANON ECHO ECHOE ECHOK ECHOCTL ECHOKE IEXTEN */
	EXPECT_EQ(t.c_cflag & 0260, 0260);               /* CS8 | CREAD */
	static const unsigned char cc[17] = {3, 034, 0177, 025, 4, 0, 1, 0, 021, 023, 032, 0, 022, 017, 027, 026, 0};
	for (int i = 0; i < 17; i++)
		EXPECT_EQ(t.c_cc[i], cc[i]);
	int ldisc = -1;
	EXPECT_EQ(ioctl(0, TIOCGETD, &ldisc), 0);
	EXPECT_EQ(ldisc, 0); /* N_TTY */
}

static void t_set_roundtrip(void)
{
	struct termios t, u;
	ASSERT_EQ(get(&t), 0);
	t.c_lflag &= ~(ECHO | ICANON);
	t.c_cc[VMIN] = 5;
	t.c_cc[VTIME] = 7;
	EXPECT_EQ(ioctl(1, TCSETSW, &t), 0); /* fds 0-2 are one tty */
	ASSERT_EQ(ioctl(2, TCGETS, &u), 0);
	EXPECT_EQ(u.c_lflag, t.c_lflag);
	EXPECT_EQ(u.c_cc[VMIN], 5);
	EXPECT_EQ(u.c_cc[VTIME], 7);
	EXPECT_EQ(ioctl(0, TCSETS, (void *)8), -EFAULT);
	EXPECT_EQ(ioctl(0, TCGETS, (void *)8), -EFAULT);
	reset();
	ASSERT_EQ(get(&u), 0);
	EXPECT_EQ(u.c_lflag, saved.c_lflag & ~ECHO);
}

static void t_ioctl_errors(void)
{
	struct termios t;
	EXPECT_EQ(ioctl(0, 0x54ff, &t), -ENOTTY);
	EXPECT_EQ(ioctl(0, 0x1234, 0), -ENOTTY);
	EXPECT_EQ(ioctl(9, TCGETS, &t), -EBADF);
	EXPECT_EQ(ioctl_int(0, TCFLSH, 3), -EINVAL);
	EXPECT_EQ(ioctl(0, FIONREAD, (void *)8), -EFAULT);
}

static void t_winsize(void)
{
	struct winsize w0, w = {30, 100, 0, 0}, r;
	ASSERT_EQ(ioctl(0, TIOCGWINSZ, &w0), 0);
	ktap_log("winsize %u x %u", w0.ws_row, w0.ws_col);
	ASSERT_EQ(ioctl(0, TIOCSWINSZ, &w), 0);
	ASSERT_EQ(ioctl(1, TIOCGWINSZ, &r), 0);
	EXPECT_EQ(r.ws_row, 30);
	EXPECT_EQ(r.ws_col, 100);
	EXPECT_EQ(ioctl(0, TIOCSWINSZ, &w0), 0);
	EXPECT_EQ(ioctl(0, TIOCGWINSZ, (void *)8), -EFAULT);
}

/* ---- the line discipline ---------------------------------------------------------------- */

static void t_canonical_editing(void)
{
	char b[64];
	reset();
	EXPECT_EQ(inq(), 0);
	EXPECT_EQ(type("abc\x7f\x7f" "d\n"), 7); /* VERASE */
	EXPECT_EQ(rd(b, sizeof(b)), 3);
	EXPECT(strcmp(b, "ad\n") == 0);
	type("junk\x15ok\n"); /* VKILL */
	EXPECT_EQ(rd(b, sizeof(b)), 3);
	EXPECT(strcmp(b, "ok\n") == 0);
	type("foo bar \x17" "baz\n"); /* VWERASE */
	EXPECT_EQ(rd(b, sizeof(b)), 8);
	EXPECT(strcmp(b, "foo baz\n") == 0);
	type("cr\r"); /* ICRNL */
	EXPECT_EQ(rd(b, sizeof(b)), 3);
	EXPECT(strcmp(b, "cr\n") == 0);
	type("\x16\x03\n"); /* VLNEXT quotes ^C */
	EXPECT_EQ(rd(b, sizeof(b)), 2);
	EXPECT_EQ(b[0], 3);
	reset();
}

static void t_canonical_reads(void)
{
	char b[64];
	reset();
	type("partial");
	EXPECT_EQ(inq(), 0); /* no line yet */
	type("\n" "second\n" "th");
	EXPECT_EQ(inq(), 15); /* two complete lines */
	EXPECT_EQ(rd(b, 3), 3); /* a short read takes part of the line... */
	EXPECT(strcmp(b, "par") == 0);
	EXPECT_EQ(rd(b, sizeof(b)), 5); /* ...the next the rest, and no more than the line */
	EXPECT(strcmp(b, "tial\n") == 0);
	EXPECT_EQ(rd(b, sizeof(b)), 7);
	EXPECT(strcmp(b, "second\n") == 0);
	type("\x04"); /* VEOF ends "th" without a newline */
	EXPECT_EQ(rd(b, sizeof(b)), 2);
	EXPECT(strcmp(b, "th") == 0);
	type("\x04"); /* at the line start: end of file */
	EXPECT_EQ(rd(b, sizeof(b)), 0);
	type("x\x04y\n");
	EXPECT_EQ(inq(), 3); /* the EOF character is not counted */
	EXPECT_EQ(ioctl_int(0, TCFLSH, 0), 0); /* TCIFLUSH */
	EXPECT_EQ(inq(), 0);
	reset();
}

static void t_raw_mode(void)
{
	char b[64];
	reset();
	type("pend");
	EXPECT_EQ(set_lflag(0, ICANON), 0); /* the partial line becomes readable */
	EXPECT_EQ(inq(), 4);
	set_cc(VMIN, 0);
	set_cc(VTIME, 0);
	EXPECT_EQ(rd(b, 2), 2);
	EXPECT(strcmp(b, "pe") == 0);
	EXPECT_EQ(rd(b, sizeof(b)), 2);
	EXPECT(strcmp(b, "nd") == 0);
	EXPECT_EQ(rd(b, sizeof(b)), 0); /* VMIN 0, VTIME 0: nothing there, at once */
	type("a\x7f\x15\n"); /* no editing in raw mode */
	set_cc(VMIN, 2);
	EXPECT_EQ(rd(b, sizeof(b)), 4); /* VMIN met: all that is there */
	EXPECT(memcmp(b, "a\x7f\x15\n", 4) == 0);
	type("q");
	set_cc(VMIN, 0);
	set_cc(VTIME, 1); /* 0.1 s for the whole read: the byte is there */
	EXPECT_EQ(rd(b, sizeof(b)), 1);
	EXPECT_EQ(set_lflag(ICANON, 0), 0);
	type("zz");
	EXPECT_EQ(set_lflag(0, ICANON), 0);
	type("\r"); /* ICRNL applies in raw mode too */
	set_cc(VMIN, 0);
	set_cc(VTIME, 0);
	EXPECT_EQ(rd(b, sizeof(b)), 3);
	EXPECT(strcmp(b, "zz\n") == 0);
	reset();
}

static void t_nonblock(void)
{
	char b[8];
	reset();
	long fl = syscall2(__NR_fcntl, 0, F_GETFL);
	ASSERT(fl >= 0);
	EXPECT_EQ(fl & 3, 2); /* O_RDWR */
	EXPECT_EQ(syscall3(__NR_fcntl, 0, F_SETFL, fl | O_NONBLOCK), 0);
	EXPECT_EQ(syscall2(__NR_fcntl, 1, F_GETFL) & O_NONBLOCK, O_NONBLOCK); /* one open file */
	type("no newline");
	EXPECT_EQ(sys_read(0, b, sizeof(b)), -EAGAIN);
	EXPECT_EQ(syscall3(__NR_fcntl, 0, F_SETFL, fl), 0);
	int on = 1;
	EXPECT_EQ(ioctl(0, FIONBIO, &on), 0);
	EXPECT_EQ(sys_read(0, b, sizeof(b)), -EAGAIN);
	on = 0;
	EXPECT_EQ(ioctl(0, FIONBIO, &on), 0);
	EXPECT_EQ(syscall2(__NR_fcntl, 0, F_GETFL) & O_NONBLOCK, 0);
	reset();
}

static void t_isig_flush(void)
{
	char b[64];
	reset();
	sigact(SIGINT, 1); /* SIG_IGN: only the flush shows */
	type("abc\x03" "d\n");
	EXPECT_EQ(rd(b, sizeof(b)), 2);
	EXPECT(strcmp(b, "d\n") == 0);
	EXPECT_EQ(set_lflag(NOFLSH, 0), 0);
	type("abc\x03" "d\n");
	EXPECT_EQ(rd(b, sizeof(b)), 5);
	EXPECT(strcmp(b, "abcd\n") == 0);
	EXPECT_EQ(set_lflag(0, ISIG), 0);
	type("\x03\n");
	EXPECT_EQ(rd(b, sizeof(b)), 2);
	EXPECT_EQ(b[0], 3);
	sigact(SIGINT, 0);
	reset();
}

/* ---- process groups and sessions -------------------------------------------------------- */

static void t_pgrp_syscalls(void)
{
	long pid = sys_getpid();
	long pgid = syscall1(__NR_getpgid, 0), sid = syscall1(__NR_getsid, 0);
	ktap_log("pid %ld pgid %ld sid %ld", pid, pgid, sid);
	EXPECT(pgid >= 0);
	EXPECT(sid >= 0);
	EXPECT_EQ(syscall1(__NR_getpgid, pid), pgid);
	EXPECT_EQ(syscall1(__NR_getsid, pid), sid);
	EXPECT_EQ(syscall1(__NR_getpgid, -1), -ESRCH);
	EXPECT_EQ(syscall1(__NR_getsid, -5), -ESRCH);
	EXPECT_EQ(syscall1(__NR_getpgid, 0x7fffffff), -ESRCH);
	EXPECT_EQ(syscall2(__NR_setpgid, 0, -1), -EINVAL);
	EXPECT_EQ(syscall2(__NR_setpgid, 0x7ffffff0, 0), -ESRCH);
	EXPECT_EQ(syscall2(__NR_setpgid, 0, 0x7ffffff0), -EPERM); /* no such group in our session */
	/* Without a controlling tty the job-control ioctls are ENOTTY. */
	int v = -1;
	if (ioctl(0, TIOCGPGRP, &v) == -ENOTTY) {
		EXPECT_EQ(ioctl(0, TIOCGSID, &v), -ENOTTY);
		v = (int)pid;
		EXPECT_EQ(ioctl(0, TIOCSPGRP, &v), -ENOTTY);
	} else {
		ktap_log("the console is our controlling tty (foreground %d)", v);
	}
}

/* Last: it leaves this process a session leader. */
static void t_session(void)
{
	long pid = sys_getpid();
	if (syscall1(__NR_getsid, 0) == pid) {
		ktap_skip("already a session leader");
		return;
	}
	if (syscall1(__NR_getpgid, 0) == pid) {
		/* Run by a shell, in a group of its own: setsid needs a pid no group uses. */
		EXPECT_EQ(syscall0(__NR_setsid), -EPERM);
		ktap_skip("a process group leader cannot make a session");
		return;
	}
	EXPECT_EQ(syscall0(__NR_setsid), pid);
	EXPECT_EQ(syscall1(__NR_getsid, 0), pid);
	EXPECT_EQ(syscall1(__NR_getpgid, 0), pid);
	EXPECT_EQ(syscall0(__NR_setsid), -EPERM);       /* already a leader */
	EXPECT_EQ(syscall2(__NR_setpgid, 0, 0), -EPERM); /* a session leader cannot move */
	int v = -1;
	EXPECT_EQ(ioctl(0, TIOCGPGRP, &v), -ENOTTY); /* a new session has no controlling tty */
	/* The console becomes ours (arg 1: taken from another session if it has one). */
	EXPECT_EQ(ioctl_int(0, TIOCSCTTY, 1), 0);
	EXPECT_EQ(ioctl_int(0, TIOCSCTTY, 0), 0); /* already ours */
	EXPECT_EQ(ioctl(0, TIOCGPGRP, &v), 0);
	EXPECT_EQ(v, pid);
	v = -1;
	EXPECT_EQ(ioctl(0, TIOCGSID, &v), 0);
	EXPECT_EQ(v, pid);
	v = (int)pid;
	EXPECT_EQ(ioctl(0, TIOCSPGRP, &v), 0);
	v = -1;
	EXPECT_EQ(ioctl(0, TIOCSPGRP, &v), -EINVAL);
	v = 0x7ffffff0;
	EXPECT_EQ(ioctl(0, TIOCSPGRP, &v), -ESRCH);
	EXPECT_EQ(ioctl(0, TIOCSPGRP, (void *)8), -EFAULT);
	/* ^C now goes to our group: blocked, it stays pending. */
	unsigned long block = 1ul << (SIGINT - 1), pending = 0;
	EXPECT_EQ(syscall4(__NR_rt_sigprocmask, 0 /* SIG_BLOCK */, &block, 0, 8), 0);
	reset();
	type("gone\x03");
	EXPECT_EQ(inq(), 0);
	EXPECT_EQ(syscall2(__NR_rt_sigpending, &pending, 8), 0);
	EXPECT_EQ(pending & block, block);
	sigact(SIGINT, 1); /* discards it */
	EXPECT_EQ(syscall4(__NR_rt_sigprocmask, 1 /* SIG_UNBLOCK */, &block, 0, 8), 0);
	sigact(SIGINT, 0);
	/* Giving the console up sends SIGHUP and SIGCONT to the foreground group: us. */
	sigact(SIGHUP, 1);
	EXPECT_EQ(ioctl(0, TIOCNOTTY, 0), 0);
	EXPECT_EQ(ioctl(0, TIOCGPGRP, &v), -ENOTTY);
	EXPECT_EQ(ioctl(0, TIOCNOTTY, 0), -ENOTTY);
	sigact(SIGHUP, 0);
}

static long wait_status(long pid)
{
	int st = -1;
	long r = syscall4(__NR_wait4, pid, &st, 0, 0);
	return r == pid ? st : r;
}

/* Children: their parent moves them between groups until they exec (then EACCES), and a
 * child that is not a group leader may make a session of its own. A child that already
 * exited is still there for setpgid until it is reaped, so these do not race with it. */
static void t_children(void)
{
	long me = sys_getpid(), pg = syscall1(__NR_getpgid, 0), sid = syscall1(__NR_getsid, 0);
	long c = syscall5(__NR_clone, SIGCHLD, 0, 0, 0, 0);
	if (c == 0)
		sys_exit_group(0);
	ASSERT(c > 0);
	EXPECT_EQ(syscall2(__NR_setpgid, c, c), 0);
	EXPECT_EQ(syscall1(__NR_getpgid, c), c);
	EXPECT_EQ(syscall1(__NR_getsid, c), sid);
	if (pg > 0) {
		EXPECT_EQ(syscall2(__NR_setpgid, c, pg), 0); /* back into ours */
		EXPECT_EQ(syscall1(__NR_getpgid, c), pg);
	}
	EXPECT_EQ(syscall2(__NR_setpgid, c, 0x7ffffff0), -EPERM);
	EXPECT_EQ(wait_status(c), 0);
	EXPECT_EQ(syscall1(__NR_getpgid, c), -ESRCH); /* reaped: gone */

	/* setsid in a child: a new session and group, both its pid. */
	c = syscall5(__NR_clone, SIGCHLD, 0, 0, 0, 0);
	if (c == 0) {
		long p = sys_getpid();
		int ok = syscall0(__NR_setsid) == p && syscall1(__NR_getsid, 0) == p && syscall1(__NR_getpgid, 0) == p &&
			 syscall0(__NR_setsid) == -EPERM;
		sys_exit_group(ok ? 0 : 1);
	}
	ASSERT(c > 0);
	EXPECT_EQ(wait_status(c), 0);

	/* After its exec the parent may no longer move it (vfork: back once the exec is done). */
	char *argv[] = {__argv[0], "--exit", 0};
	c = syscall5(__NR_clone, CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
	if (c == 0) {
		syscall3(__NR_execve, __argv[0], argv, __envp);
		sys_exit_group(127);
	}
	ASSERT(c > 0);
	/* vfork returns once the exec replaced the address space, before Linux's begin_new_exec
	 * clears PF_FORKNOEXEC: wait (without reaping) for the child's exit to be past it. */
	unsigned long info[16];
	EXPECT_EQ(syscall5(__NR_waitid, 1 /* P_PID */, c, info, 4 | 0x01000000 /* WEXITED|WNOWAIT */, 0), 0);
	EXPECT_EQ(syscall2(__NR_setpgid, c, c), -EACCES);
	EXPECT_EQ(wait_status(c), 0);
	(void)me;
}

static const struct ktest_case termios_cases[] = {
	{"defaults", t_defaults},
	{"set_roundtrip", t_set_roundtrip},
	{"ioctl_errors", t_ioctl_errors},
	{"winsize", t_winsize},
};
static const struct ktest_case ldisc_cases[] = {
	{"canonical_editing", t_canonical_editing},
	{"canonical_reads", t_canonical_reads},
	{"raw_mode", t_raw_mode},
	{"nonblock", t_nonblock},
	{"isig_flush", t_isig_flush},
};
static const struct ktest_case jobctl_cases[] = {
	{"pgrp_syscalls", t_pgrp_syscalls},
	{"session", t_session},
	{"children", t_children},
};
static const struct ktest_suite suites[] = {
	KTEST_SUITE("tty_termios", termios_cases),
	KTEST_SUITE("tty_ldisc", ldisc_cases),
	KTEST_SUITE("tty_jobctl", jobctl_cases),
};

int main(int argc, char **argv, char **envp)
{
	if (argc > 1 && strcmp(argv[1], "--exit") == 0)
		return 0; /* t_children's exec'ed child */
	if (get(&saved)) {
		sys_write(1, "ktest_tty: fd 0 is not a tty\n", 29);
		return 1;
	}
	int failed = ktap_run(suites, (int)(sizeof(suites) / sizeof(suites[0])));
	ioctl(0, TCSETSF, &saved);
	return failed;
}
