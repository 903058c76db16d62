/* Pipes and polling through Debian's static glibc, unmodified: pipe (glibc's pipe2), stdio
 * on a pipe (fdopen, fprintf, fgets), a child's output collected with select (pselect6) and
 * poll (ppoll), EOF when the writer exits, EPIPE with SIGPIPE ignored, mkfifo, /dev/null via
 * its own mknod, and a pthread woken from poll by a write on another thread. Prints "pipes:
 * ok" when all passed; exits 1 at the first failure. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK(c)                                                                              \
	do {                                                                                  \
		if (!(c)) {                                                                   \
			printf("pipes: FAILED %s (line %d, errno %d)\n", #c, __LINE__, errno); \
			exit(1);                                                              \
		}                                                                             \
	} while (0)

static int thread_pipe[2];

static void *thread_writer(void *arg)
{
	(void)arg;
	char c = 't';
	return write(thread_pipe[1], &c, 1) == 1 ? NULL : (void *)1;
}

int main(void)
{
	/* A child writes 100 lines through stdio; the parent reads them with fgets. */
	int p[2];
	CHECK(pipe(p) == 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		FILE *w = fdopen(p[1], "w");
		for (int i = 0; i < 100; i++)
			fprintf(w, "line %d\n", i);
		fclose(w);
		_exit(0);
	}
	close(p[1]);
	FILE *r = fdopen(p[0], "r");
	CHECK(r != NULL);
	char line[64];
	int n = 0;
	while (fgets(line, sizeof(line), r)) {
		char want[64];
		snprintf(want, sizeof(want), "line %d\n", n);
		CHECK(strcmp(line, want) == 0);
		n++;
	}
	CHECK(n == 100);
	fclose(r);
	int st;
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	printf("pipes: stdio over a pipe, %d lines\n", n);

	/* select and poll see the child's byte, then its EOF. */
	CHECK(pipe(p) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		CHECK(write(p[1], "s", 1) == 1);
		_exit(0);
	}
	close(p[1]);
	fd_set in;
	FD_ZERO(&in);
	FD_SET(p[0], &in);
	CHECK(select(p[0] + 1, &in, NULL, NULL, NULL) == 1 && FD_ISSET(p[0], &in));
	char c;
	CHECK(read(p[0], &c, 1) == 1 && c == 's');
	CHECK(waitpid(pid, &st, 0) == pid);
	struct pollfd pf = {p[0], POLLIN, 0};
	CHECK(poll(&pf, 1, -1) == 1 && (pf.revents & POLLHUP));
	CHECK(read(p[0], &c, 1) == 0);
	close(p[0]);
	struct timeval tv = {0, 0};
	FD_ZERO(&in);
	CHECK(select(0, &in, NULL, NULL, &tv) == 0);
	printf("pipes: select and poll\n");

	/* EPIPE with SIGPIPE ignored. */
	CHECK(signal(SIGPIPE, SIG_IGN) != SIG_ERR);
	CHECK(pipe(p) == 0);
	close(p[0]);
	errno = 0;
	CHECK(write(p[1], "x", 1) == -1 && errno == EPIPE);
	close(p[1]);
	signal(SIGPIPE, SIG_DFL);
	printf("pipes: EPIPE\n");

	/* A thread blocked in poll is woken by a write on another thread. */
	CHECK(pipe(thread_pipe) == 0);
	pthread_t t;
	CHECK(pthread_create(&t, NULL, thread_writer, NULL) == 0);
	pf.fd = thread_pipe[0];
	pf.events = POLLIN;
	CHECK(poll(&pf, 1, -1) == 1 && pf.revents == POLLIN);
	void *ret;
	CHECK(pthread_join(t, &ret) == 0 && ret == NULL);
	close(thread_pipe[0]);
	close(thread_pipe[1]);
	printf("pipes: poll across threads\n");

	/* A FIFO, and /dev/null through a node of our own. */
	mkdir("/pipes.d", 0755);
	CHECK(mkfifo("/pipes.d/fifo", 0600) == 0);
	int fr = open("/pipes.d/fifo", O_RDONLY | O_NONBLOCK);
	CHECK(fr >= 0);
	int fw = open("/pipes.d/fifo", O_WRONLY);
	CHECK(fw >= 0);
	CHECK(write(fw, "fifo", 4) == 4);
	char b[8] = {0};
	CHECK(read(fr, b, sizeof(b)) == 4 && memcmp(b, "fifo", 4) == 0);
	close(fw);
	close(fr);
	CHECK(unlink("/pipes.d/fifo") == 0);
	CHECK(mknod("/pipes.d/null", S_IFCHR | 0666, makedev(1, 3)) == 0);
	FILE *nul = fopen("/pipes.d/null", "r+");
	CHECK(nul != NULL);
	CHECK(fprintf(nul, "discarded\n") == 10 && fflush(nul) == 0);
	CHECK(fgetc(nul) == EOF);
	fclose(nul);
	CHECK(unlink("/pipes.d/null") == 0);
	CHECK(rmdir("/pipes.d") == 0);
	printf("pipes: fifo and /dev/null\n");
	printf("pipes: ok\n");
	return 0;
}
