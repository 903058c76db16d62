/* A store into the program's own text, which is mapped read-only + execute. */
#include "hostile.h"

int main(int argc, char **argv, char **envp)
{
	volatile unsigned int *p = (volatile unsigned int *)(void *)main;
	expect_kill((const void *)p, "write_text: store to text");
	*p = 0xd503201f; /* nop */
	survived("write_text");
}
