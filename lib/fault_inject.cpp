// Fault injection: see include/core/fault_inject.h.
#include "core/fault_inject.h"

#include "core/panic.h"
#include "core/printk.h"
#include "lib/parse.h"

int fail_nth_armed;
static int attrs_armed; // attributes with a probability and failures left
static bool was_armed;
void (*fault_inject_arm_hook)();

// The allocators get to know when the armed state flips (their fast paths step aside).
static void notify_if_changed()
{
	bool now = fault_inject_armed();
	if (now != was_armed) {
		was_armed = now;
		if (fault_inject_arm_hook)
			fault_inject_arm_hook();
	}
}

void set_current_fail_nth(int n)
{
	int *nth = current_fail_nth();
	if (!nth)
		return;
	if (*nth > 0)
		__atomic_sub_fetch(&fail_nth_armed, 1, __ATOMIC_RELAXED);
	*nth = n > 0 ? n : 0;
	if (*nth > 0)
		__atomic_add_fetch(&fail_nth_armed, 1, __ATOMIC_RELAXED);
	notify_if_changed();
}

// xorshift: a failure pattern that repeats from boot to boot for the same command line.
static u64 fi_state = 0x9e3779b97f4a7c15ull;
static unsigned long fi_rand100()
{
	fi_state ^= fi_state << 13;
	fi_state ^= fi_state >> 7;
	fi_state ^= fi_state << 17;
	return static_cast<unsigned long>(fi_state % 100);
}

bool fault_inject_armed()
{
	return __atomic_load_n(&attrs_armed, __ATOMIC_RELAXED) > 0 || __atomic_load_n(&fail_nth_armed, __ATOMIC_RELAXED) > 0;
}

void fault_inject_update(fault_attr *a)
{
	bool now = a->probability && a->times != 0;
	if (now != a->armed) {
		a->armed = now;
		__atomic_add_fetch(&attrs_armed, now ? 1 : -1, __ATOMIC_RELAXED);
	}
	notify_if_changed();
}

static void fail_dump(fault_attr *attr)
{
	if (attr->verbose <= 0)
		return;
	// Rate-limited as Linux's printk_ratelimited (10 reports, then silence until re-armed).
	if (attr->ratelimit_left == 0)
		return;
	attr->ratelimit_left--;
	pr_notice("FAULT_INJECTION: forcing a failure.\nname %s, interval %lu, probability %lu, space %ld, times %ld\n",
		  attr->name, attr->interval, attr->probability, __atomic_load_n(&attr->space, __ATOMIC_RELAXED),
		  __atomic_load_n(&attr->times, __ATOMIC_RELAXED));
	// verbose 2 (the default): the stack of the failing call, as Linux's fail_dump.
	if (attr->verbose > 1)
		dump_stack();
}

bool should_fail(fault_attr *attr, long size)
{
	if (int *nth = current_fail_nth(); nth && *nth > 0) {
		if (--*nth == 0) {
			// The point has fired; the fast paths come back only when the caller disarms
			// (flipping them here, inside an allocation, would re-enter the allocator).
			__atomic_sub_fetch(&fail_nth_armed, 1, __ATOMIC_RELAXED);
			fail_dump(attr);
			return true;
		}
		return false;
	}
	if (attr->probability == 0)
		return false;
	if (__atomic_load_n(&attr->times, __ATOMIC_RELAXED) == 0)
		return false;
	if (__atomic_load_n(&attr->space, __ATOMIC_RELAXED) > size) {
		__atomic_sub_fetch(&attr->space, size, __ATOMIC_RELAXED);
		return false;
	}
	if (attr->interval > 1) {
		attr->count++;
		if (attr->count % attr->interval)
			return false;
	}
	if (attr->probability <= fi_rand100())
		return false;
	fail_dump(attr);
	long t = __atomic_load_n(&attr->times, __ATOMIC_RELAXED);
	if (t != -1 && t > 0)
		__atomic_sub_fetch(&attr->times, 1, __ATOMIC_RELAXED);
	// times reaching 0 leaves the attribute counted as armed until fault_inject_update: the
	// allocators keep their slow paths a little longer, nothing more.
	return true;
}

bool setup_fault_attr(fault_attr *attr, const char *str)
{
	// "<interval>,<probability>,<space>,<times>" (Linux's setup_fault_attr).
	long v[4];
	const char *p = str;
	for (int i = 0; i < 4; i++) {
		// space and times are signed in Linux's form (times -1: no limit).
		bool neg = i >= 2 && *p == '-';
		if (neg)
			p++;
		const char *end;
		u64 x;
		if (!kstd::parse_u64(p, &end, 0, &x) || (i < 3 && *end != ',') || (i == 3 && *end) || x > 0x7fffffff)
			goto bad;
		v[i] = neg ? -long(x) : long(x);
		p = end + 1;
	}
	if (v[0] < 0 || v[1] < 0 || v[1] > 100)
		goto bad;
	attr->interval = v[0] ? static_cast<unsigned long>(v[0]) : 1;
	attr->probability = static_cast<unsigned long>(v[1]);
	attr->space = v[2];
	attr->times = v[3];
	attr->ratelimit_left = 10;
	fault_inject_update(attr);
	return true;
bad:
	pr_warn("FAULT_INJECTION: failed to parse arguments\n");
	return false;
}
