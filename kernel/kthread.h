// Kernel threads (Linux's include/linux/kthread.h): a named task that runs a function in the
// kernel, for the memory manager's daemons (kswapd, kcompactd) and for tests.
//
//   task_struct *k = kthread_run(fn, data, "kswapd%d", nid);
//   ...
//   int ret = kthread_stop(k); // asks it to stop, waits, returns fn's result
//
// fn runs until it returns or calls kthread_should_stop() and sees true; a thread must be
// stopped with kthread_stop (which drops the creator's reference), or never end.
#pragma once

#include "kernel/sched.h"

// A new kernel thread, not yet running (wake it with wake_up_process). nullptr: no memory.
task_struct *kthread_create(int (*fn)(void *), void *data, const char *namefmt, ...)
	__attribute__((format(printf, 3, 4)));
// kthread_create + wake_up_process.
#define kthread_run(fn, data, ...)                                    \
	({                                                                \
		task_struct *__k = kthread_create(fn, data, __VA_ARGS__);     \
		if (__k)                                                      \
			wake_up_process(__k);                                     \
		__k;                                                          \
	})
// True once kthread_stop() was called for the current thread.
bool kthread_should_stop();
// Sets should_stop, wakes k, waits for it to end and returns what its fn returned. A thread
// that was never woken never runs fn and returns -EINTR, as Linux's.
int kthread_stop(task_struct *k);
