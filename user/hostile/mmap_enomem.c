/* Exhausts the user address space with 1 TiB PROT_NONE, MAP_NORESERVE mappings (no memory is
 * committed) until mmap fails: the failure must be -ENOMEM, after fewer than 256 mappings
 * (2^48 bytes of user space), and everything must unmap again. */
#include "hostile.h"

int main(int argc, char **argv, char **envp)
{
	static unsigned long maps[300];
	int n = 0;
	long r = 0;
	while (n < 300) {
		r = sys_mmap(0, 1UL << 40, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (is_err(r))
			break;
		maps[n++] = (unsigned long)r;
	}
	int ok = r == -ENOMEM && n > 0 && n < 256;
	for (int i = 0; i < n; i++)
		if (sys_munmap((void *)maps[i], 1UL << 40) != 0)
			ok = 0;
	/* Small mappings work again afterwards. */
	long s = sys_mmap(0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (is_err(s))
		ok = 0;
	else
		*(volatile char *)s = 1;
	printf("mmap_enomem: %d TiB mapped, then mmap returned %ld: %s\n", n, r, ok ? "ok" : "FAIL");
	return ok ? 0 : 1;
}
