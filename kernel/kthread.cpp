// Kernel threads: see kernel/kthread.h.
#include "kernel/kthread.h"

#include <stdarg.h>

#include "kernel/wait.h"
#include "lib/format.h"

namespace {

// Every kernel thread starts here (its task's x19/x20 from create_task).
int kthread_entry(void *)
{
	task_struct *t = current;
	// kthread_stop before the first wake-up: the function never runs (Linux's -EINTR).
	if (!__atomic_load_n(&t->kthread_should_stop, __ATOMIC_ACQUIRE))
		t->kthread_result = t->kthread_fn(t->kthread_data);
	else
		t->kthread_result = -4; // EINTR
	do_task_exit();
}

} // namespace

task_struct *kthread_create(int (*fn)(void *), void *data, const char *namefmt, ...)
{
	char name[16];
	va_list ap;
	va_start(ap, namefmt);
	kstd::vsnprintf(name, sizeof(name), namefmt, ap);
	va_end(ap);
	task_struct *t = create_task(name, kthread_entry, nullptr, PF_KTHREAD);
	if (!t)
		return nullptr;
	t->kthread_fn = fn;
	t->kthread_data = data;
	// Linux creates kthreads stopped (TASK_UNINTERRUPTIBLE) until the first wake-up.
	t->__state = TASK_UNINTERRUPTIBLE;
	return t;
}

bool kthread_should_stop() { return __atomic_load_n(&current->kthread_should_stop, __ATOMIC_ACQUIRE); }

int kthread_stop(task_struct *k)
{
	__atomic_store_n(&k->kthread_should_stop, true, __ATOMIC_RELEASE);
	// A thread that was never woken starts now and ends at once (kthread_entry sees the flag);
	// a sleeping one returns from its wait and is expected to check kthread_should_stop().
	wake_up_process(k);
	get_task_struct(k);
	wait_task_zombie(k);
	int r = k->kthread_result;
	put_task_struct(k);
	return r;
}
