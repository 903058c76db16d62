// The run-time half of the lock rules (CONFIG_DEBUG_SPINLOCK, on in the host suite): the
// compile-time analysis rejects a missing lock where it can see it; these checks catch the
// rest, and each of them must be able to fire. The functions that break the rules on purpose
// switch the analysis off, since breaking them is their point.
#include <doctest/doctest.h>

#include <string>

#include <asm/irqflags.h>
#include <asm/smp.h>

#include "core/spinlock.h"
#include "mm/page-flags.h"
#include "mm/page_alloc.h"
#include "mm/slab_active.h"
#include "tests/host/support/host_mm.h"
#include "tests/host/support/host_support.h"
#include "tests/host/test_page_alloc.h"

static_assert(CONFIG_DEBUG_SPINLOCK, "the host suite is a debug build");

using namespace patest;

namespace {

unsigned count_of(const std::string &log, const char *s)
{
	unsigned n = 0;
	for (std::string::size_type at = log.find(s); at != std::string::npos; at = log.find(s, at + 1))
		n++;
	return n;
}

// The WARNING line __warn prints for a check at file:line.
std::string warning_at(const char *file, int line)
{
	return std::string("WARNING: at ") + file + ":" + std::to_string(line) + " lockdep_assert_held";
}

int assert_unlocked(SpinLock &l)
{
	lockdep_assert_held(&l);
	return __LINE__ - 1;
}

// Held by CPU 0, asserted on CPU 1: held, but not by this CPU.
int assert_on_other_cpu(SpinLock &l) TA_NO_THREAD_SAFETY_ANALYSIS
{
	l.lock();
	host_current_cpu = 1;
	lockdep_assert_held(&l);
	int line = __LINE__ - 1;
	host_current_cpu = 0;
	l.unlock();
	return line;
}

void assert_locked(SpinLock &l)
{
	SpinLockGuard g(l);
	lockdep_assert_held(&l);
}

void lock_twice(SpinLock &l) TA_NO_THREAD_SAFETY_ANALYSIS
{
	l.lock();
	try {
		l.lock();
	} catch (...) {
		l.unlock();
		throw;
	}
}

void unlock_unlocked(SpinLock &l) TA_NO_THREAD_SAFETY_ANALYSIS { l.unlock(); }

void unlock_on_other_cpu(SpinLock &l) TA_NO_THREAD_SAFETY_ANALYSIS
{
	l.lock();
	host_current_cpu = 1;
	try {
		l.unlock();
	} catch (...) {
		host_current_cpu = 0;
		l.unlock();
		throw;
	}
	host_current_cpu = 0;
}

std::string panic_of(void (*fn)(SpinLock &), SpinLock &l)
{
	try {
		fn(l);
	} catch (const HostPanic &p) {
		return p.message;
	}
	return "";
}

} // namespace

TEST_CASE("spinlock: lockdep_assert_held warns at the caller's file:line unless this CPU holds the lock")
{
	SpinLock l;
	host_take_log();
	int line = assert_unlocked(l);
	CHECK(log_has(host_take_log(), warning_at(__FILE__, line).c_str()));

	line = assert_on_other_cpu(l);
	CHECK(log_has(host_take_log(), warning_at(__FILE__, line).c_str()));

	assert_locked(l);
	CHECK(host_take_log().empty());
	CHECK(!l.is_locked());
}

TEST_CASE("spinlock: recursion, unlocking an unlocked lock and unlocking on another CPU are BUGs")
{
	SpinLock l;
	CHECK(log_has(panic_of(lock_twice, l), "BUG: spinlock recursion on CPU#0"));
	CHECK(!l.is_locked());
	CHECK(log_has(panic_of(unlock_unlocked, l), "BUG: spinlock already unlocked on CPU#0"));
	CHECK(log_has(panic_of(unlock_on_other_cpu, l), "BUG: spinlock wrong CPU on CPU#1"));
	CHECK(!l.is_locked());
	host_take_log();
}

TEST_CASE("page_alloc: __free_one_page without zone->lock and free_pcppages_bulk with IRQs on are reported")
{
	HostMm mm(small_config());
	page *p = alloc_pages(GFP_KERNEL, 0);
	REQUIRE(p);
	REQUIRE(put_page_testzero(p));
	host_take_log();
	free_one_page_without_lock_for_test(p);
	std::string log = host_take_log();
	CHECK(count_of(log, "WARNING: at mm/page_alloc.cpp:") == 1);
	CHECK(count_of(log, "lockdep_assert_held") == 1);
	// The page went into the buddy all the same (a single-threaded host cannot race).
	CHECK(PageBuddy(p));
	CHECK(check_page_alloc() == 0);

	zone *z = page_zone(p);
	free_pcppages_bulk_irqs_on_for_test(z);
	log = host_take_log();
	CHECK(count_of(log, "WARNING: at mm/page_alloc.cpp:") == 1);
	CHECK(count_of(log, "lockdep_assert_irqs_disabled") == 1);
	irqflags_t f = arch_local_irq_save();
	free_pcppages_bulk_irqs_on_for_test(z);
	arch_local_irq_restore(f);
	CHECK(host_take_log().empty());
}

TEST_CASE("slub: add_partial and remove_partial without list_lock are reported")
{
	slub::kmem_cache_node n;
	page pg{};
	INIT_LIST_HEAD(&pg.slab_list);
	host_take_log();
	slub::partial_list_without_lock_for_test(&n, &pg);
	std::string log = host_take_log();
	CHECK(count_of(log, "WARNING: at mm/slub.cpp:") == 2);
	CHECK(count_of(log, "lockdep_assert_held") == 2);

	{
		SpinLockGuard g(n.list_lock);
		slub::partial_list_without_lock_for_test(&n, &pg);
	}
	CHECK(host_take_log().empty());
	CHECK(list_empty(&pg.slab_list));
}
