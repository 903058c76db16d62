/* Debian's static glibc pthreads, unmodified: pthread_create/pthread_join (clone with
 * CLONE_SETTLS, CLONE_CHILD_CLEARTID and set_robust_list per thread), a mutex-protected
 * counter, a condition variable hand-off, __thread variables (TLS through TPIDR_EL0, one
 * copy per thread), pthread_once and a robust mutex whose owner dies. Exits 0 when every
 * check holds and prints what it checked; the same binary runs on Linux (tools/run_tests.py). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NTHREADS 4
#define ITERATIONS 50000

static int failures;
#define CHECK(c)                                                                         \
	do {                                                                             \
		if (!(c)) {                                                              \
			printf("pthread_counter: FAILED %s (line %d)\n", #c, __LINE__);  \
			failures++;                                                      \
		}                                                                        \
	} while (0)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static __thread long tls_count = 0;
static __thread int tls_init = 42; /* .tdata: every thread starts with its own copy of 42 */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_runs;
static void init_once(void) { once_runs++; }

static void *count(void *arg)
{
	long id = (long)arg;
	pthread_once(&once, init_once);
	if (tls_init != 42)
		return (void *)-1;
	tls_init = (int)id; /* visible to this thread only */
	for (int i = 0; i < ITERATIONS; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		pthread_mutex_unlock(&lock);
		tls_count++;
	}
	if (tls_init != (int)id)
		return (void *)-2;
	return (void *)tls_count;
}

/* Condition variable: a producer hands items one at a time to a consumer and back. */
static pthread_mutex_t cv_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int slot; /* 0 empty, else the item */
static long consumed_sum;
#define ITEMS 2000

static void *consumer(void *arg)
{
	(void)arg;
	for (int n = 0; n < ITEMS; n++) {
		pthread_mutex_lock(&cv_lock);
		while (slot == 0)
			pthread_cond_wait(&cv, &cv_lock);
		consumed_sum += slot;
		slot = 0;
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&cv_lock);
	}
	return 0;
}

/* A robust mutex held by a thread that exits: the next locker gets EOWNERDEAD. */
static pthread_mutex_t robust;
static void *die_holding(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&robust);
	return 0;
}

int main(void)
{
	pthread_t t[NTHREADS];
	for (long i = 0; i < NTHREADS; i++)
		CHECK(pthread_create(&t[i], 0, count, (void *)(i + 1)) == 0);
	for (int i = 0; i < NTHREADS; i++) {
		void *r = 0;
		CHECK(pthread_join(t[i], &r) == 0);
		CHECK((long)r == ITERATIONS); /* each thread's own TLS counter */
	}
	CHECK(counter == (long)NTHREADS * ITERATIONS);
	CHECK(once_runs == 1);
	CHECK(tls_count == 0 && tls_init == 42); /* the main thread's copies are untouched */
	printf("pthread_counter: %d threads x %d: counter %ld, once %d\n", NTHREADS, ITERATIONS, counter, once_runs);

	pthread_t c;
	CHECK(pthread_create(&c, 0, consumer, 0) == 0);
	long produced = 0;
	for (int n = 1; n <= ITEMS; n++) {
		pthread_mutex_lock(&cv_lock);
		while (slot != 0)
			pthread_cond_wait(&cv, &cv_lock);
		slot = n;
		produced += n;
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&cv_lock);
	}
	CHECK(pthread_join(c, 0) == 0);
	CHECK(consumed_sum == produced);
	printf("pthread_counter: condvar hand-off of %d items, sum %ld\n", ITEMS, consumed_sum);

	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	CHECK(pthread_mutex_init(&robust, &a) == 0);
	pthread_t d;
	CHECK(pthread_create(&d, 0, die_holding, 0) == 0);
	CHECK(pthread_join(d, 0) == 0);
	int r = pthread_mutex_lock(&robust);
	CHECK(r == EOWNERDEAD);
	if (r == EOWNERDEAD) {
		CHECK(pthread_mutex_consistent(&robust) == 0);
		CHECK(pthread_mutex_unlock(&robust) == 0);
	}
	printf("pthread_counter: robust mutex of a dead owner: %s\n", r == EOWNERDEAD ? "EOWNERDEAD" : strerror(r));

	printf("pthread_counter: %s\n", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
