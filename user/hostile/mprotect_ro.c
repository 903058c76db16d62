/* Writes to a page after mprotect(PROT_READ): a permission fault inside a VMA. */
#include "hostile.h"

int main(int argc, char **argv, char **envp)
{
	long r = sys_mmap(0, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (is_err(r)) {
		printf("mprotect_ro: mmap failed: %ld\n", r);
		return 1;
	}
	volatile char *p = (volatile char *)r;
	p[0] = 1;
	p[PAGE_SIZE] = 2;
	if (sys_mprotect((void *)(p + PAGE_SIZE), PAGE_SIZE, PROT_READ) != 0) {
		printf("mprotect_ro: mprotect failed\n");
		return 1;
	}
	p[0] = 3; /* still writable: the VMA was split */
	if (p[PAGE_SIZE] != 2) {
		printf("mprotect_ro: contents lost\n");
		return 1;
	}
	expect_kill((const void *)(p + PAGE_SIZE + 8), "mprotect_ro: store to a read-only page");
	p[PAGE_SIZE + 8] = 4;
	survived("mprotect_ro");
}
