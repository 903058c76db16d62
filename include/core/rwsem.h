// Read-write semaphores (Linux's include/linux/rwsem.h): a sleeping lock many readers or one
// writer hold. mm_struct's mmap_lock is one. Waiters queue in order and are handed the lock
// by the releaser (a writer waiting holds back new readers, so writers do not starve).
//
// Declared here for every layer; the sleeping implementation is kernel/rwsem.cpp (it needs
// the scheduler), the host suite links a single-threaded one. May sleep: never taken with
// IRQs off or under a spinlock.
#pragma once

#include "core/spinlock.h"
#include "core/thread_annotations.h"
#include "kstd/list.h"

class TA_CAP("rw_semaphore") rw_semaphore {
public:
	rw_semaphore() { INIT_LIST_HEAD(&waiters_); }
	rw_semaphore(const rw_semaphore &) = delete;
	rw_semaphore &operator=(const rw_semaphore &) = delete;

	void down_read() TA_ACQ_SHARED();
	void up_read() TA_REL_SHARED();
	void down_write() TA_ACQ();
	void up_write() TA_REL();
	// Readers holding it (> 0), a writer (-1) or free (0): for assertions.
	int count() const { return __atomic_load_n(&count_, __ATOMIC_RELAXED); }

	// kernel/rwsem.cpp's state.
	SpinLock lock_;
	int count_ TA_GUARDED(lock_) = 0;
	list_head waiters_ TA_GUARDED(lock_);
};

// RAII forms (Linux's mmap_read_lock/mmap_write_lock pairs in one scope).
class TA_SCOPED_CAP ReadGuard {
public:
	explicit ReadGuard(rw_semaphore &s) TA_ACQ_SHARED(s) : s_(s) { s_.down_read(); }
	~ReadGuard() TA_REL() { s_.up_read(); }
	ReadGuard(const ReadGuard &) = delete;
	ReadGuard &operator=(const ReadGuard &) = delete;

private:
	rw_semaphore &s_;
};
class TA_SCOPED_CAP WriteGuard {
public:
	explicit WriteGuard(rw_semaphore &s) TA_ACQ(s) : s_(s) { s_.down_write(); }
	~WriteGuard() TA_REL() { s_.up_write(); }
	WriteGuard(const WriteGuard &) = delete;
	WriteGuard &operator=(const WriteGuard &) = delete;

private:
	rw_semaphore &s_;
};
