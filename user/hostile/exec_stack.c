/* Jumps to an instruction copied onto the stack: the stack is never executable (the program
 * has PT_GNU_STACK RW), so the instruction fetch faults. */
#include "hostile.h"

int main(int argc, char **argv, char **envp)
{
	volatile unsigned int code[4] = {0xd2800540 /* mov x0, #42 */, 0xd65f03c0 /* ret */};
	void (*fn)(void) = (void (*)(void))(void *)code;
	expect_kill((const void *)code, "exec_stack: instruction fetch from the stack");
	__asm__ volatile("" ::: "memory");
	fn();
	survived("exec_stack");
}
