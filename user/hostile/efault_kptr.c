/* System calls given kernel pointers, NULL and unmapped user pointers: each must fail with
 * -EFAULT and leave the process running (the kernel copies through exception-table fixups). */
#include "../lib/ktap.h"

/* --qemu-user: qemu-aarch64 answers nanosleep's bad pointer with EINVAL and never reads a new
 * RLIMIT_STACK (it ignores setting it); those checks are skipped there, with the reason. */
static int qemu_user;

#define KPTR ((void *)0xffff800008000000UL) /* kernel image */
#define LPTR ((void *)0xffff000000001000UL) /* linear map */

static void *unmapped_page(void)
{
	long r = sys_mmap(0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (is_err(r))
		return 0;
	sys_munmap((void *)r, PAGE_SIZE);
	return (void *)r;
}

static void t_write(void)
{
	EXPECT_EQ(sys_write(1, KPTR, 16), -EFAULT);
	EXPECT_EQ(sys_write(1, LPTR, 16), -EFAULT);
	EXPECT_EQ(sys_write(1, 0, 16), -EFAULT);
	EXPECT_EQ(sys_write(1, unmapped_page(), 16), -EFAULT);
}

static void t_writev(void)
{
	EXPECT_EQ(sys_writev(1, KPTR, 1), -EFAULT);
	struct iovec v[2] = {{"    # ok\n", 9}, {KPTR, 8}};
	long r = sys_writev(1, v + 1, 1);
	EXPECT_EQ(r, -EFAULT);
}

static void t_clock_gettime(void)
{
	EXPECT_EQ(sys_clock_gettime(CLOCK_MONOTONIC, KPTR), -EFAULT);
	EXPECT_EQ(sys_clock_gettime(CLOCK_MONOTONIC, 0), -EFAULT);
	EXPECT_EQ(syscall2(__NR_gettimeofday, KPTR, 0), -EFAULT);
}

static void t_uname_getrusage(void)
{
	EXPECT_EQ(syscall1(__NR_uname, KPTR), -EFAULT);
	EXPECT_EQ(syscall1(__NR_uname, 0), -EFAULT);
	EXPECT_EQ(sys_getrusage(RUSAGE_SELF, KPTR), -EFAULT);
	EXPECT_EQ(syscall3(__NR_getrandom, KPTR, 16, 0), -EFAULT);
}

static void t_nanosleep_rlimit(void)
{
	if (qemu_user) {
		ktap_skip("qemu-user: nanosleep gives EINVAL, RLIMIT_STACK not settable");
	} else {
		EXPECT_EQ(syscall2(__NR_nanosleep, KPTR, 0), -EFAULT);
		EXPECT_EQ(sys_prlimit64(0, RLIMIT_STACK, KPTR, 0), -EFAULT);
	}
	EXPECT_EQ(sys_prlimit64(0, RLIMIT_STACK, 0, KPTR), -EFAULT);
	EXPECT_EQ(syscall2(__NR_getrlimit, RLIMIT_STACK, KPTR), -EFAULT);
}

static const struct ktest_case cases[] = {
	{"write", t_write},
	{"writev", t_writev},
	{"clock_gettime", t_clock_gettime},
	{"uname_getrusage_getrandom", t_uname_getrusage},
	{"nanosleep_prlimit", t_nanosleep_rlimit},
};
static const struct ktest_suite suites[] = {KTEST_SUITE("user_efault_kptr", cases)};

int main(int argc, char **argv, char **envp)
{
	qemu_user = argc > 1 && strcmp(argv[1], "--qemu-user") == 0;
	return ktap_run(suites, 1);
}
