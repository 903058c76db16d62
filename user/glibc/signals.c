/* Debian's static glibc using signals unmodified: signal(), sigaction() with SA_SIGINFO, a
 * SIGSEGV handler that repairs the mapping and returns, another that siglongjmps out, raise(),
 * alarm() (glibc's setitimer) ending sigsuspend(), sleep() cut short by an alarm handler,
 * sigprocmask/sigpending, and the status a default-action death leaves (checked by the
 * runner, not here). Prints one line per check and exits 0 when all passed. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int failed;
#define CHECK(c)                                                              \
	do {                                                                  \
		if (c)                                                        \
			printf("ok: %s\n", #c);                               \
		else {                                                        \
			printf("FAILED: %s (line %d)\n", #c, __LINE__);       \
			failed++;                                             \
		}                                                             \
	} while (0)

static volatile sig_atomic_t usr1, alrm, segv_code;
static volatile void *segv_addr;
static char *page;
static sigjmp_buf jb;

static void on_usr1(int sig) { usr1 += sig == SIGUSR1; }
static void on_alrm(int sig) { alrm += sig == SIGALRM; }
static void on_segv_fix(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (sig != SIGSEGV)
		return;
	segv_code = si->si_code;
	segv_addr = si->si_addr;
	mprotect(page, 4096, PROT_READ | PROT_WRITE);
}
static void on_segv_jump(int sig) { siglongjmp(jb, sig); }

int main(void)
{
	/* signal() and raise() */
	CHECK(signal(SIGUSR1, on_usr1) != SIG_ERR);
	CHECK(raise(SIGUSR1) == 0);
	CHECK(usr1 == 1);

	/* Blocked: pending, delivered once when unblocked. */
	sigset_t set, old, pend;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	CHECK(sigprocmask(SIG_BLOCK, &set, &old) == 0);
	raise(SIGUSR1);
	raise(SIGUSR1);
	CHECK(sigpending(&pend) == 0 && sigismember(&pend, SIGUSR1));
	CHECK(usr1 == 1);
	CHECK(sigprocmask(SIG_SETMASK, &old, NULL) == 0);
	CHECK(usr1 == 2);

	/* SIGSEGV with SA_SIGINFO: the handler makes the page writable and returns. */
	page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(page != MAP_FAILED);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv_fix;
	sa.sa_flags = SA_SIGINFO;
	CHECK(sigaction(SIGSEGV, &sa, NULL) == 0);
	page[10] = 'x';
	CHECK(page[10] == 'x');
	CHECK(segv_code == SEGV_ACCERR);
	CHECK(segv_addr == page + 10);

	/* A handler that leaves with siglongjmp: the mask it had is restored by glibc. */
	signal(SIGSEGV, on_segv_jump);
	if (sigsetjmp(jb, 1) == 0) {
		volatile int *volatile bad = (volatile int *)16;
		*bad = 1;
		CHECK(!"the store to address 16 returned");
	} else {
		sigset_t now;
		sigprocmask(SIG_BLOCK, NULL, &now);
		CHECK(!sigismember(&now, SIGSEGV));
	}

	/* alarm() ends sigsuspend() once the handler ran. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alrm;
	CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
	sigset_t block, empty;
	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	sigemptyset(&empty);
	sigprocmask(SIG_BLOCK, &block, &old);
	CHECK(alarm(1) == 0);
	CHECK(alarm(1) == 1); /* rounded up: a pending alarm is never reported as 0 */
	CHECK(sigsuspend(&empty) == -1);
	CHECK(alrm == 1);
	sigprocmask(SIG_SETMASK, &old, NULL);

	/* sleep() is cut short by a handled alarm and says how much was left. */
	ualarm(50000, 0);
	unsigned left = sleep(100);
	CHECK(alrm == 2);
	CHECK(left > 0 && left <= 100);

	printf("%s\n", failed ? "signals: FAILED" : "signals: all passed");
	return failed ? 1 : 0;
}
