/* Physical exhaustion: maps 16 MiB at a time and writes every page until mmap fails or the
 * process is killed. Both outcomes are acceptable (-ENOMEM, or a kill with a report); a hang
 * or an oops is not. Do not run it under qemu-user or on a Linux host: it eats host memory.
 * Prints progress every 64 MiB; exits 0 after -ENOMEM. */
#include "hostile.h"

int main(int argc, char **argv, char **envp)
{
	unsigned long total = 0;
	printf("EXPECT-KILL-OR-ENOMEM oom_touch\n");
	for (;;) {
		long r = sys_mmap(0, 16UL << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (is_err(r)) {
			printf("oom_touch: mmap returned %ld after %lu MiB: %s\n", r, total >> 20,
			       r == -ENOMEM ? "ok" : "FAIL");
			return r == -ENOMEM ? 0 : 1;
		}
		for (unsigned long off = 0; off < (16UL << 20); off += PAGE_SIZE)
			((volatile char *)r)[off] = 1;
		total += 16UL << 20;
		if (total % (64UL << 20) == 0)
			printf("oom_touch: %lu MiB\n", total >> 20);
	}
}
