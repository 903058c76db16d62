// Fault injection (Linux's include/linux/fault-inject.h): failure points in the page and slab
// allocators that fail on demand, so that every caller's error path is exercised.
//
// A fault_attr is Linux's: fail one call in `interval`, with `probability` percent, after
// `space` bytes went through, at most `times` times (-1: no limit); `verbose` 0 says nothing,
// 1 prints "FAULT_INJECTION: forcing a failure." with the attributes, 2 adds the caller's
// stack (rate-limited). Per task, fail-nth makes exactly the nth failure point the task
// passes fail (Linux's /proc/thread-self/fail-nth), whatever the attributes say.
//
// Zero cost when off: the allocators' fast paths know nothing of this; while any attribute or
// any task's fail-nth is armed, fault_inject_armed() is true and the page allocator's
// per-CPU fast path and SLUB's per-CPU freelists step aside so that every allocation passes
// its failure point.
#pragma once

#include "kstd/types.h"

struct fault_attr {
	const char *name;
	unsigned long probability; // percent, 0-100
	unsigned long interval;    // fail at most every nth eligible call (1: every one)
	long times;                // failures left; -1: unlimited (atomic)
	long space;                // bytes to let through first (atomic)
	int verbose;
	unsigned long count;       // eligible calls seen (for interval)
	unsigned long ratelimit_left;
	bool armed;                // counted in fault_inject_armed()
};

// Linux's should_fail: true when this call must fail (the report is printed then).
bool should_fail(fault_attr *attr, long size);
// Parses Linux's boot form "<interval>,<probability>,<space>,<times>" into attr and arms it.
bool setup_fault_attr(fault_attr *attr, const char *str);
// Anything armed: an attribute with a probability, or a task with fail-nth set.
bool fault_inject_armed();
// Re-evaluates fault_inject_armed() after attr changed (an attribute that is armed must be
// disarmed through here before it goes away).
void fault_inject_update(fault_attr *attr);

// fail-nth for the current task (implemented by the scheduler, which owns the task): the
// counter's address, or nullptr outside a task (early boot, interrupts).
int *current_fail_nth();
// Arms fail-nth for the current task: its nth failure point from now fails (0 disarms).
void set_current_fail_nth(int n);
// How many fail-nth counters are armed (all tasks).
extern int fail_nth_armed;
// Called when fault_inject_armed() flips (the allocators register it once they are up).
extern void (*fault_inject_arm_hook)();
