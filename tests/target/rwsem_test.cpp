// rw_semaphore on target: readers share, a writer excludes everyone, waiters sleep (no
// spinning) and are granted in queue order, so a waiting writer holds back later readers.
// Deadlines only bound a broken lock (which would otherwise hang the test).
#include <asm/arch_timer.h>

#include "core/ktest.h"
#include "core/rwsem.h"
#include "kernel/kthread.h"
#include "kernel/sched.h"
#include "kernel/wait.h"

namespace {

struct Shared {
	rw_semaphore sem;
	int order[8];
	int n = 0;
	int inside = 0, max_inside = 0;
	bool writer_alone = true;
};

struct Arg {
	Shared *s;
	int id;
	bool write;
};

void note(Shared *s, int id)
{
	int i = __atomic_fetch_add(&s->n, 1, __ATOMIC_RELAXED);
	if (i < 8)
		s->order[i] = id;
}

int worker(void *p)
{
	auto *a = static_cast<Arg *>(p);
	Shared *s = a->s;
	if (a->write) {
		s->sem.down_write();
		note(s, a->id);
		if (__atomic_add_fetch(&s->inside, 1, __ATOMIC_RELAXED) != 1)
			s->writer_alone = false;
		schedule_timeout_uninterruptible(2); // hold it across a sleep
		__atomic_sub_fetch(&s->inside, 1, __ATOMIC_RELAXED);
		s->sem.up_write();
	} else {
		s->sem.down_read();
		note(s, a->id);
		int in = __atomic_add_fetch(&s->inside, 1, __ATOMIC_RELAXED);
		if (in > s->max_inside)
			s->max_inside = in;
		schedule_timeout_uninterruptible(2);
		__atomic_sub_fetch(&s->inside, 1, __ATOMIC_RELAXED);
		s->sem.up_read();
	}
	return 0;
}

// Waits until k has queued itself on the semaphore (it sleeps uninterruptibly there).
bool wait_blocked(task_struct *k)
{
	for (int i = 0; i < 2000; i++) {
		if (__atomic_load_n(&k->__state, __ATOMIC_ACQUIRE) == TASK_UNINTERRUPTIBLE)
			return true;
		schedule_timeout_uninterruptible(1);
	}
	return false;
}

// The tests hold the semaphore across calls the analysis cannot follow (threads started
// while it is held, assertions that end a case early): checked at run time instead.
void hold_write(rw_semaphore &s) TA_NO_THREAD_SAFETY_ANALYSIS { s.down_write(); }
void release_write(rw_semaphore &s) TA_NO_THREAD_SAFETY_ANALYSIS { s.up_write(); }
void hold_read(rw_semaphore &s) TA_NO_THREAD_SAFETY_ANALYSIS { s.down_read(); }
void release_read(rw_semaphore &s) TA_NO_THREAD_SAFETY_ANALYSIS { s.up_read(); }

} // namespace

KTEST(rwsem, writer_excludes_and_queue_order_holds)
{
	Shared s;
	// The test holds it for writing; then reader 1, writer 2, reader 3 queue up in that order.
	hold_write(s.sem);
	Arg a1{&s, 1, false}, a2{&s, 2, true}, a3{&s, 3, false};
	task_struct *k1 = kthread_run(worker, &a1, "rwsem-r1");
	KT_ASSERT_TRUE(t, k1 != nullptr);
	KT_EXPECT_TRUE(t, wait_blocked(k1));
	task_struct *k2 = kthread_run(worker, &a2, "rwsem-w2");
	KT_ASSERT_TRUE(t, k2 != nullptr);
	KT_EXPECT_TRUE(t, wait_blocked(k2));
	task_struct *k3 = kthread_run(worker, &a3, "rwsem-r3");
	KT_ASSERT_TRUE(t, k3 != nullptr);
	KT_EXPECT_TRUE(t, wait_blocked(k3));
	KT_EXPECT_EQ(t, s.n, 0); // nobody got in while the writer held it
	release_write(s.sem);
	// Let them run through before kthread_stop (which would cancel a thread not yet run).
	for (int i = 0; i < 2000 && __atomic_load_n(&s.n, __ATOMIC_ACQUIRE) < 3; i++)
		schedule_timeout_uninterruptible(1);
	kthread_stop(k1);
	kthread_stop(k2);
	kthread_stop(k3);
	KT_EXPECT_EQ(t, s.n, 3);
	// Reader 1, then writer 2 (alone), then reader 3: the queued writer kept 3 out.
	KT_EXPECT_EQ(t, s.order[0], 1);
	KT_EXPECT_EQ(t, s.order[1], 2);
	KT_EXPECT_EQ(t, s.order[2], 3);
	KT_EXPECT_TRUE(t, s.writer_alone);
	KT_EXPECT_EQ(t, s.sem.count(), 0);
}

KTEST(rwsem, readers_share)
{
	Shared s;
	hold_read(s.sem); // readers get in beside an existing reader
	Arg a[3] = {{&s, 1, false}, {&s, 2, false}, {&s, 3, false}};
	task_struct *k[3];
	for (int i = 0; i < 3; i++) {
		k[i] = kthread_run(worker, &a[i], "rwsem-r%d", i);
		KT_ASSERT_TRUE(t, k[i] != nullptr);
	}
	// All three get in while the test still holds it for reading.
	for (int i = 0; i < 2000 && __atomic_load_n(&s.n, __ATOMIC_ACQUIRE) < 3; i++)
		schedule_timeout_uninterruptible(1);
	KT_EXPECT_EQ(t, s.n, 3);
	for (int i = 0; i < 3; i++)
		kthread_stop(k[i]);
	release_read(s.sem);
	KT_EXPECT_EQ(t, s.n, 3);
	KT_EXPECT_TRUE(t, s.max_inside >= 2);
	KT_EXPECT_EQ(t, s.sem.count(), 0);
}
