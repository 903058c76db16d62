/* Shared by the hostile programs. Each one that is meant to die first prints one line
 *     EXPECT-KILL SIGSEGV addr=0x<fault address> <what>
 * and then makes the fatal access; if it is still alive afterwards it prints
 *     UNEXPECTED-SURVIVAL <what>
 * and exits 99. The runner matches the address against the kernel's one-line kill report. */
#pragma once

#include "../lib/ulib.h"

static inline void expect_kill(const void *addr, const char *what)
{
	printf("EXPECT-KILL SIGSEGV addr=%p %s\n", addr, what);
}

__attribute__((noreturn)) static inline void survived(const char *what)
{
	printf("UNEXPECTED-SURVIVAL %s\n", what);
	sys_exit_group(99);
}
