/* A static glibc "hello world" from Debian's aarch64-linux-gnu-gcc, run unmodified: it checks
 * that glibc's start-up (TLS setup from AT_PHDR/PT_TLS, IRELATIVE relocations chosen by
 * AT_HWCAP, stdio on fd 1) works on the kernel. Prints its arguments and one environment
 * variable so the runner can see them passed through. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct utsname u;
	if (uname(&u) != 0) {
		perror("uname");
		return 1;
	}
	printf("hello from glibc on %s %s (%s), pid %d\n", u.sysname, u.release, u.machine, (int)getpid());
	for (int i = 0; i < argc; i++)
		printf("argv[%d] = %s\n", i, argv[i]);
	const char *term = getenv("TERM");
	printf("TERM = %s\n", term ? term : "(unset)");
	return 0;
}
