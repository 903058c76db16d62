/* Processes through Debian's static glibc, unmodified: fork (glibc's clone with
 * CLONE_CHILD_SETTID|CLONE_CHILD_CLEARTID), waitpid and the status macros, execv of itself,
 * posix_spawn (glibc uses clone(CLONE_VM|CLONE_VFORK)), getppid, _exit. Prints one line per
 * check and "proc: ok" at the end when all passed; exits 1 at the first failure. */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define CHECK(c)                                                                   \
	do {                                                                       \
		if (!(c)) {                                                        \
			printf("proc: FAILED %s (line %d, errno %d)\n", #c, __LINE__, errno); \
			exit(1);                                                   \
		}                                                                  \
	} while (0)

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--exit") == 0)
		return atoi(argv[2]);
	pid_t self = getpid();

	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		if (getppid() != self)
			_exit(2);
		_exit(42);
	}
	int st = 0;
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 42);
	printf("proc: fork and waitpid: child %d exited with 42\n", (int)pid);

	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		char *args[] = {argv[0], "--exit", "17", NULL};
		execv(argv[0], args);
		_exit(99);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 17);
	printf("proc: fork and execv: exit status 17\n");

	char *sargs[] = {argv[0], "--exit", "23", NULL};
	CHECK(posix_spawn(&pid, argv[0], NULL, NULL, sargs, environ) == 0);
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 23);
	printf("proc: posix_spawn: exit status 23\n");

	char *bad[] = {"/no/such/program", NULL};
	int r = posix_spawn(&pid, bad[0], NULL, NULL, bad, environ);
	/* glibc reports the exec failure of the child through the shared vfork memory. */
	CHECK(r == ENOENT);
	printf("proc: posix_spawn of a missing file: ENOENT\n");

	CHECK(waitpid(-1, &st, WNOHANG) == -1 && errno == ECHILD);
	printf("proc: ok\n");
	return 0;
}
