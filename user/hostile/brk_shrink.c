/* Touches pages above the break, shrinks the break below them, touches again. */
#include "hostile.h"

int main(int argc, char **argv, char **envp)
{
	long b0 = sys_brk(0);
	unsigned long start = ((unsigned long)b0 + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	long b1 = sys_brk((void *)(start + 4 * PAGE_SIZE));
	if (b1 != (long)(start + 4 * PAGE_SIZE)) {
		printf("brk_shrink: brk grow failed: %ld\n", b1);
		return 1;
	}
	volatile char *p = (volatile char *)start;
	for (int i = 0; i < 4; i++)
		p[i * PAGE_SIZE] = 1;
	if (sys_brk((void *)start) != (long)start) {
		printf("brk_shrink: brk shrink failed\n");
		return 1;
	}
	expect_kill((const void *)(p + 2 * PAGE_SIZE), "brk_shrink: load above the shrunk break");
	(void)p[2 * PAGE_SIZE];
	survived("brk_shrink");
}
