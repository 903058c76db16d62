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
		try_to_wake_up(w->task, TASK_NORMAL);
	}
}

bool waitqueue_active(wait_queue_head *wq)
{
	SpinLockGuard g(wq->lock);
	return !list_empty(&wq->head);
}
