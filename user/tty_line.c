/* Reads one line from fd 0 through the console tty (canonical mode: the line discipline edits
 * and echoes it) and prints what it got. Console scenarios type a line for it, or ^C while it
 * waits (tools/run_tests.py). Prints "tty_line: ready" first, so that a test knows the read
 * is about to start. */
#include "lib/ulib.h"

int main(int argc, char **argv, char **envp)
{
	char buf[256];
	printf("tty_line: ready, pid %ld\n", sys_getpid());
	long n = sys_read(0, buf, sizeof(buf) - 1);
	if (n < 0) {
		printf("tty_line: read failed: %ld\n", n);
		return 1;
	}
	buf[n] = 0;
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	printf("tty_line: got %ld bytes: '%s'\n", n, buf);
	return 0;
}
