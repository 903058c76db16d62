/* setrlimit(RLIMIT_STACK, 0): the stack may not grow any more (Linux's acct_stack_growth checks
 * every expansion against the limit), so recursing past the pages already in the stack VMA is
 * killed. The address is not known in advance (addr=0x0: the runner checks only the signal). */
#include "hostile.h"

static int __attribute__((noinline)) deep(int n)
{
	volatile char frame[16 * 1024];
	/* The frame escapes (asm), so the compiler must allocate all of it; touch every page. */
	__asm__ volatile("" ::"r"(frame) : "memory");
	for (unsigned long i = 0; i < sizeof(frame); i += 1024)
		frame[i] = (char)n;
	if (n < 64) /* 1 MiB: far beyond the initial stack VMA, far below the old 8 MiB limit */
		return deep(n + 1) + frame[0];
	return frame[0];
}

int main(int argc, char **argv, char **envp)
{
	struct rlimit r;
	if (sys_prlimit64(0, RLIMIT_STACK, 0, &r) != 0)
		return 1;
	struct rlimit zero = {0, r.rlim_max};
	if (sys_prlimit64(0, RLIMIT_STACK, &zero, 0) != 0) {
		printf("stack_rlimit0: setting RLIMIT_STACK to 0 failed\n");
		return 1;
	}
	expect_kill((const void *)0, "stack_rlimit0: stack growth with RLIMIT_STACK 0");
	deep(0);
	survived("stack_rlimit0");
}
