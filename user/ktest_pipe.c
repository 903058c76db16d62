/* Pipes, polling and the character devices from user space (KTAP): pipe2 and its flags,
 * fork + pipe ping-pong, EOF, EPIPE with SIGPIPE, O_NONBLOCK, PIPE_BUF atomicity with two
 * writers, packet mode, F_GETPIPE_SZ/F_SETPIPE_SZ, FIONREAD, FIFOs, ppoll/pselect6 readiness,
 * timeouts and the signal mask swap, and /dev/null, zero, full, random, urandom, kmsg, console
 * and tty through device nodes this program makes itself with mknodat (so that it needs no
 * /dev: on Debian's Linux it runs as /init with only /dev/console).
 * Runs under ktest=el0 and on Debian's Linux 6.1 (tools/run_tests.py linux_tests): every case
 * must pass on both. No case depends on timing: a blocked reader or poller is woken by what a
 * child does, whenever that happens. Exits with the number of failed suites. */
#include "lib/ktap.h"

#define EAGAIN 11
#define ENXIO 6
#define ENOSPC 28
#define ESPIPE 29
#define EPIPE 32
#define EBUSY 16

#define __NR_fcntl 25
#define __NR_mknodat 33
#define __NR_mkdirat 34
#define __NR_unlinkat 35
#define __NR_close 57
#define __NR_pipe2 59
#define __NR_lseek 62
#define __NR_pread64 67
#define __NR_pselect6 72
#define __NR_ppoll 73
#define __NR_fstat 80
#define __NR_clone 220
#define __NR_wait4 260

#define AT_FDCWD -100
#define AT_REMOVEDIR 0x200
#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_NONBLOCK 04000
#define O_DIRECT 0200000
#define O_CLOEXEC 02000000
#define O_NOCTTY 0400
#define S_IFIFO 0010000
#define S_IFCHR 0020000
#define S_IFMT 0170000
#define F_GETFD 1
#define F_SETPIPE_SZ 1031
#define F_GETPIPE_SZ 1032
#define FIONREAD 0x541B
#define SEEK_SET 0
#define SEEK_END 2

#define POLLIN 0x1
#define POLLOUT 0x4
#define POLLERR 0x8
#define POLLHUP 0x10
#define POLLNVAL 0x20

#define SIGCHLD 17
#define SIGUSR1 10
#define SIGPIPE 13
#define SA_RESTORER 0x04000000
#define SIG_BLOCK 0
#define SIG_SETMASK 2
#define M(sig) (1ul << ((sig)-1))

struct pollfd {
	int fd;
	short events, revents;
};
struct kstat {
	unsigned long st_dev, st_ino;
	unsigned st_mode, st_nlink, st_uid, st_gid;
	unsigned long st_rdev, pad1;
	long st_size;
	int st_blksize, pad2;
	long st_blocks;
	long times[6];
	unsigned unused[2];
};
struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	unsigned long mask;
};

static int on_linux;

static long pipe2_(int fds[2], long flags) { return syscall2(__NR_pipe2, fds, flags); }
static long close_(int fd) { return syscall1(__NR_close, fd); }
static long open_(const char *p, long flags) { return syscall4(__NR_openat, AT_FDCWD, p, flags, 0); }
static long fcntl_(int fd, long cmd, long arg) { return syscall3(__NR_fcntl, fd, cmd, arg); }
static long ioctl_(int fd, unsigned long cmd, void *arg) { return syscall3(__NR_ioctl, fd, cmd, arg); }
static long fork_(void) { return syscall5(__NR_clone, SIGCHLD, 0, 0, 0, 0); }
static long wait_(long pid, int *st) { return syscall4(__NR_wait4, pid, st, 0, 0); }
static long lseek_(int fd, long off, int whence) { return syscall3(__NR_lseek, fd, off, whence); }
static long ppoll_(struct pollfd *f, long n, const struct timespec *ts, const unsigned long *mask)
{
	return syscall5(__NR_ppoll, f, n, ts, mask, 8);
}
static __attribute__((noreturn)) void child_exit(int code)
{
	syscall1(__NR_exit_group, code);
	__builtin_unreachable();
}

void sig_restorer(void);
__asm__(".text\n.globl sig_restorer\nsig_restorer:\n\tmov x8, #139\n\tsvc #0\n\tbrk #0x3e8\n");
static long sigaction_(int sig, void *handler)
{
	struct ksigaction a = {handler, SA_RESTORER, (void *)sig_restorer, 0};
	return syscall4(__NR_rt_sigaction, sig, &a, 0, 8);
}
static volatile int sig_count[65];
static void count_handler(int sig) { sig_count[sig]++; }

/* Exit status of a child that exited normally, or 1000 + its signal. */
static int reap(long pid)
{
	int st = 0;
	if (wait_(pid, &st) != pid)
		return -1;
	return (st & 0x7f) ? 1000 + (st & 0x7f) : (st >> 8) & 0xff;
}

/* --- pipes ------------------------------------------------------------------------------------ */

static void test_basic(void)
{
	int p[2] = {-1, -1};
	ASSERT_EQ(pipe2_(p, 0), 0);
	EXPECT(p[0] >= 0 && p[1] == p[0] + 1);
	EXPECT_EQ(sys_write(p[1], "hello", 5), 5);
	char b[16] = {0};
	EXPECT_EQ(sys_read(p[0], b, sizeof(b)), 5);
	EXPECT(memcmp(b, "hello", 5) == 0);
	/* The ends are one-way: reading the write end and writing the read end fail. */
	EXPECT_EQ(sys_read(p[1], b, 1), -EBADF);
	EXPECT_EQ(sys_write(p[0], "x", 1), -EBADF);
	EXPECT_EQ(lseek_(p[0], 0, SEEK_SET), -ESPIPE);
	EXPECT_EQ(syscall4(__NR_pread64, p[0], b, 1, 0), -ESPIPE);
	struct kstat st;
	EXPECT_EQ(syscall2(__NR_fstat, p[0], &st), 0);
	EXPECT_EQ(st.st_mode & S_IFMT, S_IFIFO);
	EXPECT_EQ(st.st_mode & 0777, 0600);
	EXPECT_EQ(st.st_size, 0);
	EXPECT_EQ(st.st_blksize, 4096);
	ktap_log("pipe st_dev %lu:%lu", (st.st_dev >> 8) & 0xfff, (st.st_dev & 0xff) | ((st.st_dev >> 12) & ~0xfful));
	EXPECT_EQ(close_(p[0]), 0);
	EXPECT_EQ(close_(p[1]), 0);
}

static void test_flags(void)
{
	int p[2];
	EXPECT_EQ(pipe2_(p, 0x1), -EINVAL); /* not a pipe2 flag */
	EXPECT_EQ(pipe2_((int *)8, 0), -EFAULT);
	ASSERT_EQ(pipe2_(p, O_CLOEXEC | O_NONBLOCK), 0);
	EXPECT_EQ(fcntl_(p[0], F_GETFD, 0), 1);
	EXPECT_EQ(fcntl_(p[1], F_GETFD, 0), 1);
	EXPECT_EQ(fcntl_(p[0], 3 /* F_GETFL */, 0), O_RDONLY | O_NONBLOCK);
	EXPECT_EQ(fcntl_(p[1], 3, 0), O_WRONLY | O_NONBLOCK);
	close_(p[0]);
	close_(p[1]);
	/* The EFAULT above left no descriptors behind: the next pipe gets the same numbers. */
	int q[2];
	ASSERT_EQ(pipe2_(q, 0), 0);
	EXPECT_EQ(q[0], p[0]);
	close_(q[0]);
	close_(q[1]);
}

/* A byte goes to the child and comes back incremented, 200 times over two pipes. */
static void test_ping_pong(void)
{
	int to[2], from[2];
	ASSERT_EQ(pipe2_(to, 0), 0);
	ASSERT_EQ(pipe2_(from, 0), 0);
	long pid = fork_();
	ASSERT(pid >= 0);
	if (pid == 0) {
		close_(to[1]);
		close_(from[0]);
		unsigned char c;
		long n;
		while ((n = sys_read(to[0], &c, 1)) == 1) {
			c++;
			if (sys_write(from[1], &c, 1) != 1)
				child_exit(2);
		}
		child_exit(n == 0 ? 0 : 3); /* EOF when the parent closed its end */
	}
	close_(to[0]);
	close_(from[1]);
	unsigned char c = 0;
	int ok = 1;
	for (int i = 0; i < 200 && ok; i++) {
		unsigned char want = (unsigned char)(c + 1);
		ok = sys_write(to[1], &c, 1) == 1 && sys_read(from[0], &c, 1) == 1 && c == want;
	}
	EXPECT(ok);
	EXPECT_EQ(c, 200 % 256);
	close_(to[1]);
	EXPECT_EQ(reap(pid), 0);
	/* The child's write end is gone: EOF. */
	EXPECT_EQ(sys_read(from[0], &c, 1), 0);
	close_(from[0]);
}

static void test_eof_and_blocked_reader(void)
{
	int p[2];
	ASSERT_EQ(pipe2_(p, 0), 0);
	long pid = fork_();
	ASSERT(pid >= 0);
	if (pid == 0) {
		close_(p[1]);
		char b[8];
		/* Blocks until the parent writes, then sees EOF once the parent closes. */
		long a = sys_read(p[0], b, sizeof(b));
		long z = sys_read(p[0], b, sizeof(b));
		child_exit(a == 3 && z == 0 ? 0 : 1);
	}
	close_(p[0]);
	EXPECT_EQ(sys_write(p[1], "abc", 3), 3);
	close_(p[1]);
	EXPECT_EQ(reap(pid), 0);
}

static void test_epipe_sigpipe(void)
{
	int p[2];
	ASSERT_EQ(pipe2_(p, 0), 0);
	close_(p[0]);
	sig_count[SIGPIPE] = 0;
	ASSERT_EQ(sigaction_(SIGPIPE, (void *)count_handler), 0);
	EXPECT_EQ(sys_write(p[1], "x", 1), -EPIPE);
	EXPECT_EQ(sig_count[SIGPIPE], 1);
	/* Ignored: EPIPE alone. */
	ASSERT_EQ(sigaction_(SIGPIPE, (void *)1 /* SIG_IGN */), 0);
	EXPECT_EQ(sys_write(p[1], "x", 1), -EPIPE);
	EXPECT_EQ(sig_count[SIGPIPE], 1);
	ASSERT_EQ(sigaction_(SIGPIPE, (void *)0 /* SIG_DFL */), 0);
	/* Default action: the writer dies of SIGPIPE. */
	long pid = fork_();
	ASSERT(pid >= 0);
	if (pid == 0) {
		sys_write(p[1], "x", 1);
		child_exit(0);
	}
	EXPECT_EQ(reap(pid), 1000 + SIGPIPE);
	close_(p[1]);
}

/* 16 pages: a non-blocking writer fills exactly 65536 bytes with page-sized writes, then
 * EAGAIN. Smaller writes merge into the last page only while they fit there whole. */
static void test_nonblock_capacity(void)
{
	int p[2];
	ASSERT_EQ(pipe2_(p, O_NONBLOCK), 0);
	char b[4096];
	EXPECT_EQ(sys_read(p[0], b, sizeof(b)), -EAGAIN);
	memset(b, 'z', sizeof(b));
	long total = 0, r;
	while ((r = sys_write(p[1], b, sizeof(b))) > 0)
		total += r;
	EXPECT_EQ(r, -EAGAIN);
	EXPECT_EQ(total, 65536);
	int n = -1;
	EXPECT_EQ(ioctl_(p[0], FIONREAD, &n), 0);
	EXPECT_EQ(n, 65536);
	EXPECT_EQ(fcntl_(p[0], F_GETPIPE_SZ, 0), 65536);
	/* A read that frees no page leaves the pipe full. */
	EXPECT_EQ(sys_read(p[0], b, 1), 1);
	EXPECT_EQ(sys_write(p[1], b, 1), -EAGAIN);
	/* Shrinking below the data is EBUSY; the size stays. */
	EXPECT_EQ(fcntl_(p[1], F_SETPIPE_SZ, 4096), -EBUSY);
	EXPECT_EQ(fcntl_(p[1], F_GETPIPE_SZ, 0), 65536);
	close_(p[0]);
	close_(p[1]);

	/* 1000-byte writes: four to a page (a fifth does not fit whole), so 16 pages hold 64000;
	 * then single bytes top up the last page only: 96 more. */
	ASSERT_EQ(pipe2_(p, O_NONBLOCK), 0);
	total = 0;
	while ((r = sys_write(p[1], b, 1000)) > 0)
		total += r;
	EXPECT_EQ(r, -EAGAIN);
	EXPECT_EQ(total, 64000);
	while ((r = sys_write(p[1], b, 1)) > 0)
		total += r;
	EXPECT_EQ(total, 64096);
	EXPECT_EQ(ioctl_(p[0], FIONREAD, &n), 0);
	EXPECT_EQ(n, 64096);
	close_(p[0]);
	close_(p[1]);
}

static void test_pipe_size(void)
{
	int p[2];
	ASSERT_EQ(pipe2_(p, O_NONBLOCK), 0);
	EXPECT_EQ(fcntl_(p[0], F_SETPIPE_SZ, 0), 4096); /* at least a page */
	EXPECT_EQ(fcntl_(p[0], F_SETPIPE_SZ, 5000), 8192); /* a power of two pages */
	EXPECT_EQ(fcntl_(p[1], F_GETPIPE_SZ, 0), 8192);
	char b[4096] = {0};
	EXPECT_EQ(sys_write(p[1], b, 4096), 4096);
	EXPECT_EQ(sys_write(p[1], b, 4096), 4096);
	EXPECT_EQ(sys_write(p[1], b, 1), -EAGAIN);
	EXPECT_EQ(fcntl_(p[1], F_SETPIPE_SZ, 1L << 20), 1L << 20);
	EXPECT_EQ(sys_write(p[1], b, 1), 1);
	EXPECT_EQ(fcntl_(0x7fff, F_GETPIPE_SZ, 0), -EBADF);
	EXPECT_EQ(fcntl_(p[0], F_SETPIPE_SZ, -1), -EINVAL); /* above 2^31 */
	close_(p[0]);
	close_(p[1]);
	/* Not a pipe: EBADF. */
	long fd = open_("/", O_RDONLY);
	if (fd >= 0) {
		EXPECT_EQ(fcntl_((int)fd, F_GETPIPE_SZ, 0), -EBADF);
		close_((int)fd);
	}
}

/* Two writers, 1000-byte writes of their own letter: every write lands whole (PIPE_BUF), so
 * the stream is whole 1000-byte runs of one letter. */
static void test_pipe_buf_atomicity(void)
{
	enum { WRITES = 150, LEN = 1000 };
	int p[2];
	ASSERT_EQ(pipe2_(p, 0), 0);
	long pids[2];
	for (int w = 0; w < 2; w++) {
		pids[w] = fork_();
		ASSERT(pids[w] >= 0);
		if (pids[w] == 0) {
			close_(p[0]);
			char b[LEN];
			memset(b, 'A' + w, sizeof(b));
			for (int i = 0; i < WRITES; i++)
				if (sys_write(p[1], b, LEN) != LEN)
					child_exit(1);
			child_exit(0);
		}
	}
	close_(p[1]);
	static char all[2 * WRITES * LEN + 1];
	long got = 0, r;
	/* Odd-sized reads: the reader's chunks need not match the writes. */
	while ((r = sys_read(p[0], all + got, sizeof(all) - got < 777 ? sizeof(all) - got : 777)) > 0)
		got += r;
	EXPECT_EQ(r, 0);
	EXPECT_EQ(got, 2 * WRITES * LEN);
	int runs_ok = 1, na = 0, nb = 0;
	for (long i = 0; i + LEN <= got; i += LEN) {
		for (long j = 1; j < LEN; j++)
			if (all[i + j] != all[i])
				runs_ok = 0;
		na += all[i] == 'A';
		nb += all[i] == 'B';
	}
	EXPECT(runs_ok);
	EXPECT_EQ(na, WRITES);
	EXPECT_EQ(nb, WRITES);
	EXPECT_EQ(reap(pids[0]), 0);
	EXPECT_EQ(reap(pids[1]), 0);
	close_(p[0]);
}

/* O_DIRECT: each write is a packet, each read takes one (the rest of a long one is dropped). */
static void test_packet_mode(void)
{
	int p[2];
	ASSERT_EQ(pipe2_(p, O_DIRECT | O_NONBLOCK), 0);
	EXPECT_EQ(sys_write(p[1], "abc", 3), 3);
	EXPECT_EQ(sys_write(p[1], "defg", 4), 4);
	EXPECT_EQ(sys_write(p[1], "hijkl", 5), 5);
	char b[64] = {0};
	EXPECT_EQ(sys_read(p[0], b, sizeof(b)), 3);
	EXPECT(memcmp(b, "abc", 3) == 0);
	EXPECT_EQ(sys_read(p[0], b, 2), 2);
	EXPECT(memcmp(b, "de", 2) == 0);
	EXPECT_EQ(sys_read(p[0], b, sizeof(b)), 5);
	EXPECT(memcmp(b, "hijkl", 5) == 0);
	EXPECT_EQ(sys_read(p[0], b, sizeof(b)), -EAGAIN);
	close_(p[0]);
	close_(p[1]);
}

static void test_efault(void)
{
	int p[2];
	ASSERT_EQ(pipe2_(p, O_NONBLOCK), 0);
	EXPECT_EQ(sys_write(p[1], (void *)8, 10), -EFAULT);
	EXPECT_EQ(sys_read(p[0], (void *)8, 10), -EAGAIN); /* nothing got in */
	EXPECT_EQ(sys_write(p[1], "data", 4), 4);
	EXPECT_EQ(sys_read(p[0], (void *)8, 10), -EFAULT);
	char b[8];
	EXPECT_EQ(sys_read(p[0], b, sizeof(b)), 4); /* a failed copy consumed nothing */
	close_(p[0]);
	close_(p[1]);
}

/* --- FIFOs ---------------------------------------------------------------------------------- */

static const char *dir = "/ktest_pipe.d";

static long mknod_(const char *path, unsigned mode, unsigned major, unsigned minor)
{
	unsigned long dev = (minor & 0xff) | (major << 8) | ((unsigned long)(minor & ~0xffu) << 12);
	return syscall4(__NR_mknodat, AT_FDCWD, path, mode, dev);
}

static void test_fifo(void)
{
	const char *path = "/ktest_pipe.d/fifo";
	char b0[4];
	ASSERT_EQ(mknod_(path, S_IFIFO | 0600, 0, 0), 0);
	/* Without a reader, a non-blocking writer's open is ENXIO; a non-blocking reader opens. */
	EXPECT_EQ(open_(path, O_WRONLY | O_NONBLOCK), -ENXIO);
	long r = open_(path, O_RDONLY | O_NONBLOCK);
	ASSERT(r >= 0);
	/* No writer yet, but none has gone either: no POLLHUP for this reader. */
	struct pollfd pf = {(int)r, POLLIN, 0};
	struct timespec z = {0, 0};
	EXPECT_EQ(syscall5(__NR_ppoll, &pf, 1, &z, 0, 8), 0);
	EXPECT_EQ(pf.revents, 0);
	EXPECT_EQ(sys_read((int)r, b0, sizeof(b0)), 0); /* and read sees end of file */
	long w = open_(path, O_WRONLY | O_NONBLOCK);
	ASSERT(w >= 0);
	EXPECT_EQ(sys_write((int)w, "fifo", 4), 4);
	char b[8] = {0};
	EXPECT_EQ(sys_read((int)r, b, sizeof(b)), 4);
	EXPECT(memcmp(b, "fifo", 4) == 0);
	close_((int)w);
	EXPECT_EQ(sys_read((int)r, b, sizeof(b)), 0);
	/* The writer came and went: now it is a hang-up. */
	EXPECT_EQ(syscall5(__NR_ppoll, &pf, 1, &z, 0, 8), 1);
	EXPECT_EQ(pf.revents, POLLHUP);
	close_((int)r);
	/* Blocking opens meet: the child's writer open waits for the parent's reader. */
	long pid = fork_();
	ASSERT(pid >= 0);
	if (pid == 0) {
		long fd = open_(path, O_WRONLY);
		child_exit(fd >= 0 && sys_write((int)fd, "xy", 2) == 2 ? 0 : 1);
	}
	r = open_(path, O_RDONLY);
	ASSERT(r >= 0);
	long n = 0, k;
	while ((k = sys_read((int)r, b + n, sizeof(b) - n)) > 0)
		n += k;
	EXPECT_EQ(n, 2);
	EXPECT_EQ(reap(pid), 0);
	close_((int)r);
	EXPECT_EQ(syscall3(__NR_unlinkat, AT_FDCWD, path, 0), 0);
}

/* --- poll and select ------------------------------------------------------------------------ */

static const struct timespec zero_ts = {0, 0};

static void test_poll_readiness(void)
{
	int p[2];
	ASSERT_EQ(pipe2_(p, 0), 0);
	struct pollfd f[4] = {{p[0], POLLIN | POLLOUT, 0}, {p[1], POLLIN | POLLOUT, 0}, {-1, POLLIN, 7}, {0x7ff0, POLLIN, 0}};
	EXPECT_EQ(ppoll_(f, 4, &zero_ts, 0), 2);
	EXPECT_EQ(f[0].revents, 0);
	EXPECT_EQ(f[1].revents, POLLOUT);
	EXPECT_EQ(f[2].revents, 0);       /* negative fds are skipped */
	EXPECT_EQ(f[3].revents, POLLNVAL); /* closed ones are POLLNVAL */
	EXPECT_EQ(sys_write(p[1], "x", 1), 1);
	EXPECT_EQ(ppoll_(f, 2, &zero_ts, 0), 2);
	EXPECT_EQ(f[0].revents, POLLIN);
	/* The last writer gone: POLLHUP (with the data still readable). */
	close_(p[1]);
	EXPECT_EQ(ppoll_(f, 1, &zero_ts, 0), 1);
	EXPECT_EQ(f[0].revents, POLLIN | POLLHUP);
	/* POLLHUP is reported even when not asked for. */
	f[0].events = 0;
	EXPECT_EQ(ppoll_(f, 1, &zero_ts, 0), 1);
	EXPECT_EQ(f[0].revents, POLLHUP);
	close_(p[0]);
	/* The last reader gone: the writer sees POLLERR. */
	ASSERT_EQ(pipe2_(p, 0), 0);
	close_(p[0]);
	struct pollfd g = {p[1], POLLOUT, 0};
	EXPECT_EQ(ppoll_(&g, 1, &zero_ts, 0), 1);
	EXPECT_EQ(g.revents, POLLOUT | POLLERR);
	close_(p[1]);
	/* Bad arguments. */
	struct timespec bad = {0, 1000000000};
	EXPECT_EQ(ppoll_(f, 1, &bad, 0), -EINVAL);
	EXPECT_EQ(ppoll_((struct pollfd *)8, 1, &zero_ts, 0), -EFAULT);
	EXPECT_EQ(ppoll_(f, 1L << 20, &zero_ts, 0), -EINVAL); /* above RLIMIT_NOFILE */
	EXPECT_EQ(ppoll_(0, 0, &zero_ts, 0), 0);
}

/* A poller with no timeout sleeps until a child writes (whenever that is). */
static void test_poll_wakeup(void)
{
	int p[2], q[2];
	ASSERT_EQ(pipe2_(p, 0), 0);
	ASSERT_EQ(pipe2_(q, 0), 0);
	long pid = fork_();
	ASSERT(pid >= 0);
	if (pid == 0) {
		close_(p[0]);
		char c;
		/* Wait for the parent's go, so that it is (likely) asleep in ppoll by then. */
		if (sys_read(q[0], &c, 1) != 1)
			child_exit(1);
		if (sys_write(p[1], "w", 1) != 1)
			child_exit(2);
		/* The write end stays open until the parent has polled: its close (the exit) would
		 * add POLLHUP, depending on who ran first. */
		child_exit(sys_read(q[0], &c, 1) == 1 ? 0 : 3);
	}
	close_(p[1]);
	EXPECT_EQ(sys_write(q[1], "g", 1), 1);
	struct pollfd f = {p[0], POLLIN, 0};
	EXPECT_EQ(ppoll_(&f, 1, 0, 0), 1);
	EXPECT_EQ(f.revents, POLLIN);
	EXPECT_EQ(sys_write(q[1], "e", 1), 1);
	EXPECT_EQ(reap(pid), 0);
	close_(p[0]);
	close_(q[0]);
	close_(q[1]);
}

/* ppoll's mask is the one in force while it waits: a blocked SIGUSR1 sent to us is taken as
 * soon as ppoll unblocks it (EINTR, the handler ran) and is blocked again afterwards. */
static void test_ppoll_sigmask(void)
{
	int p[2];
	ASSERT_EQ(pipe2_(p, 0), 0);
	unsigned long block = M(SIGUSR1), old = 0, now = 0;
	ASSERT_EQ(syscall4(__NR_rt_sigprocmask, SIG_BLOCK, &block, &old, 8), 0);
	sig_count[SIGUSR1] = 0;
	ASSERT_EQ(sigaction_(SIGUSR1, (void *)count_handler), 0);
	ASSERT_EQ(syscall2(__NR_kill, sys_getpid(), SIGUSR1), 0);
	EXPECT_EQ(sig_count[SIGUSR1], 0);
	struct pollfd f = {p[0], POLLIN, 0};
	unsigned long unblocked = 0;
	EXPECT_EQ(ppoll_(&f, 1, 0, &unblocked), -EINTR);
	EXPECT_EQ(sig_count[SIGUSR1], 1);
	EXPECT_EQ(syscall4(__NR_rt_sigprocmask, SIG_BLOCK, 0, &now, 8), 0);
	EXPECT_EQ(now & M(SIGUSR1), M(SIGUSR1));
	/* A wrong sigset size is EINVAL. */
	EXPECT_EQ(syscall5(__NR_ppoll, &f, 1, &zero_ts, &unblocked, 4), -EINVAL);
	/* pselect6's sixth argument {sigset pointer, size} does the same. */
	ASSERT_EQ(syscall2(__NR_kill, sys_getpid(), SIGUSR1), 0);
	struct {
		const unsigned long *p;
		unsigned long size;
	} pack = {&unblocked, 8}, badpack = {&unblocked, 16};
	unsigned long in = 1ul << p[0];
	EXPECT_EQ(syscall6(__NR_pselect6, p[0] + 1, &in, 0, 0, 0, &pack), -EINTR);
	EXPECT_EQ(sig_count[SIGUSR1], 2);
	EXPECT_EQ(syscall4(__NR_rt_sigprocmask, SIG_BLOCK, 0, &now, 8), 0);
	EXPECT_EQ(now & M(SIGUSR1), M(SIGUSR1));
	in = 1ul << p[0];
	EXPECT_EQ(syscall6(__NR_pselect6, p[0] + 1, &in, 0, 0, &zero_ts, &badpack), -EINVAL);
	EXPECT_EQ(syscall6(__NR_pselect6, p[0] + 1, &in, 0, 0, &zero_ts, (void *)8), -EFAULT);
	syscall4(__NR_rt_sigprocmask, SIG_SETMASK, &old, 0, 8);
	sigaction_(SIGUSR1, (void *)0);
	close_(p[0]);
	close_(p[1]);
}

static long pselect_(long n, unsigned long *in, unsigned long *out, unsigned long *ex, const struct timespec *ts)
{
	return syscall6(__NR_pselect6, n, in, out, ex, ts, 0);
}

static void test_pselect(void)
{
	int p[2];
	ASSERT_EQ(pipe2_(p, 0), 0);
	unsigned long in = 1ul << p[0], out = 1ul << p[1];
	EXPECT_EQ(pselect_(p[1] + 1, &in, &out, 0, &zero_ts), 1);
	EXPECT_EQ(in, 0);
	EXPECT_EQ(out, 1ul << p[1]);
	EXPECT_EQ(sys_write(p[1], "x", 1), 1);
	in = 1ul << p[0] | 1ul << p[1];
	out = 1ul << p[1];
	/* Each set counts: p[0] readable, p[1] writable; p[1] in the read set is not readable. */
	EXPECT_EQ(pselect_(p[1] + 1, &in, &out, 0, &zero_ts), 2);
	EXPECT_EQ(in, 1ul << p[0]);
	EXPECT_EQ(out, 1ul << p[1]);
	/* The time left is written back: none of a zero timeout, all of a long one (ready now). */
	struct timespec ts = {100, 0};
	in = 1ul << p[0];
	EXPECT_EQ(pselect_(p[0] + 1, &in, 0, 0, &ts), 1);
	EXPECT(ts.tv_sec >= 98 && ts.tv_sec <= 100);
	/* Only bits below n count. */
	in = 1ul << p[0];
	EXPECT_EQ(pselect_(p[0], &in, 0, 0, &zero_ts), 0);
	/* A set bit of a closed fd is EBADF; n < 0 EINVAL; a bad timespec EINVAL. */
	unsigned long bad = 1ul << 40;
	EXPECT_EQ(pselect_(41, &bad, 0, 0, &zero_ts), -EBADF);
	EXPECT_EQ(pselect_(-1, 0, 0, 0, &zero_ts), -EINVAL);
	struct timespec neg = {-1, 0};
	EXPECT_EQ(pselect_(1, 0, 0, 0, &neg), -EINVAL);
	EXPECT_EQ(pselect_(p[0] + 1, (unsigned long *)8, 0, 0, &zero_ts), -EFAULT);
	/* Nothing asked, zero timeout: 0. */
	EXPECT_EQ(pselect_(0, 0, 0, 0, &zero_ts), 0);
	close_(p[0]);
	close_(p[1]);
}

/* --- character devices ------------------------------------------------------------------------- */

static long open_dev(const char *name, unsigned major, unsigned minor, long flags)
{
	char path[64];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	long r = mknod_(path, S_IFCHR | 0666, major, minor);
	if (r && r != -EEXIST)
		return r;
	return open_(path, flags);
}

static void test_dev_null_zero_full(void)
{
	char b[10000];
	long fd = open_dev("null", 1, 3, O_RDWR);
	ASSERT(fd >= 0);
	EXPECT_EQ(sys_read((int)fd, b, sizeof(b)), 0);
	EXPECT_EQ(sys_write((int)fd, b, sizeof(b)), (long)sizeof(b));
	EXPECT_EQ(sys_write((int)fd, (void *)8, 100), 100); /* never looked at */
	EXPECT_EQ(lseek_((int)fd, 123, SEEK_SET), 0);
	struct kstat st;
	EXPECT_EQ(syscall2(__NR_fstat, fd, &st), 0);
	EXPECT_EQ(st.st_mode & S_IFMT, S_IFCHR);
	EXPECT_EQ(st.st_rdev, (1 << 8) | 3);
	close_((int)fd);

	fd = open_dev("zero", 1, 5, O_RDWR);
	ASSERT(fd >= 0);
	memset(b, 0x5a, sizeof(b));
	EXPECT_EQ(sys_read((int)fd, b, sizeof(b)), (long)sizeof(b));
	int zero = 1;
	for (unsigned i = 0; i < sizeof(b); i++)
		zero &= b[i] == 0;
	EXPECT(zero);
	EXPECT_EQ(sys_write((int)fd, b, 5), 5);
	EXPECT_EQ(sys_read((int)fd, (void *)8, 10), -EFAULT);
	close_((int)fd);

	fd = open_dev("full", 1, 7, O_RDWR);
	ASSERT(fd >= 0);
	EXPECT_EQ(sys_write((int)fd, "x", 1), -ENOSPC);
	b[0] = 1;
	EXPECT_EQ(sys_read((int)fd, b, 16), 16);
	EXPECT_EQ(b[0], 0);
	close_((int)fd);

	/* A minor of major 1 without a driver is ENXIO (Linux's memory_open). */
	EXPECT_EQ(open_dev("nodev", 1, 250, O_RDONLY), -ENXIO);
}

static void test_dev_random(void)
{
	unsigned char a[64], b[64];
	long fd = open_dev("urandom", 1, 9, O_RDONLY);
	ASSERT(fd >= 0);
	EXPECT_EQ(sys_read((int)fd, a, sizeof(a)), 64);
	EXPECT_EQ(sys_read((int)fd, b, sizeof(b)), 64);
	EXPECT(memcmp(a, b, sizeof(a)) != 0);
	int nonzero = 0;
	for (unsigned i = 0; i < sizeof(a); i++)
		nonzero |= a[i];
	EXPECT(nonzero);
	static unsigned char big[100000];
	EXPECT_EQ(sys_read((int)fd, big, sizeof(big)), (long)sizeof(big));
	close_((int)fd);
	fd = open_dev("random", 1, 8, O_RDWR);
	ASSERT(fd >= 0);
	EXPECT_EQ(sys_read((int)fd, a, 16), 16);
	EXPECT_EQ(sys_write((int)fd, a, 16), 16); /* mixed into the pool */
	int bits = -1;
	EXPECT_EQ(ioctl_((int)fd, 0x80045200 /* RNDGETENTCNT */, &bits), 0);
	EXPECT_EQ(bits, 256);
	/* Seeded: readable (Linux's random_poll says writable only before that). */
	struct pollfd f = {(int)fd, POLLIN | POLLOUT, 0};
	EXPECT_EQ(ppoll_(&f, 1, &zero_ts, 0), 1);
	EXPECT_EQ(f.revents, POLLIN);
	close_((int)fd);
}

/* "prio,seq,usec,-;text\n": returns the text's offset, or -1 when the line is malformed. */
static int kmsg_parse(const char *s, long n, unsigned long *prio, unsigned long *seq)
{
	char *e;
	*prio = strtoul(s, &e, 10);
	if (*e != ',')
		return -1;
	*seq = strtoul(e + 1, &e, 10);
	if (*e != ',')
		return -1;
	strtoul(e + 1, &e, 10);
	if (e[0] != ',' || e[1] != '-' || e[2] != ';' || s[n - 1] != '\n')
		return -1;
	return (int)(e + 3 - s);
}

static void test_dev_kmsg(void)
{
	long rd = open_dev("kmsg", 1, 11, O_RDONLY | O_NONBLOCK);
	ASSERT(rd >= 0);
	long wr = open_dev("kmsg", 1, 11, O_WRONLY);
	ASSERT(wr >= 0);
	char buf[2048];
	/* From the oldest record: every line is well formed, and sequence numbers go up by one. */
	long n = sys_read((int)rd, buf, sizeof(buf));
	unsigned long prio, seq, last = 0;
	ASSERT(n > 0);
	EXPECT(kmsg_parse(buf, n, &prio, &seq) > 0);
	last = seq;
	n = sys_read((int)rd, buf, sizeof(buf));
	EXPECT(n > 0 && kmsg_parse(buf, n, &prio, &seq) > 0 && seq == last + 1);
	/* From the end: only what is written from now on. */
	EXPECT_EQ(lseek_((int)rd, 0, SEEK_END), 0);
	EXPECT_EQ(lseek_((int)rd, 1, SEEK_SET), -ESPIPE);
	EXPECT_EQ(sys_read((int)rd, buf, sizeof(buf)), -EAGAIN);
	/* Each ends in a newline: Linux keeps a record without one open for continuation, unseen
	 * by readers until the next message. Debug level: below console_loglevel, so that neither kernel prints them on the console. */
	const char *msg = "<15>ktest_pipe: hello kmsg\n";
	EXPECT_EQ(sys_write((int)wr, msg, strlen(msg)), (long)strlen(msg));
	const char *kern = "<7>ktest_pipe: facility 0\n";
	EXPECT_EQ(sys_write((int)wr, kern, strlen(kern)), (long)strlen(kern));
	int found = 0, found_plain = 0, bad = 0;
	/* Other kernel messages may come in between: look for ours among well-formed lines. */
	for (int i = 0; i < 50; i++) {
		n = sys_read((int)rd, buf, sizeof(buf) - 1);
		if (n == -EAGAIN)
			break;
		if (n <= 0) {
			bad++;
			break;
		}
		buf[n] = 0;
		int t = kmsg_parse(buf, n, &prio, &seq);
		if (t >= 0 && strncmp(buf + t, "ktest_pipe", 10) == 0)
			ktap_log("%s", buf);
		if (t < 0) {
			bad++;
			continue;
		}
		if (strcmp(buf + t, "ktest_pipe: hello kmsg\n") == 0)
			found = prio == (1 << 3 | 7); /* LOG_USER | LOG_DEBUG */
		/* Facility 0 is the kernel's: a user's record becomes LOG_USER. */
		if (strcmp(buf + t, "ktest_pipe: facility 0\n") == 0)
			found_plain = prio == (1 << 3 | 7);
	}
	EXPECT(found);
	EXPECT(found_plain);
	EXPECT_EQ(bad, 0);
	/* A record longer than the buffer is EINVAL. */
	EXPECT_EQ(sys_write((int)wr, "<15>ktest_pipe: long enough\n", 28), 28);
	EXPECT_EQ(sys_read((int)rd, buf, 8), -EINVAL);
	/* The write end has no reader state. */
	EXPECT_EQ(sys_read((int)wr, buf, sizeof(buf)), -EBADF);
	close_((int)rd);
	close_((int)wr);
}

/* syslog(2), busybox dmesg's interface to the same log: "<prio>[time] text\n" lines. */
static void test_syslog(void)
{
	enum { READ_ALL = 3, CONSOLE_LEVEL = 8, SIZE_UNREAD = 9, SIZE_BUFFER = 10 };
	long size = syscall3(116, SIZE_BUFFER, 0, 0);
	ktap_log("log buffer %ld bytes", size);
	EXPECT(size >= 4096);
	EXPECT(syscall3(116, SIZE_UNREAD, 0, 0) >= 0);
	long wr = open_dev("kmsg", 1, 11, O_WRONLY);
	ASSERT(wr >= 0);
	const char *probe = "<15>ktest_pipe: syslog probe\n";
	EXPECT_EQ(sys_write((int)wr, probe, strlen(probe)), (long)strlen(probe));
	static char all[1 << 17];
	long n = syscall3(116, READ_ALL, all, sizeof(all) - 1);
	ASSERT(n > 0);
	all[n] = 0;
	EXPECT_EQ(all[0], '<');
	EXPECT_EQ(all[n - 1], '\n');
	char *hit = 0;
	for (char *l = all; l < all + n;) {
		char *e = strchr(l, '\n');
		if (!e)
			break;
		if (e - l > 26 && strncmp(e - 26, "] ktest_pipe: syslog probe", 26) == 0)
			hit = l;
		if (l[0] != '<')
			hit = 0, l = all + n; /* malformed: fail below */
		else
			l = e + 1;
	}
	if (!hit)
		ktap_log("last: %s", n > 200 ? all + n - 200 : all);
	ASSERT(hit != 0);
	EXPECT(strncmp(hit, "<15>[", 5) == 0);
	/* A small buffer gets the newest records that fit whole. */
	const char *last = "<15>kp\n";
	EXPECT_EQ(sys_write((int)wr, last, strlen(last)), (long)strlen(last));
	char small[64];
	n = syscall3(116, READ_ALL, small, sizeof(small));
	EXPECT(n > 4 && n <= (long)sizeof(small));
	if (n > 4) {
		EXPECT_EQ(small[0], '<');
		EXPECT(memcmp(small + n - 4, "] kp", 4) == 0 || memcmp(small + n - 5, "] kp\n", 5) == 0);
	}
	close_((int)wr);
	/* SYSLOG_ACTION_READ takes unread records (there are: nobody read since boot), whole. */
	long unread = syscall3(116, SIZE_UNREAD, 0, 0);
	EXPECT(unread > 0);
	n = syscall3(116, 2 /* READ */, all, 4096);
	EXPECT(n > 0 && n <= 4096);
	if (n > 0) {
		EXPECT_EQ(all[0], '<');
		EXPECT_EQ(all[n - 1], '\n');
		EXPECT_EQ(syscall3(116, SIZE_UNREAD, 0, 0), unread - n);
	}
	/* Bad arguments. */
	EXPECT_EQ(syscall3(116, 2, 0, 10), -EINVAL);
	EXPECT_EQ(syscall3(116, READ_ALL, 0, 10), -EINVAL);
	EXPECT_EQ(syscall3(116, READ_ALL, all, -1), -EINVAL);
	EXPECT_EQ(syscall3(116, READ_ALL, all, 0), 0);
	EXPECT_EQ(syscall3(116, READ_ALL, 8, 100), -EFAULT);
	EXPECT_EQ(syscall3(116, CONSOLE_LEVEL, 0, 0), -EINVAL);
	EXPECT_EQ(syscall3(116, CONSOLE_LEVEL, 0, 9), -EINVAL);
	EXPECT_EQ(syscall3(116, 11, 0, 0), -EINVAL);
	EXPECT_EQ(syscall3(116, -1, 0, 0), -EINVAL);
}

/* The console as a character device: a tty (TCGETS works), seekless, always writable. */
static void test_dev_console_tty(void)
{
	long fd = open_dev("console", 5, 1, O_RDWR | O_NOCTTY);
	ASSERT(fd >= 0);
	unsigned char termios[60];
	EXPECT_EQ(ioctl_((int)fd, TCGETS, termios), 0);
	EXPECT_EQ(sys_write((int)fd, "", 0), 0);
	EXPECT_EQ(lseek_((int)fd, 0, SEEK_SET), -ESPIPE);
	struct pollfd f = {(int)fd, POLLIN | POLLOUT, 0};
	/* Readable only once a whole line is in (canonical mode): input typed with TIOCSTI, with
	 * echo off so that the output stays clean, and the saved termios put back after. */
	struct {
		unsigned c_iflag, c_oflag, c_cflag, c_lflag;
		unsigned char c_line, c_cc[19];
	} saved, t;
	ASSERT_EQ(ioctl_((int)fd, TCGETS, &saved), 0);
	t = saved;
	t.c_lflag = (t.c_lflag | 02 /* ICANON */) & ~010u /* ECHO */;
	ASSERT_EQ(ioctl_((int)fd, 0x540B /* TCFLSH */, (void *)0 /* TCIFLUSH */), 0);
	ASSERT_EQ(ioctl_((int)fd, 0x5402 /* TCSETS */, &t), 0);
	EXPECT_EQ(ppoll_(&f, 1, &zero_ts, 0), 1);
	EXPECT_EQ(f.revents, POLLOUT);
	EXPECT_EQ(ioctl_((int)fd, 0x5412 /* TIOCSTI */, "a"), 0);
	EXPECT_EQ(ppoll_(&f, 1, &zero_ts, 0), 1);
	EXPECT_EQ(f.revents, POLLOUT); /* half a line */
	EXPECT_EQ(ioctl_((int)fd, 0x5412, "\n"), 0);
	EXPECT_EQ(ppoll_(&f, 1, &zero_ts, 0), 1);
	EXPECT_EQ(f.revents, POLLIN | POLLOUT);
	char line[8] = {0};
	EXPECT_EQ(sys_read((int)fd, line, sizeof(line)), 2);
	EXPECT(memcmp(line, "a\n", 2) == 0);
	EXPECT_EQ(ppoll_(&f, 1, &zero_ts, 0), 1);
	EXPECT_EQ(f.revents, POLLOUT);
	EXPECT_EQ(ioctl_((int)fd, 0x5402, &saved), 0);
	struct kstat st;
	EXPECT_EQ(syscall2(__NR_fstat, fd, &st), 0);
	EXPECT_EQ(st.st_rdev, (5 << 8) | 1);
	close_((int)fd);
	/* The boot's /dev/console (Linux: the test's initramfs has it; here vfs_init makes it). */
	EXPECT_EQ(syscall4(79 /* newfstatat */, AT_FDCWD, "/dev/console", &st, 0), 0);
	EXPECT_EQ(st.st_mode, S_IFCHR | 0600);
	EXPECT_EQ(st.st_rdev, (5 << 8) | 1);
	/* The rest of /dev where the kernel made it (devtmpfs's modes, not the umask's). */
	static const struct {
		const char *path;
		unsigned mode, rdev;
	} nodes[] = {{"/dev/null", 0666, 0x103}, {"/dev/zero", 0666, 0x105}, {"/dev/full", 0666, 0x107},
		     {"/dev/random", 0666, 0x108}, {"/dev/urandom", 0666, 0x109}, {"/dev/kmsg", 0644, 0x10b},
		     {"/dev/tty", 0666, 0x500}};
	int present = 0;
	for (unsigned i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		if (syscall4(79, AT_FDCWD, nodes[i].path, &st, 0) != 0)
			continue;
		present++;
		EXPECT_EQ(st.st_mode, S_IFCHR | nodes[i].mode);
		EXPECT_EQ(st.st_rdev, nodes[i].rdev);
	}
	ktap_log("%d of the /dev nodes present", present);
	/* /dev/tty is the controlling tty, and this program has none (on both kernels). */
	EXPECT_EQ(open_dev("tty", 5, 0, O_RDWR), -ENXIO);
}

static void remove_dir(void)
{
	static const char *names[] = {"null", "zero", "full", "nodev", "urandom", "random", "kmsg", "console", "tty", "fifo"};
	char path[64];
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		syscall3(__NR_unlinkat, AT_FDCWD, path, 0);
	}
	syscall3(__NR_unlinkat, AT_FDCWD, dir, AT_REMOVEDIR);
}

static const struct ktest_case pipe_cases[] = {
	{"basic", test_basic},
	{"flags", test_flags},
	{"ping_pong", test_ping_pong},
	{"eof_wakes_blocked_reader", test_eof_and_blocked_reader},
	{"epipe_sigpipe", test_epipe_sigpipe},
	{"nonblock_capacity", test_nonblock_capacity},
	{"pipe_size", test_pipe_size},
	{"pipe_buf_atomicity", test_pipe_buf_atomicity},
	{"packet_mode", test_packet_mode},
	{"efault", test_efault},
	{"fifo", test_fifo},
};
/* 300 round trips where each side waits in ppoll/pselect6 (no timeout) before it reads: a
 * lost wake-up would stop the exchange. */
static void test_poll_pingpong(void)
{
	enum { ROUNDS = 300 };
	int to[2], from[2];
	ASSERT_EQ(pipe2_(to, 0), 0);
	ASSERT_EQ(pipe2_(from, 0), 0);
	long pid = fork_();
	ASSERT(pid >= 0);
	if (pid == 0) {
		unsigned char c;
		for (int i = 0; i < ROUNDS; i++) {
			unsigned long in = 1ul << to[0];
			if (syscall6(__NR_pselect6, to[0] + 1, &in, 0, 0, 0, 0) != 1 || in != 1ul << to[0])
				child_exit(1);
			if (sys_read(to[0], &c, 1) != 1)
				child_exit(2);
			c++;
			if (sys_write(from[1], &c, 1) != 1)
				child_exit(3);
		}
		child_exit(0);
	}
	unsigned char c = 0;
	int ok = 1;
	for (int i = 0; i < ROUNDS && ok; i++) {
		struct pollfd f = {from[0], POLLIN, 0};
		unsigned char want = (unsigned char)(c + 1);
		ok = sys_write(to[1], &c, 1) == 1 && ppoll_(&f, 1, 0, 0) == 1 && f.revents == POLLIN &&
		     sys_read(from[0], &c, 1) == 1 && c == want;
	}
	EXPECT(ok);
	EXPECT_EQ(reap(pid), 0);
	close_(to[0]);
	close_(to[1]);
	close_(from[0]);
	close_(from[1]);
}

static const struct ktest_case poll_cases[] = {
	{"poll_readiness", test_poll_readiness},
	{"poll_wakeup", test_poll_wakeup},
	{"poll_pingpong", test_poll_pingpong},
	{"ppoll_sigmask", test_ppoll_sigmask},
	{"pselect6", test_pselect},
};
static const struct ktest_case dev_cases[] = {
	{"null_zero_full", test_dev_null_zero_full},
	{"random", test_dev_random},
	{"kmsg", test_dev_kmsg},
	{"syslog", test_syslog},
	{"console_tty", test_dev_console_tty},
};
static const struct ktest_suite suites[] = {
	KTEST_SUITE("pipe", pipe_cases),
	KTEST_SUITE("poll", poll_cases),
	KTEST_SUITE("chrdev", dev_cases),
};

int main(int argc, char **argv, char **envp)
{
	(void)envp;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--linux") == 0)
			on_linux = 1;
	(void)on_linux;
	remove_dir(); /* leftovers of an interrupted run */
	long r = syscall3(__NR_mkdirat, AT_FDCWD, dir, 0755);
	if (r)
		printf("# mkdir %s: %ld\n", dir, r);
	int failed = ktap_run(suites, (int)(sizeof(suites) / sizeof(suites[0])));
	remove_dir();
	return failed;
}
