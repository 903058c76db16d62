// Wait queues (Linux's include/linux/wait.h): a task sleeps on a queue until a condition it
// checks becomes true; whoever makes it true wakes the queue.
//
// The lost-wakeup rule is Linux's: the sleeper queues itself and sets its state *before* it
// tests the condition (prepare_to_wait), the waker makes the condition true *before* it wakes
// the queue. A wake-up between the test and schedule() puts the sleeper back to TASK_RUNNING,
// so schedule() returns at once instead of sleeping through it.
//
// The queue lock is taken with IRQs off: interrupt handlers (the UART, the tick's timers) wake
// queues.
#pragma once

#include "core/spinlock.h"
#include "kernel/sched.h"
#include "kernel/wait_types.h"
#include "kstd/list.h"


inline void init_waitqueue_head(wait_queue_head *wq) { INIT_LIST_HEAD(&wq->head); }

void prepare_to_wait(wait_queue_head *wq, wait_queue_entry *w, unsigned state);
void finish_wait(wait_queue_head *wq, wait_queue_entry *w);
// Wakes every task on the queue (there are no exclusive waiters yet).
void wake_up(wait_queue_head *wq);
// The same with wq->lock already held by the caller.
void wake_up_locked(wait_queue_head *wq) TA_REQ(wq->lock);
bool waitqueue_active(wait_queue_head *wq);

// Sleeps (TASK_UNINTERRUPTIBLE) until cond is true.
#define wait_event(wq, cond)                                            \
	do {                                                                \
		if (cond)                                                       \
			break;                                                      \
		wait_queue_entry __w;                                           \
		for (;;) {                                                      \
			prepare_to_wait(&(wq), &__w, TASK_UNINTERRUPTIBLE);         \
			if (cond)                                                   \
				break;                                                  \
			schedule();                                                 \
		}                                                               \
		finish_wait(&(wq), &__w);                                       \
	} while (0)

// Sleeps until cond is true or `timeout` jiffies passed; the jiffies left (at least 1 when cond
// became true), or 0 on timeout with cond still false (Linux's wait_event_timeout).
#define wait_event_timeout(wq, cond, timeout)                           \
	({                                                                  \
		long __ret = (timeout);                                         \
		if (!(cond)) {                                                  \
			wait_queue_entry __w;                                       \
			for (;;) {                                                  \
				prepare_to_wait(&(wq), &__w, TASK_UNINTERRUPTIBLE);     \
				if (cond) {                                             \
					if (!__ret)                                         \
						__ret = 1;                                      \
					break;                                              \
				}                                                       \
				if (!__ret)                                             \
					break;                                              \
				__ret = schedule_timeout(__ret);                        \
			}                                                           \
			finish_wait(&(wq), &__w);                                   \
		}                                                               \
		__ret;                                                          \
	})

// -ERESTARTSYS: a sleep a signal ended. The syscall is restarted (SA_RESTART) or returns
// -EINTR when the signal is delivered (arch/arm64/signal.cpp); never seen by user space.
inline constexpr long ERESTARTSYS = 512;
inline constexpr long ERESTARTNOINTR = 513;
inline constexpr long ERESTARTNOHAND = 514;
inline constexpr long ERESTART_RESTARTBLOCK = 516;

// Whether a sleep in `state` must end for a pending signal (Linux's signal_pending_state):
// any signal for TASK_INTERRUPTIBLE, SIGKILL for TASK_WAKEKILL.
bool signal_pending_state(unsigned state, task_struct *p);

// Sleeps until cond is true or a signal is pending: 0, or -ERESTARTSYS
// (Linux's wait_event_interruptible). TASK_KILLABLE: only a fatal signal ends it.
#define __wait_event_state(wq, cond, state)                             \
	({                                                                  \
		long __ret = 0;                                                 \
		if (!(cond)) {                                                  \
			wait_queue_entry __w;                                       \
			for (;;) {                                                  \
				prepare_to_wait(&(wq), &__w, (state));                  \
				if (cond)                                               \
					break;                                              \
				if (signal_pending_state((state), current)) {           \
					__ret = -ERESTARTSYS;                               \
					break;                                              \
				}                                                       \
				schedule();                                             \
			}                                                           \
			finish_wait(&(wq), &__w);                                   \
		}                                                               \
		__ret;                                                          \
	})
#define wait_event_interruptible(wq, cond) __wait_event_state(wq, cond, TASK_INTERRUPTIBLE)
#define wait_event_killable(wq, cond) __wait_event_state(wq, cond, TASK_KILLABLE)

// A one-shot event one task waits for (Linux's struct completion): vfork's parent waits on
// the child's exec or exit.
struct completion {
	unsigned done = 0;
	wait_queue_head wait;
};
void complete(completion *c);
void wait_for_completion(completion *c);
// 0, or -ERESTARTSYS when a fatal signal ended the wait first.
long wait_for_completion_killable(completion *c);

// --- timers and sleeping ------------------------------------------------------------------------

// A one-shot timer on the tick (Linux's timer_list, without the wheel: a per-CPU list sorted by
// expiry; the tick runs the expired ones in IRQ context). struct timer_list: kernel/wait_types.h.
void add_timer(timer_list *t);
// Removes t if pending; true if it was. Its function may still be running on another CPU's
// tick: del_timer_sync also waits for that (what a timer in a stack frame needs). Neither may
// be called from the timer's own function.
bool del_timer(timer_list *t);
bool del_timer_sync(timer_list *t);
// The tick: runs the timers that expired by `now` (jiffies). IRQ context.
void run_local_timers(u64 now);

// Whether the tick runs (a timer interrupt through a working interrupt controller), so that
// timed sleeps can wait for it instead of watching the counter.
bool tick_ready();

inline constexpr long MAX_SCHEDULE_TIMEOUT = __LONG_MAX__;
// Sleeps in the state the caller set (set_current_state) for up to `timeout` jiffies; returns
// the jiffies left (0 when it timed out). MAX_SCHEDULE_TIMEOUT: no timer.
long schedule_timeout(long timeout);
long schedule_timeout_uninterruptible(long timeout);
