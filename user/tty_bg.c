/* Leaves a process running in the background: forks a child that spins on sched_yield and
 * exits once the child has announced itself (a byte through a pipe): from then on the child
 * touches no new memory, so what `ps` and the gdb helpers read of it cannot change between
 * two readings. The child (reparented to PID 1) is what the console's `ps` lists and `kill`
 * signals in tools/run_tests.py's console scenarios. */
#include "lib/ulib.h"

#define __NR_clone 220
#define __NR_sched_yield 124
#define __NR_pipe2 59
#define __NR_read 63
#define __NR_write 64

int main(int argc, char **argv, char **envp)
{
	int p[2];
	if (syscall2(__NR_pipe2, (long)p, 0) != 0) {
		printf("tty_bg: pipe2 failed\n");
		return 1;
	}
	long c = syscall5(__NR_clone, 17 /* SIGCHLD */, 0, 0, 0, 0);
	if (c < 0) {
		printf("tty_bg: fork failed: %ld\n", c);
		return 1;
	}
	if (c == 0) {
		printf("tty_bg: child %ld spinning\n", sys_getpid());
		char b = 'r';
		syscall3(__NR_write, p[1], (long)&b, 1);
		for (;;)
			syscall0(__NR_sched_yield);
	}
	char b;
	syscall3(__NR_read, p[0], (long)&b, 1);
	return 0;
}
