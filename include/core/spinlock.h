// Spinlocks: a ticket lock over __atomic builtins (fair, no LSE needed on ARMv8.0).
// Locks are explicit objects; every lock that is also taken from interrupt context must be
// taken with the irqsave form. Usable on the host (single-threaded tests) unchanged.
//
// A SpinLock is a capability (core/thread_annotations.h): fields it guards are declared
// TA_GUARDED(lock), functions that expect it held TA_REQ(lock), and the compiler rejects code
// that breaks the rule. Where the analysis cannot follow, lockdep_assert_held(&lock) checks it
// at run time in debug builds.
#pragma once

#include <asm/irqflags.h>
#include <asm/smp.h>

#include "core/panic.h"
#include "core/thread_annotations.h"
#include "kstd/types.h"

// Debug builds (Linux's CONFIG_DEBUG_SPINLOCK) record the owning CPU in each lock and check
// it: lockdep_assert_held() warns unless this CPU holds the lock, lock() catches recursion
// (a certain deadlock) and unlock() an unlock by a CPU that does not hold it. They are the
// host suite and UBSAN=1 kernels, the two builds made for finding bugs. Default kernels are
// what `make bench` measures and what ships: their locks stay two words and the checks cost
// nothing; the compile-time analysis covers them all the same.
#if defined(HOST_TEST) || defined(CONFIG_UBSAN)
#define CONFIG_DEBUG_SPINLOCK 1
#endif

class TA_CAP("spinlock") SpinLock {
public:
	constexpr SpinLock() = default;
	SpinLock(const SpinLock &) = delete;
	SpinLock &operator=(const SpinLock &) = delete;

	// file and line name the caller in debug reports; they are unused (and optimized away)
	// in other builds.
	void lock(const char *file = __builtin_FILE(), int line = __builtin_LINE()) TA_ACQ()
	{
		debug_lock_before(file, line);
		u32 me = __atomic_fetch_add(&next_, 1, __ATOMIC_RELAXED);
		while (__atomic_load_n(&owner_, __ATOMIC_ACQUIRE) != me)
			cpu_relax();
		debug_lock_after();
	}
	void unlock(const char *file = __builtin_FILE(), int line = __builtin_LINE()) TA_REL()
	{
		debug_unlock(file, line);
		__atomic_store_n(&owner_, owner_ + 1, __ATOMIC_RELEASE);
	}
	bool is_locked() const
	{
		return __atomic_load_n(&owner_, __ATOMIC_RELAXED) != __atomic_load_n(&next_, __ATOMIC_RELAXED);
	}
	[[nodiscard]] irqflags_t lock_irqsave(const char *file = __builtin_FILE(), int line = __builtin_LINE()) TA_ACQ()
	{
		irqflags_t f = arch_local_irq_save();
		lock(file, line);
		return f;
	}
	void unlock_irqrestore(irqflags_t f, const char *file = __builtin_FILE(), int line = __builtin_LINE()) TA_REL()
	{
		unlock(file, line);
		arch_local_irq_restore(f);
	}

	// Debug builds: this CPU holds the lock. Other builds can only tell that some CPU does.
	bool held_by_this_cpu() const
	{
#ifdef CONFIG_DEBUG_SPINLOCK
		return is_locked() && __atomic_load_n(&owner_cpu_, __ATOMIC_RELAXED) == smp_processor_id();
#else
		return is_locked();
#endif
	}
	// Linux's lockdep_assert_held: in debug builds a WARNING naming the caller's file:line
	// unless this CPU holds the lock; no code otherwise. The analysis takes the lock as held
	// after it.
	void assert_held(const char *file = __builtin_FILE(), int line = __builtin_LINE()) const TA_ASSERT()
	{
#ifdef CONFIG_DEBUG_SPINLOCK
		if (__builtin_expect(!held_by_this_cpu(), 0))
			__warn(file, line, "lockdep_assert_held: lock not held by this CPU");
#endif
	}

private:
#ifdef CONFIG_DEBUG_SPINLOCK
	static constexpr u32 NO_CPU = ~0u;
	// A lock this CPU already holds would spin forever.
	void debug_lock_before(const char *file, int line) const
	{
		if (__builtin_expect(held_by_this_cpu(), 0))
			panic("BUG: spinlock recursion on CPU#%u, lock %p, at %s:%d", smp_processor_id(),
			      static_cast<const void *>(this), file, line);
	}
	// Only the holder writes owner_cpu_; other CPUs read it (relaxed) in their own checks and
	// can only see a CPU number that is not theirs or NO_CPU.
	void debug_lock_after() { __atomic_store_n(&owner_cpu_, smp_processor_id(), __ATOMIC_RELAXED); }
	void debug_unlock(const char *file, int line)
	{
		if (__builtin_expect(!held_by_this_cpu(), 0))
			panic("BUG: spinlock %s on CPU#%u, lock %p, at %s:%d", is_locked() ? "wrong CPU" : "already unlocked",
			      smp_processor_id(), static_cast<const void *>(this), file, line);
		__atomic_store_n(&owner_cpu_, NO_CPU, __ATOMIC_RELAXED);
	}
#else
	void debug_lock_before(const char *, int) const {}
	void debug_lock_after() {}
	void debug_unlock(const char *, int) {}
#endif

	u32 owner_ = 0;
	u32 next_ = 0;
#ifdef CONFIG_DEBUG_SPINLOCK
	u32 owner_cpu_ = NO_CPU;
#endif
};

// lockdep_assert_held(&lock), spelled as in Linux (a pointer to the lock).
#define lockdep_assert_held(l) (l)->assert_held()

// RAII guard: IRQs off and the lock held for the guard's scope.
class TA_SCOPED_CAP SpinLockGuard {
public:
	explicit SpinLockGuard(SpinLock &l, const char *file = __builtin_FILE(), int line = __builtin_LINE()) TA_ACQ(l)
		: l_(l), flags_(l.lock_irqsave(file, line))
	{
	}
	~SpinLockGuard() TA_REL() { l_.unlock_irqrestore(flags_); }
	SpinLockGuard(const SpinLockGuard &) = delete;
	SpinLockGuard &operator=(const SpinLockGuard &) = delete;

private:
	SpinLock &l_;
	irqflags_t flags_;
};

// Linux's lockdep_assert_irqs_disabled: per-CPU data (pcp lists, kmem_cache_cpu) is owned by
// being on its CPU with IRQs off, which is not a lock the analysis can track; debug builds
// check it at run time with a WARNING naming the caller.
#ifdef CONFIG_DEBUG_SPINLOCK
#define lockdep_assert_irqs_disabled()                                                        \
	do {                                                                                  \
		if (__builtin_expect(!arch_irqs_disabled(), 0))                                   \
			__warn(__FILE__, __LINE__, "lockdep_assert_irqs_disabled: IRQs are on");  \
	} while (0)
#else
#define lockdep_assert_irqs_disabled() do {} while (0)
#endif
