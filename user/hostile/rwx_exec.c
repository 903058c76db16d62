/* Writable and executable user memory, as JITs use it: code written into a
 * PROT_READ|PROT_WRITE|PROT_EXEC mapping runs (with the cache maintenance EL0 may do itself),
 * and so does code in the program's own text after mprotect to RWX. Linux runs both; a kernel
 * that cannot must kill the program with a report, never fault forever on the same PC. */
#include "hostile.h"

/* mov w0, #imm; ret */
static void emit_return(unsigned int *code, unsigned imm)
{
	code[0] = 0x52800000u | ((imm & 0xffffu) << 5);
	code[1] = 0xd65f03c0u;
	/* Make the new instructions visible to instruction fetch (SCTLR_EL1.UCI lets EL0 do it). */
	__asm__ volatile("dc cvau, %0\n dsb ish\n ic ivau, %0\n dsb ish\n isb" ::"r"(code) : "memory");
}

__attribute__((noinline, aligned(4096))) static int text_fn(void) { return 1; }

int main(int argc, char **argv, char **envp)
{
	long m = sys_mmap(0, PAGE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (is_err(m)) {
		printf("rwx_exec: mmap RWX failed (%ld)\n", m);
		return 1;
	}
	unsigned int *code = (unsigned int *)m;
	int ok = 1;
	for (unsigned i = 0; i < 100; i++) {
		emit_return(code, 1000 + i);
		int r = ((int (*)(void))code)();
		if (r != (int)(1000 + i)) {
			printf("rwx_exec: generated code returned %d, expected %u\n", r, 1000 + i);
			ok = 0;
			break;
		}
	}
	sys_munmap(code, PAGE_SIZE);
	/* The program's own text made writable and executable: still runs, and runs new code. */
	unsigned long page = (unsigned long)text_fn & ~(unsigned long)(PAGE_SIZE - 1);
	if (sys_mprotect((void *)page, PAGE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC) != 0) {
		printf("rwx_exec: mprotect of text to RWX failed\n");
		return 1;
	}
	/* Called through a volatile pointer: the compiler must not assume it still returns 1. */
	int (*volatile fn)(void) = text_fn;
	if (fn() != 1)
		ok = 0;
	emit_return((unsigned int *)(void *)text_fn, 77);
	if (fn() != 77) {
		printf("rwx_exec: rewritten text returned the old value\n");
		ok = 0;
	}
	printf("rwx_exec: RWX mapping and RWX text: %s\n", ok ? "ok" : "FAIL");
	return ok ? 0 : 1;
}
