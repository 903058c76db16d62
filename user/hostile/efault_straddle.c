/* Arguments that start in a mapped page and run into an unmapped one: the whole copy fails
 * with -EFAULT, and a syscall that would change state changes nothing. */
#include "../lib/ktap.h"

static char *edge;
/* --qemu-user: see efault_kptr.c. */
static int qemu_user; /* the last bytes of a mapped page followed by an unmapped page */

static void t_clock_gettime(void)
{
	struct timespec *ts = (struct timespec *)(edge + PAGE_SIZE - 8);
	EXPECT_EQ(sys_clock_gettime(CLOCK_MONOTONIC, ts), -EFAULT);
	EXPECT_EQ(sys_clock_gettime(CLOCK_MONOTONIC, (struct timespec *)(edge + PAGE_SIZE - 16)), 0);
}

static void t_uname(void)
{
	EXPECT_EQ(syscall1(__NR_uname, edge + PAGE_SIZE - 100), -EFAULT);
}

static void t_nanosleep(void)
{
	struct timespec *ts = (struct timespec *)(edge + PAGE_SIZE - 8);
	ts->tv_sec = 0;
	if (qemu_user) {
		ktap_skip("qemu-user: nanosleep gives EINVAL");
		return;
	}
	EXPECT_EQ(syscall2(__NR_nanosleep, ts, 0), -EFAULT);
}

static void t_writev_iov_array(void)
{
	struct iovec *v = (struct iovec *)(edge + PAGE_SIZE - sizeof(struct iovec));
	v->iov_base = "    # straddle\n";
	v->iov_len = 15;
	EXPECT_EQ(sys_writev(1, v, 2), -EFAULT); /* the second iovec is unmapped */
}

static void t_prlimit_unchanged(void)
{
	struct rlimit before, after;
	EXPECT_EQ(sys_prlimit64(0, RLIMIT_STACK, 0, &before), 0);
	struct rlimit *n = (struct rlimit *)(edge + PAGE_SIZE - 8);
	n->rlim_cur = 1024 * 1024;
	if (qemu_user) {
		ktap_skip("qemu-user: RLIMIT_STACK not settable");
		return;
	}
	EXPECT_EQ(sys_prlimit64(0, RLIMIT_STACK, n, 0), -EFAULT);
	EXPECT_EQ(sys_prlimit64(0, RLIMIT_STACK, 0, &after), 0);
	EXPECT_EQ(after.rlim_cur, before.rlim_cur);
	EXPECT_EQ(after.rlim_max, before.rlim_max);
}

static void t_getrusage(void)
{
	EXPECT_EQ(sys_getrusage(RUSAGE_SELF, (struct rusage *)(edge + PAGE_SIZE - 64)), -EFAULT);
}

static const struct ktest_case cases[] = {
	{"clock_gettime", t_clock_gettime}, {"uname", t_uname},
	{"nanosleep", t_nanosleep},	    {"writev_iov_array", t_writev_iov_array},
	{"prlimit_unchanged", t_prlimit_unchanged}, {"getrusage", t_getrusage},
};
static const struct ktest_suite suites[] = {KTEST_SUITE("user_efault_straddle", cases)};

int main(int argc, char **argv, char **envp)
{
	long r = sys_mmap(0, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (is_err(r) || sys_munmap((char *)r + PAGE_SIZE, PAGE_SIZE) != 0) {
		printf("efault_straddle: setup failed\n");
		return 1;
	}
	edge = (char *)r;
	qemu_user = argc > 1 && strcmp(argv[1], "--qemu-user") == 0;
	return ktap_run(suites, 1);
}
