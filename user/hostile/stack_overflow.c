/* Recurses with 64 KiB frames until the stack reaches RLIMIT_STACK: the fault below the
 * limit cannot grow the stack, so the process is killed. The address is not known in
 * advance: the line says addr=0x0 and the runner checks only the signal. */
#include "hostile.h"

static int __attribute__((noinline)) deep(int n)
{
	volatile char frame[64 * 1024];
	frame[0] = (char)n;
	frame[sizeof(frame) - 1] = (char)n;
	if (n >= 0) /* always: hides the unbounded recursion from -Winfinite-recursion */
		return deep(n + 1) + frame[0];
	return 0;
}

int main(int argc, char **argv, char **envp)
{
	struct rlimit r;
	if (sys_prlimit64(0, RLIMIT_STACK, 0, &r) == 0)
		printf("stack_overflow: RLIMIT_STACK %lu\n", r.rlim_cur);
	expect_kill((const void *)0, "stack_overflow: unbounded recursion");
	deep(0);
	survived("stack_overflow");
}
