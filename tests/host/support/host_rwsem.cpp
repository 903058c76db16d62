// The host suite is single-threaded: an rw_semaphore is only ever free or held by the test
// itself, and contention would be a bug in the code under test (it would sleep forever).
#include "core/rwsem.h"

void rw_semaphore::down_read()
{
	SpinLockGuard g(lock_);
	BUG_ON(count_ < 0);
	count_++;
}
void rw_semaphore::up_read()
{
	SpinLockGuard g(lock_);
	BUG_ON(count_ <= 0);
	count_--;
}
void rw_semaphore::down_write()
{
	SpinLockGuard g(lock_);
	BUG_ON(count_ != 0);
	count_ = -1;
}
void rw_semaphore::up_write()
{
	SpinLockGuard g(lock_);
	BUG_ON(count_ != -1);
	count_ = 0;
}
