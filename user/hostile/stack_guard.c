/* The stack guard gap: a mapping placed below the stack stops its growth 256 pages
 * (stack_guard_gap, 1 MiB) above the mapping, although RLIMIT_STACK would allow more.
 *   1. grow the stack 256 KiB below the current sp (must work),
 *   2. map one page at 1.5 MiB below sp with MAP_FIXED_NOREPLACE,
 *   3. grow page by page towards 640 KiB below sp: the first page less than 1 MiB above the
 *      mapping's end must be refused.
 * Meaningful on this kernel and on Linux; under qemu-user the guest stack is a fixed
 * preallocated mapping, so step 2 fails with EEXIST and the program says so (exit 2). */
#include "hostile.h"

int main(int argc, char **argv, char **envp)
{
	unsigned long sp;
	__asm__ volatile("mov %0, sp" : "=r"(sp));
	sp &= ~(PAGE_SIZE - 1);
	volatile char *p = (volatile char *)(sp - 256 * 1024);
	for (unsigned long a = sp - PAGE_SIZE; a >= (unsigned long)p; a -= PAGE_SIZE)
		*(volatile char *)a = 1; /* grow page by page, as a deep call chain would */
	printf("stack_guard: grew the stack to %p\n", (void *)p);
	unsigned long blocker = sp - 1536 * 1024;
	long r = sys_mmap((void *)blocker, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (r != (long)blocker) {
		printf("stack_guard: cannot place a mapping below the stack (%ld): stack not growable here\n", r);
		return 2;
	}
	volatile char *q = (volatile char *)(sp - 640 * 1024);
	/* Linux's expand_downwards() refuses an address less than stack_guard_gap above the end
	 * of an accessible mapping below: the first page refused is the last one of the gap. */
	unsigned long first_refused = blocker + PAGE_SIZE + 256 * PAGE_SIZE - PAGE_SIZE;
	expect_kill((const void *)first_refused, "stack_guard: stack growth into the guard gap");
	for (unsigned long a = (unsigned long)p - PAGE_SIZE; a >= (unsigned long)q; a -= PAGE_SIZE)
		*(volatile char *)a = 1;
	survived("stack_guard");
}
