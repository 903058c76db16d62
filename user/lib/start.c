/* C start-up: records argc/argv/envp/auxv from the initial stack, applies static-PIE
 * relocations (R_AARCH64_RELATIVE only: nothing else is emitted for -static-pie without
 * shared libraries), then calls main and exits with its status. */
#include "ulib.h"

int __argc;
char **__argv;
char **__envp;
unsigned long *__auxv;
unsigned long __initial_sp;

#define DT_NULL 0
#define DT_RELA 7
#define DT_RELASZ 8
#define R_AARCH64_RELATIVE 1027

/* Defined by lld: the ELF header (first byte of the image) and, in PIE links, the dynamic
 * section. Hidden, so that they are reached PC-relative (adrp/add), never through a GOT slot
 * that has not been relocated yet. start.c is compiled twice: with USER_PIE for static-PIE
 * programs, without for ET_EXEC ones (a weak _DYNAMIC would be loaded through the GOT). */
extern const char __ehdr_start[] __attribute__((visibility("hidden")));
#ifdef USER_PIE
extern const unsigned long _DYNAMIC[] __attribute__((visibility("hidden")));
#endif

static void relocate_self(void)
{
#ifndef USER_PIE
	return;
#else
	/* lld links a PIE at 0, so the ELF header's run-time address is the load bias. */
	unsigned long base = (unsigned long)__ehdr_start;
	const unsigned long *rela = 0;
	unsigned long relasz = 0;
	for (const unsigned long *d = _DYNAMIC; d[0] != DT_NULL; d += 2) {
		if (d[0] == DT_RELA)
			rela = (const unsigned long *)(base + d[1]);
		else if (d[0] == DT_RELASZ)
			relasz = d[1];
	}
	for (unsigned long i = 0; rela && i < relasz / 24; i++) {
		const unsigned long *r = rela + 3 * i;
		if ((r[1] & 0xffffffff) == R_AARCH64_RELATIVE)
			*(unsigned long *)(base + r[0]) = base + r[2];
	}
#endif
}

unsigned long getauxval(unsigned long type)
{
	for (unsigned long *a = __auxv; a && a[0] != AT_NULL; a += 2)
		if (a[0] == type)
			return a[1];
	return 0;
}

void sys_exit_group(int status)
{
	for (;;)
		syscall1(__NR_exit_group, status);
}

__attribute__((noreturn, used)) void __start_c(unsigned long *sp)
{
	relocate_self();
	__initial_sp = (unsigned long)sp;
	__argc = (int)sp[0];
	__argv = (char **)(sp + 1);
	__envp = __argv + __argc + 1;
	char **e = __envp;
	while (*e)
		e++;
	__auxv = (unsigned long *)(e + 1);
	sys_exit_group(main(__argc, __argv, __envp));
}
