/* Leaves a process running in the background: forks a child that spins on sched_yield and
 * exits at once. The child (reparented to PID 1) is what the console's `ps` lists and `kill`
 * signals in tools/run_tests.py's console scenario. */
#include "lib/ulib.h"

#define __NR_clone 220
#define __NR_sched_yield 124

int main(int argc, char **argv, char **envp)
{
	long c = syscall5(__NR_clone, 17 /* SIGCHLD */, 0, 0, 0, 0);
	if (c < 0) {
		printf("tty_bg: fork failed: %ld\n", c);
		return 1;
	}
	if (c == 0) {
		printf("tty_bg: child %ld spinning\n", sys_getpid());
		for (;;)
			syscall0(__NR_sched_yield);
	}
	return 0;
}
