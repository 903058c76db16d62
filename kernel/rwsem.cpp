// Read-write semaphores: see include/core/rwsem.h.
//
// A task that cannot take the lock queues a waiter on its stack and sleeps; the releaser
// grants the lock to the head of the queue (a writer, or every reader up to the next writer),
// unlinks the waiters it granted and wakes them. A granted waiter returns without touching the
// semaphore again, so nothing races with its stack frame going away.
#include "core/rwsem.h"

#include "kernel/sched.h"

namespace {

struct rwsem_waiter {
	list_head node;
	task_struct *task;
	bool write;
	bool granted;
};

// Hands the lock to the waiters it can go to now. Called with lock_ held.
void grant_waiters(rw_semaphore &s) TA_REQ(s.lock_)
{
	while (!list_empty(&s.waiters_)) {
		rwsem_waiter *w = list_first_entry(&s.waiters_, rwsem_waiter, node);
		if (w->write) {
			if (s.count_ != 0)
				return;
			s.count_ = -1;
		} else {
			if (s.count_ < 0)
				return;
			s.count_++;
		}
		task_struct *t = w->task;
		list_del_init(&w->node);
		__atomic_store_n(&w->granted, true, __ATOMIC_RELEASE);
		wake_up_process(t); // t cannot be gone: it sleeps until it sees granted
		if (s.count_ < 0)
			return; // a writer holds it now
	}
}

void wait_granted(rw_semaphore &s, rwsem_waiter &w, irqflags_t f) TA_REL(s.lock_)
{
	s.lock_.unlock_irqrestore(f);
	for (;;) {
		set_current_state(TASK_UNINTERRUPTIBLE);
		if (__atomic_load_n(&w.granted, __ATOMIC_ACQUIRE))
			break;
		schedule();
	}
	__atomic_store_n(&current->__state, TASK_RUNNING, __ATOMIC_RELAXED);
}

} // namespace

void rw_semaphore::down_read()
{
	irqflags_t f = lock_.lock_irqsave();
	// Readers wait behind any queued waiter, so that a writer is not starved.
	if (count_ >= 0 && list_empty(&waiters_)) {
		count_++;
		lock_.unlock_irqrestore(f);
		return;
	}
	rwsem_waiter w{LIST_HEAD_INIT(w.node), current, false, false};
	list_add_tail(&w.node, &waiters_);
	wait_granted(*this, w, f);
}

void rw_semaphore::down_write()
{
	irqflags_t f = lock_.lock_irqsave();
	if (count_ == 0 && list_empty(&waiters_)) {
		count_ = -1;
		lock_.unlock_irqrestore(f);
		return;
	}
	rwsem_waiter w{LIST_HEAD_INIT(w.node), current, true, false};
	list_add_tail(&w.node, &waiters_);
	wait_granted(*this, w, f);
}

void rw_semaphore::up_read()
{
	SpinLockGuard g(lock_);
	BUG_ON(count_ <= 0);
	if (--count_ == 0)
		grant_waiters(*this);
}

void rw_semaphore::up_write()
{
	SpinLockGuard g(lock_);
	BUG_ON(count_ != -1);
	count_ = 0;
	grant_waiters(*this);
}
