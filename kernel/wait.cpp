// Wait queues: see kernel/wait.h.
#include "kernel/wait.h"

void prepare_to_wait(wait_queue_head *wq, wait_queue_entry *w, unsigned state)
{
	w->task = current;
	SpinLockGuard g(wq->lock);
	if (list_empty(&w->entry))
		list_add_tail(&w->entry, &wq->head);
	set_current_state(state);
}

void finish_wait(wait_queue_head *wq, wait_queue_entry *w)
{
	__atomic_store_n(&current->__state, TASK_RUNNING, __ATOMIC_RELAXED);
	// Unlocked check first as Linux's (list_empty_careful): a waker that already removed us
	// leaves nothing to do, and the lock is not needed to see our own entry unlinked.
	if (!list_empty(&w->entry)) {
		SpinLockGuard g(wq->lock);
		list_del_init(&w->entry);
	}
}

void wake_up(wait_queue_head *wq)
{
	SpinLockGuard g(wq->lock);
	wake_up_locked(wq);
}

void wake_up_locked(wait_queue_head *wq) TA_REQ(wq->lock)
{
	// Entries stay queued until their task's finish_wait: a task woken here that goes back to
	// sleep (its condition still false) needs no requeue.
	list_for_each(pos, &wq->head) {
		wait_queue_entry *w = list_entry(pos, wait_queue_entry, entry);
		if (w->func)
			w->func(w);
		else
			try_to_wake_up(w->task, TASK_NORMAL);
	}
}

bool waitqueue_active(wait_queue_head *wq)
{
	SpinLockGuard g(wq->lock);
	return !list_empty(&wq->head);
}

bool signal_pending_state(unsigned state, task_struct *p)
{
	if (!(state & (TASK_INTERRUPTIBLE | TASK_WAKEKILL)))
		return false;
	if (!(__atomic_load_n(&p->ti_flags, __ATOMIC_ACQUIRE) & (1ul << TIF_SIGPENDING)))
		return false;
	// A group exit or SIGKILL pending for the thread is fatal (Linux's __fatal_signal_pending).
	return (state & TASK_INTERRUPTIBLE) || (__atomic_load_n(&p->pending.signal, __ATOMIC_RELAXED) & sigmask(SIGKILL));
}

void complete(completion *c)
{
	SpinLockGuard g(c->wait.lock);
	c->done++;
	wake_up_locked(&c->wait);
}

void wait_for_completion(completion *c)
{
	wait_event(c->wait, __atomic_load_n(&c->done, __ATOMIC_ACQUIRE) != 0);
	SpinLockGuard g(c->wait.lock); // complete() may still hold it; c may go away after us
	c->done--;
}

long wait_for_completion_killable(completion *c)
{
	long r = wait_event_killable(c->wait, __atomic_load_n(&c->done, __ATOMIC_ACQUIRE) != 0);
	if (r)
		return r;
	SpinLockGuard g(c->wait.lock);
	c->done--;
	return 0;
}
