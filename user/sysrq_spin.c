/* Magic SysRq test load (tools/run_tests.py's sysrq tests, docs/sysrq.md): a process that never
 * yields the CPU, and one in the D state beside it. The parent vforks: it then sleeps
 * uninterruptibly (killable) until its child execs or exits, which the child never does by
 * itself: it spins in a register-only loop at EL0 (a vfork child shares its parent's memory
 * and stack, so it must not touch them). SysRq-w lists the parent, SysRq-e/i end both.
 *
 *   sysrq_spin              as above
 *   sysrq_spin -t KEYS      writes each key of KEYS to /proc/sysrq-trigger, then exits 0
 *                           (1 when the file cannot be opened or written) */
#include "lib/ulib.h"

#define __NR_clone 220
#define CLONE_VM 0x100
#define CLONE_VFORK 0x4000
#define SIGCHLD 17

static int trigger(const char *keys)
{
	long fd = syscall4(__NR_openat, -100 /* AT_FDCWD */, "/proc/sysrq-trigger", 1 /* O_WRONLY */, 0);
	if (fd < 0) {
		printf("sysrq_spin: /proc/sysrq-trigger: error %ld\n", fd);
		return 1;
	}
	for (const char *k = keys; *k; k++) {
		long r = sys_write((int)fd, k, 1);
		if (r != 1) {
			printf("sysrq_spin: write '%c': %ld\n", *k, r);
			return 1;
		}
	}
	printf("sysrq_spin: wrote %s to /proc/sysrq-trigger\n", keys);
	return 0;
}

int main(int argc, char **argv, char **envp)
{
	if (argc == 3 && !strcmp(argv[1], "-t"))
		return trigger(argv[2]);
	printf("sysrq_spin: pid %ld spinning\n", sys_getpid());
	long c = syscall5(__NR_clone, CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
	if (c == 0) {
		/* Registers only, in one block: yield once, so that the parent (runnable if the
		 * child ran first) goes to sleep in vfork before the line below tells the test that
		 * both are in place; then write it and spin. */
		static const char msg[] = "sysrq_spin: child spinning\n";
		__asm__ volatile("mov x8, #124\n\tsvc #0\n\t"
				 "mov x0, #1\n\tmov x1, %0\n\tmov x2, %1\n\tmov x8, #64\n\tsvc #0\n"
				 "1:\tb 1b"
				 :
				 : "r"(msg), "r"(sizeof(msg) - 1)
				 : "x0", "x1", "x2", "x8", "memory");
		__builtin_unreachable();
	}
	/* Only once the child is gone (a signal, since it never execs). */
	printf("sysrq_spin: vfork returned %ld\n", c);
	return 0;
}
