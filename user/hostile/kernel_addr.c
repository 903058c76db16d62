/* A load from a kernel address (default: the kernel image at KIMAGE_VADDR, mapped but
 * privileged; argv[1] picks another, e.g. 0xffff000000000000 for the linear map). */
#include "hostile.h"

int main(int argc, char **argv, char **envp)
{
	unsigned long a = argc > 1 ? strtoul(argv[1], 0, 16) : 0xffff800008000000UL;
	volatile unsigned long *p = (volatile unsigned long *)a;
	expect_kill((const void *)p, "kernel_addr: load from a kernel address");
	(void)*p;
	survived("kernel_addr");
}
