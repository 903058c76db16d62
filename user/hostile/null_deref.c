/* A load from address 0: the zero page is never mapped. */
#include "hostile.h"

int main(int argc, char **argv, char **envp)
{
	volatile int *p = (volatile int *)0;
	expect_kill((const void *)p, "null_deref: load from NULL");
	(void)*p;
	survived("null_deref");
}
