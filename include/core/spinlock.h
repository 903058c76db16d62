// Spinlocks: a ticket lock over __atomic builtins (fair, no LSE needed on ARMv8.0).
// Locks are explicit objects; every lock that is also taken from interrupt context must be
// taken with the irqsave form. Usable on the host (single-threaded tests) unchanged.
#pragma once

#include <asm/irqflags.h>
#include <asm/smp.h>

#include "kstd/types.h"

class SpinLock {
public:
	constexpr SpinLock() = default;
	SpinLock(const SpinLock &) = delete;
	SpinLock &operator=(const SpinLock &) = delete;

	void lock()
	{
		u32 me = __atomic_fetch_add(&next_, 1, __ATOMIC_RELAXED);
		while (__atomic_load_n(&owner_, __ATOMIC_ACQUIRE) != me)
			cpu_relax();
	}
	void unlock() { __atomic_store_n(&owner_, owner_ + 1, __ATOMIC_RELEASE); }
	bool is_locked() const
	{
		return __atomic_load_n(&owner_, __ATOMIC_RELAXED) != __atomic_load_n(&next_, __ATOMIC_RELAXED);
	}
	[[nodiscard]] irqflags_t lock_irqsave()
	{
		irqflags_t f = arch_local_irq_save();
		lock();
		return f;
	}
	void unlock_irqrestore(irqflags_t f)
	{
		unlock();
		arch_local_irq_restore(f);
	}

private:
	u32 owner_ = 0;
	u32 next_ = 0;
};

// RAII guard: IRQs off and the lock held for the guard's scope.
class SpinLockGuard {
public:
	explicit SpinLockGuard(SpinLock &l) : l_(l), flags_(l.lock_irqsave()) {}
	~SpinLockGuard() { l_.unlock_irqrestore(flags_); }
	SpinLockGuard(const SpinLockGuard &) = delete;
	SpinLockGuard &operator=(const SpinLockGuard &) = delete;

private:
	SpinLock &l_;
	irqflags_t flags_;
};
