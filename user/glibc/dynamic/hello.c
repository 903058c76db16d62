/* A dynamically linked glibc program from Debian's aarch64-linux-gnu-gcc (no -static): the
 * kernel loads its PT_INTERP, /lib/ld-linux-aarch64.so.1, which maps libc.so.6 from
 * /lib/aarch64-linux-gnu with mmap(fd) and relocates both. Checks what the kernel told the
 * interpreter: AT_BASE is where ld.so runs, AT_ENTRY the program's entry, AT_PHDR its
 * program headers, AT_EXECFN the path. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

extern void _start(void);

int main(int argc, char **argv)
{
	unsigned long base = getauxval(AT_BASE), entry = getauxval(AT_ENTRY);
	const ElfW(Phdr) *phdr = (const ElfW(Phdr) *)getauxval(AT_PHDR);
	const char *execfn = (const char *)getauxval(AT_EXECFN);
	int bad = 0;
	if (!base) {
		printf("hello_dyn: AT_BASE is 0\n");
		bad = 1;
	}
	if (entry != (unsigned long)&_start) {
		printf("hello_dyn: AT_ENTRY %#lx is not _start %p\n", entry, (void *)&_start);
		bad = 1;
	}
	int interp = 0;
	for (unsigned long i = 0; phdr && i < getauxval(AT_PHNUM); i++)
		interp |= phdr[i].p_type == PT_INTERP;
	if (!interp) {
		printf("hello_dyn: no PT_INTERP through AT_PHDR\n");
		bad = 1;
	}
	/* libc itself came from a file mapping: its link map names it. */
	Dl_info info;
	if (!dladdr((void *)&printf, &info) || !info.dli_fname || !strstr(info.dli_fname, "libc.so.6")) {
		printf("hello_dyn: printf is not in libc.so.6 (%s)\n", info.dli_fname ? info.dli_fname : "?");
		bad = 1;
	}
	printf("hello from dynamic glibc, %s, argc %d, execfn %s\n", argv[0], argc, execfn ? execfn : "?");
	if (bad)
		return 1;
	printf("hello_dyn: ok\n");
	return 0;
}
