// Atomics over the compiler's __atomic builtins (no <atomic> in the kernel).
// ARMv8.0 baseline: these lower to LDXR/STXR loops, never to LSE instructions.
#pragma once

#include "types.h"

namespace kstd {

enum class MemOrder : int {
	Relaxed = __ATOMIC_RELAXED,
	Acquire = __ATOMIC_ACQUIRE,
	Release = __ATOMIC_RELEASE,
	AcqRel = __ATOMIC_ACQ_REL,
	SeqCst = __ATOMIC_SEQ_CST,
};

template <typename T> class atomic {
public:
	constexpr atomic() = default;
	constexpr atomic(T v) : v_(v) {}
	atomic(const atomic &) = delete;
	atomic &operator=(const atomic &) = delete;

	T load(MemOrder o = MemOrder::SeqCst) const { return __atomic_load_n(&v_, int(o)); }
	void store(T v, MemOrder o = MemOrder::SeqCst) { __atomic_store_n(&v_, v, int(o)); }
	T exchange(T v, MemOrder o = MemOrder::SeqCst) { return __atomic_exchange_n(&v_, v, int(o)); }
	bool compare_exchange(T &expected, T desired, MemOrder o = MemOrder::SeqCst)
	{
		return __atomic_compare_exchange_n(&v_, &expected, desired, false, int(o),
						   o == MemOrder::AcqRel || o == MemOrder::Release ? __ATOMIC_RELAXED : int(o));
	}
	T fetch_add(T d, MemOrder o = MemOrder::SeqCst) { return __atomic_fetch_add(&v_, d, int(o)); }
	T fetch_sub(T d, MemOrder o = MemOrder::SeqCst) { return __atomic_fetch_sub(&v_, d, int(o)); }
	T fetch_or(T d, MemOrder o = MemOrder::SeqCst) { return __atomic_fetch_or(&v_, d, int(o)); }
	T fetch_and(T d, MemOrder o = MemOrder::SeqCst) { return __atomic_fetch_and(&v_, d, int(o)); }
	T *raw() { return &v_; }

private:
	T v_{};
};

} // namespace kstd
