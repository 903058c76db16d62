/* A fork bomb: every process forks again as fast as it can, each child writing 256 KiB of its
 * own memory first, with RLIMIT_NPROC lifted, until fork (or memory) gives out. Then every
 * process reaps its children and exits. The kernel must refuse cleanly (EAGAIN when tasks run
 * out, ENOMEM when memory does, or an OOM kill), stay up and get every page back (the `run`
 * command and the el0 ledger check that). Exits 0 when a fork was refused and more than one
 * process existed. Run on this kernel only: under qemu-user it would fork the host. */
#include "hostile.h"

#define __NR_clone 220
#define __NR_wait4 260
#define SIGCHLD 17
#define MAX_PROCS 100000

static volatile unsigned char mine[256 * 1024];

struct shared {
	long procs;   /* processes made */
	long refusal; /* the first fork error */
	long stop;
};

static void nap(void)
{
	struct timespec ts = {0, 5000000};
	syscall2(__NR_nanosleep, &ts, 0);
}

int main(int argc, char **argv, char **envp)
{
	struct rlimit inf = {~0ul, ~0ul};
	sys_prlimit64(0, 6 /* RLIMIT_NPROC */, &inf, 0);
	volatile struct shared *sh = (volatile struct shared *)sys_mmap(0, PAGE_SIZE, 3, 0x21, -1, 0);
	if (is_err((long)sh))
		return 2;
	long top = sys_getpid();
	sh->procs = 1;
	long kids = 0;
	while (!sh->stop) {
		long pid = syscall5(__NR_clone, SIGCHLD, 0, 0, 0, 0);
		if (pid == 0) {
			kids = 0;
			for (unsigned i = 0; i < sizeof(mine); i += PAGE_SIZE)
				mine[i] = 1;
			/* Racy across processes, but only a count for the report. */
			if (++sh->procs >= MAX_PROCS)
				sh->stop = 1;
			continue;
		}
		if (pid < 0) {
			if (!sh->refusal)
				sh->refusal = pid;
			sh->stop = 1;
			break;
		}
		kids++;
	}
	while (!sh->stop)
		nap();
	while (kids > 0) {
		long r = syscall4(__NR_wait4, -1, 0, 0, 0);
		if (r == -10 /* ECHILD */)
			break;
		if (r > 0)
			kids--;
	}
	if (sys_getpid() != top)
		sys_exit_group(0);
	long e = sh->refusal;
	printf("fork_bomb: %ld processes, then fork returned %ld: %s\n", sh->procs, e,
	       (e == -11 || e == -12) && sh->procs > 1 ? "ok" : "FAILED");
	return (e == -11 || e == -12) && sh->procs > 1 ? 0 : 1;
}
