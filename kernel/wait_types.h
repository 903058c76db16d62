// The wait-queue structures (kernel/wait.h has the operations), apart so that task_struct
// can embed a queue without the header cycle wait.h <-> sched.h.
#pragma once

#include "core/spinlock.h"
#include "core/thread_annotations.h"
#include "kstd/list.h"
#include "kstd/types.h"

struct task_struct;

struct wait_queue_entry {
	task_struct *task = nullptr;
	list_head entry = LIST_HEAD_INIT(entry);
	// Called by wake_up instead of waking `task` when set (Linux's wait_queue_func_t): poll's
	// entries (fs/select.cpp) record the wake-up for their poller, which may be sleeping on
	// many queues at once. Runs under the queue's lock, IRQs off; must not sleep or requeue.
	void (*func)(wait_queue_entry *w) = nullptr;
};

// A one-shot timer on the tick (kernel/wait.h has the operations; here so that signal_struct
// can embed ITIMER_REAL's).
struct timer_list {
	list_head entry = LIST_HEAD_INIT(entry);
	u64 expires = 0; // jiffies
	void (*function)(timer_list *) = nullptr;
	unsigned cpu = 0;
	bool pending = false;
};

struct wait_queue_head {
	SpinLock lock;
	list_head head TA_GUARDED(lock) = LIST_HEAD_INIT(head);

	wait_queue_head() = default;
	wait_queue_head(const wait_queue_head &) = delete;
	wait_queue_head &operator=(const wait_queue_head &) = delete;
};
