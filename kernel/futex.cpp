// futex(2), robust lists and the exit-time wake-ups (Linux's kernel/futex/core.c, waitwake.c,
// requeue.c, syscalls.c): see kernel/futex.h.
//
// Waiters are futex_q records on the waiter's stack, queued in one of FUTEX_HASH_SIZE hash
// buckets by key, each bucket with its own spinlock (taken with IRQs off). The protocol is
// Linux's:
// - A waiter takes the bucket lock, reads the user word, and queues itself with the lock still
//   held (state TASK_INTERRUPTIBLE set first); it then sleeps until its q->lock_ptr is cleared.
// - A waker takes the bucket lock, unlinks matching waiters, holds a task reference and puts
//   each on a local wake queue, then clears q->lock_ptr (store-release): from that moment the
//   waiter may return and its futex_q is gone. The tasks are woken after the lock is dropped.
// - A waiter that stops waiting on its own (timeout, signal) takes the lock of the bucket its
//   q is on now (requeue may have moved it) and unlinks itself; if a waker got there first,
//   the wake-up counts and it returns 0, as Linux's.
// User memory is never faulted in under a bucket lock: reads and atomics there use
// accesses that fail instead of faulting (__arch_copy_from_user, asm/futex.h), and on -EFAULT
// the lock is dropped, the page faulted in, and the operation retried.
//
// Locking order: at most two bucket locks, lower address first; rq locks (try_to_wake_up)
// nest inside nothing here: wake-ups happen with no bucket lock held.
//
// Shared keys look the VMA and page up under mmap_lock (read); no bucket lock is ever held
// with it, and it is never taken under a bucket lock.
#include "kernel/futex.h"

#include <asm/arch_timer.h>
#include <asm/futex.h>
#include <asm/pgtable.h>
#include <asm/uaccess.h>

#include "core/printk.h"
#include "drivers/arch_timer.h"
#include "kernel/signal.h"
#include "kernel/syscalls.h"
#include "kernel/wait.h"
#include "mm/mm_struct.h"
#include "mm/page-flags.h"
#include "mm/page_alloc.h"
#include "mm/sparse.h"

namespace {

constexpr long ESRCH_ = -3, EAGAIN_ = -11, EFAULT_ = -14, EINVAL_ = -22, ENOSYS_ = -38,
	       ETIMEDOUT_ = -110;

// --- keys ---------------------------------------------------------------------------------------

// Bits in futex_key::offset above the in-page offset (Linux's FUT_OFF_*): the kind of key, so
// that a private and a shared futex on the same word never match (glibc relies on it: robust
// mutexes wait with shared ops because exit wakes them with one).
constexpr u32 KEY_PAGE = 1u << 12;     // ptr is the struct page of a MAP_SHARED page
constexpr u32 KEY_MMSHARED = 1u << 13; // shared op on private memory: ptr is the mm

struct futex_key {
	uptr ptr = 0;              // mm_struct* or page*
	unsigned long address = 0; // page-aligned user address (mm keys), 0 (page keys)
	u32 offset = 0;            // in-page offset | KEY_*
	page *pinned = nullptr;    // the page reference this key holds (page keys), or nullptr
};

bool key_match(const futex_key &a, const futex_key &b)
{
	return a.ptr == b.ptr && a.address == b.address && a.offset == b.offset;
}

void put_key(futex_key &k)
{
	if (k.pinned)
		put_page(k.pinned);
	k.pinned = nullptr;
}

enum class Access { Read, Write };

task_struct *cur() { return current; }

// Linux's get_futex_key: 0 with *key filled (holding a page reference for a page key, which
// put_key drops), -EINVAL for a misaligned word, -EFAULT for one outside the user half or
// (shared keys) not mapped. A shared key on a private mapping needs write access, or read
// access when rw is Read and the mapping is file-backed (Linux refuses read-only anonymous
// pages: a read-only view of a copy-on-write page identifies nothing).
long get_futex_key(u64 uaddr, bool shared, Access rw, futex_key *key)
{
	if (uaddr & 3)
		return EINVAL_;
	if (!access_ok(reinterpret_cast<void *>(uaddr), sizeof(u32)))
		return EFAULT_;
	mm_struct *mm = cur()->mm;
	if (!mm)
		return EFAULT_;
	u32 off = static_cast<u32>(uaddr & (PAGE_SIZE - 1));
	unsigned long base = uaddr - off;
	if (!shared) {
		*key = {reinterpret_cast<uptr>(mm), base, off, nullptr};
		return 0;
	}
	// A page that goes away between the fault-in and the walk (another thread's munmap) is
	// faulted in again; the bound only stops a pathological race from looping forever.
	for (int tries = 0; tries < 16; tries++) {
		bool ro = false;
		if (fault_in_user(uaddr, sizeof(u32), true) != sizeof(u32)) {
			if (rw != Access::Read || fault_in_user(uaddr, sizeof(u32), false) != sizeof(u32))
				return EFAULT_;
			ro = true;
		}
		// The VMA and the page-table walk under mmap_lock (read): no munmap, mremap or fault
		// changes them meanwhile. Faults happen above, outside it (they take it themselves).
		ReadGuard g(mm->mmap_lock);
		vm_area_struct *vma = find_vma(mm, uaddr);
		if (!vma || vma->vm_start > uaddr)
			continue;
		if (!(vma->vm_flags & VM_SHARED)) {
			if (ro && !vma->vm_file)
				return EFAULT_;
			*key = {reinterpret_cast<uptr>(mm), base, off | KEY_MMSHARED, nullptr};
			return 0;
		}
		u64 *pte = mm_pte_lookup(mm, base);
		if (!pte)
			continue;
		u64 e = __atomic_load_n(pte, __ATOMIC_RELAXED);
		if (!pte_valid(e))
			continue;
		page *p = pfn_to_page(pte_pfn(e));
		// The reference keeps the page (and so the key) from being freed and reused while
		// the key is in use. The zero page is never freed: no reference needed (and a shared
		// mapping of it is read-only, so nobody can change the word anyway).
		if (!pte_special(e))
			get_page(p);
		*key = {reinterpret_cast<uptr>(p), 0, off | KEY_PAGE, pte_special(e) ? nullptr : p};
		return 0;
	}
	return EFAULT_;
}

// The current mm is the one the user word lives in: the non-faulting read under a bucket lock.
bool get_value_nofault(u32 *v, u64 uaddr)
{
	pagefault_disable();
	bool ok = __arch_copy_from_user(v, reinterpret_cast<const void *>(uaddr), sizeof(u32)) == 0;
	pagefault_enable();
	return ok;
}
// The faulting read, no lock held.
bool get_user_u32(u32 *v, u64 uaddr)
{
	return copy_from_user(v, reinterpret_cast<const void *>(uaddr), sizeof(u32)) == 0;
}
bool fault_in_writeable(u64 uaddr) { return fault_in_user(uaddr, sizeof(u32), true) == sizeof(u32); }

// --- hash buckets and queued waiters -------------------------------------------------------------

struct futex_hash_bucket {
	SpinLock lock;
	list_head chain TA_GUARDED(lock) = LIST_HEAD_INIT(chain);
};

// Linux sizes the table 256 per CPU; 256 buckets make collisions rare at this kernel's scale
// (a collision costs a longer scan, never a wrong wake-up: keys are compared exactly).
constexpr unsigned FUTEX_HASH_BITS = 8;
futex_hash_bucket futex_queues[1u << FUTEX_HASH_BITS];

futex_hash_bucket *hash_futex(const futex_key &k)
{
	u64 h = (k.ptr ^ (k.address >> 12) * 0x9e3779b97f4a7c15ull) + k.offset;
	h *= 0x9e3779b97f4a7c15ull;
	return &futex_queues[h >> (64 - FUTEX_HASH_BITS)];
}

struct futex_q {
	list_head list = LIST_HEAD_INIT(list); // in lock_ptr->chain while queued
	task_struct *task = nullptr;
	futex_key key;                         // holds its own page reference (page keys)
	u32 bitset = FUTEX_BITSET_MATCH_ANY;
	// The bucket the q is queued on (requeue moves it), nullptr once a waker unqueued it.
	// Written under the bucket lock; read locklessly by the waiter (acquire).
	futex_hash_bucket *lock_ptr = nullptr;
};

futex_q *q_of(list_head *l) { return list_entry(l, futex_q, list); }

// Tasks to wake once the bucket locks are dropped (Linux's wake_q): linked through
// task_struct::wake_q_next; a task already on some waker's queue is woken by that waker.
task_struct *const WAKE_Q_TAIL = reinterpret_cast<task_struct *>(1);

struct wake_q_head {
	task_struct *first = WAKE_Q_TAIL;
	task_struct **lastp = &first;
};

// Takes over the caller's task reference.
void wake_q_add_safe(wake_q_head *h, task_struct *t)
{
	task_struct *expected = nullptr;
	if (!__atomic_compare_exchange_n(&t->wake_q_next, &expected, WAKE_Q_TAIL, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_RELAXED)) {
		put_task_struct(t); // queued elsewhere already: that waker wakes it
		return;
	}
	*h->lastp = t;
	h->lastp = &t->wake_q_next;
}

void wake_up_q(wake_q_head *h)
{
	task_struct *t = h->first;
	while (t != WAKE_Q_TAIL) {
		task_struct *next = t->wake_q_next;
		// Off the queue before the wake-up, so that a waker of its next sleep can queue it.
		__atomic_store_n(&t->wake_q_next, nullptr, __ATOMIC_SEQ_CST);
		wake_up_process(t);
		put_task_struct(t);
		t = next;
	}
	h->first = WAKE_Q_TAIL;
	h->lastp = &h->first;
}

// Unqueues q for waking (Linux's futex_wake_mark). The bucket lock q is on is held.
void futex_wake_mark(futex_hash_bucket *hb, wake_q_head *wq, futex_q *q) TA_REQ(hb->lock)
{
	task_struct *t = q->task;
	get_task_struct(t);
	list_del_init(&q->list);
	// The waiter may return as soon as this store is seen: nothing touches q after it.
	__atomic_store_n(&q->lock_ptr, nullptr, __ATOMIC_RELEASE);
	// After the store, as Linux's: a task already on another waker's queue is woken by that
	// waker after this store, so it sees lock_ptr clear. The reference dropped then may be
	// the task's last (it may have returned and exited by now): freeing a task takes only
	// spinlocks (tasklist_lock, vmap, zone, slab) none of which is ever held while a bucket
	// lock is taken, so doing it under the bucket lock cannot deadlock.
	wake_q_add_safe(wq, t);
}

// Takes q off its bucket if it is still queued: true when it was (nobody woke it).
bool futex_unqueue(futex_q *q)
{
	for (;;) {
		futex_hash_bucket *hb = __atomic_load_n(&q->lock_ptr, __ATOMIC_ACQUIRE);
		if (!hb)
			return false;
		SpinLockGuard g(hb->lock);
		// A requeue may have moved q to another bucket before we got the lock.
		if (hb != __atomic_load_n(&q->lock_ptr, __ATOMIC_RELAXED))
			continue;
		list_del_init(&q->list);
		__atomic_store_n(&q->lock_ptr, nullptr, __ATOMIC_RELAXED);
		return true;
	}
}

// Both buckets locked (once when they are the same), lower address first.
irqflags_t double_lock_hb(futex_hash_bucket *a, futex_hash_bucket *b) TA_NO_THREAD_SAFETY_ANALYSIS
{
	irqflags_t f = arch_local_irq_save();
	if (a > b) {
		futex_hash_bucket *t = a;
		a = b;
		b = t;
	}
	a->lock.lock();
	if (a != b)
		b->lock.lock();
	return f;
}

void double_unlock_hb(futex_hash_bucket *a, futex_hash_bucket *b, irqflags_t f) TA_NO_THREAD_SAFETY_ANALYSIS
{
	a->lock.unlock();
	if (a != b)
		b->lock.unlock();
	arch_local_irq_restore(f);
}

// --- timeouts ------------------------------------------------------------------------------------

struct k_timespec {
	i64 sec, nsec;
};

bool ts_valid(const k_timespec &ts) { return ts.sec >= 0 && ts.nsec >= 0 && ts.nsec < 1000000000; }

// Counter ticks for a valid timespec, rounded up (a deadline is never early) and saturating at
// U64_MAX ("never").
u64 ts_to_ticks(const k_timespec &ts)
{
	u64 f = arch_timer_get_cntfrq();
	u64 sec = static_cast<u64>(ts.sec);
	if (sec > ~u64{0} / f)
		return ~u64{0};
	u64 t = sec * f;
	// nsec < 1e9 and f < 2^34: the product fits.
	u64 frac = (static_cast<u64>(ts.nsec) * f + 999999999ull) / 1000000000ull;
	return t > ~u64{0} - frac ? ~u64{0} : t + frac;
}

u64 add_saturating(u64 a, u64 b) { return a > ~u64{0} - b ? ~u64{0} : a + b; }

// Sleeps (state already set) until woken or, at the latest, until the counter passes deadline.
void sleep_until(const u64 *deadline)
{
	if (!deadline || *deadline == ~u64{0}) {
		schedule();
		return;
	}
	if (!tick_ready()) {
		// No tick, no timer to end the sleep: give the CPU away and let the caller re-check.
		__atomic_store_n(&current->__state, TASK_RUNNING, __ATOMIC_RELAXED);
		yield();
		return;
	}
	u64 now = arch_counter_get_cntpct();
	if (now >= *deadline) {
		__atomic_store_n(&current->__state, TASK_RUNNING, __ATOMIC_RELAXED);
		return;
	}
	u64 period = arch_timer_get_cntfrq() / HZ;
	// Whole jiffies plus the partial current one; the caller re-checks the counter, so the
	// rounding can only make the sleep longer.
	u64 left = (*deadline - now) / period + 2;
	long j = left >= static_cast<u64>(MAX_SCHEDULE_TIMEOUT) ? MAX_SCHEDULE_TIMEOUT : static_cast<long>(left);
	schedule_timeout(j);
}

// --- operations ----------------------------------------------------------------------------------

long futex_wait(u64 uaddr, bool shared, u32 val, const u64 *deadline, u32 bitset)
{
	if (!bitset)
		return EINVAL_;
	futex_q q;
	q.task = cur();
	q.bitset = bitset;
	// Linux's futex_wait_setup: read the word and queue under the bucket lock.
	for (;;) {
		if (long r = get_futex_key(uaddr, shared, Access::Read, &q.key))
			return r;
		futex_hash_bucket *hb = hash_futex(q.key);
		u32 uval;
		bool faulted = false, queued = false;
		{
			SpinLockGuard g(hb->lock);
			if (!get_value_nofault(&uval, uaddr)) {
				faulted = true;
			} else if (uval == val) {
				// The state first: a waker that unqueues us after the unlock wakes a sleeper.
				set_current_state(TASK_INTERRUPTIBLE);
				q.lock_ptr = hb;
				list_add_tail(&q.list, &hb->chain);
				queued = true;
			}
		}
		if (queued)
			break;
		put_key(q.key);
		if (!faulted)
			return EAGAIN_;
		if (!get_user_u32(&uval, uaddr))
			return EFAULT_;
	}

	bool timed_out = false;
	for (;;) {
		if (!__atomic_load_n(&q.lock_ptr, __ATOMIC_ACQUIRE))
			break; // woken
		if (signal_pending_state(TASK_INTERRUPTIBLE, current))
			break;
		if (deadline && arch_counter_get_cntpct() >= *deadline) {
			timed_out = true;
			break;
		}
		sleep_until(deadline);
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__atomic_store_n(&current->__state, TASK_RUNNING, __ATOMIC_RELAXED);

	long ret = 0;
	if (futex_unqueue(&q)) {
		// Still queued: nobody woke us, so it was the timeout or a signal.
		if (timed_out)
			ret = ETIMEDOUT_;
		else
			ret = deadline ? -ERESTARTNOHAND : -ERESTARTSYS;
	}
	put_key(q.key); // the key as it is now: a requeue may have changed it
	return ret;
}

// Wakes up to nr_wake waiters of key in hb whose bitset intersects bitset; the count. Linux's
// loop: at least one is woken when any matches, even for nr_wake <= 0.
int wake_matching(futex_hash_bucket *hb, wake_q_head *wq, const futex_key &key, int nr_wake, u32 bitset)
	TA_REQ(hb->lock)
{
	int ret = 0;
	list_for_each_safe(pos, n, &hb->chain) {
		futex_q *q = q_of(pos);
		if (!key_match(q->key, key) || !(q->bitset & bitset))
			continue;
		futex_wake_mark(hb, wq, q);
		if (++ret >= nr_wake)
			break;
	}
	return ret;
}

long futex_wake(u64 uaddr, bool shared, int nr_wake, u32 bitset)
{
	if (!bitset)
		return EINVAL_;
	futex_key key;
	if (long r = get_futex_key(uaddr, shared, Access::Read, &key))
		return r;
	futex_hash_bucket *hb = hash_futex(key);
	wake_q_head wq;
	int ret;
	{
		SpinLockGuard g(hb->lock);
		ret = wake_matching(hb, &wq, key, nr_wake, bitset);
	}
	wake_up_q(&wq);
	put_key(key);
	return ret;
}

// Moves q from hb1 to hb2 with key2 (Linux's requeue_futex); both locks held. The q's page
// reference follows its key; dropping the old one cannot free the page, the caller's key1
// still holds it.
void requeue_futex(futex_q *q, futex_hash_bucket *hb1, futex_hash_bucket *hb2, const futex_key &key2)
	TA_REQ(hb1->lock) TA_REQ(hb2->lock)
{
	if (hb1 != hb2) {
		list_del_init(&q->list);
		list_add_tail(&q->list, &hb2->chain);
		__atomic_store_n(&q->lock_ptr, hb2, __ATOMIC_RELAXED);
	}
	if (key2.pinned)
		get_page(key2.pinned);
	put_key(q->key);
	q->key = key2;
}

long futex_requeue(u64 uaddr1, bool shared, u64 uaddr2, int nr_wake, int nr_requeue, const u32 *cmpval)
{
	if (nr_wake < 0 || nr_requeue < 0)
		return EINVAL_;
	for (;;) {
		futex_key key1, key2;
		if (long r = get_futex_key(uaddr1, shared, Access::Read, &key1))
			return r;
		if (long r = get_futex_key(uaddr2, shared, Access::Read, &key2)) {
			put_key(key1);
			return r;
		}
		futex_hash_bucket *hb1 = hash_futex(key1), *hb2 = hash_futex(key2);
		wake_q_head wq;
		long ret = 0;
		bool faulted = false;
		irqflags_t f = double_lock_hb(hb1, hb2);
		hb1->lock.assert_held();
		hb2->lock.assert_held();
		u32 curval = 0;
		if (cmpval && !get_value_nofault(&curval, uaddr1)) {
			faulted = true;
		} else if (cmpval && curval != *cmpval) {
			ret = EAGAIN_;
		} else {
			int task_count = 0;
			list_for_each_safe(pos, n, &hb1->chain) {
				if (task_count - nr_wake >= nr_requeue)
					break;
				futex_q *q = q_of(pos);
				if (!key_match(q->key, key1))
					continue;
				if (++task_count <= nr_wake) {
					futex_wake_mark(hb1, &wq, q);
					continue;
				}
				requeue_futex(q, hb1, hb2, key2);
			}
			ret = task_count;
		}
		double_unlock_hb(hb1, hb2, f);
		wake_up_q(&wq);
		put_key(key1);
		put_key(key2);
		if (!faulted)
			return ret;
		if (!get_user_u32(&curval, uaddr1))
			return EFAULT_;
	}
}

// Linux's futex_atomic_op_inuser: applies the encoded op to *uaddr and evaluates the
// comparison on the old value: 1 or 0, or -EFAULT / -EAGAIN / -ENOSYS.
int futex_atomic_op_inuser(u32 encoded_op, u64 uaddr)
{
	int op = static_cast<int>((encoded_op & 0x70000000) >> 28);
	int cmp = static_cast<int>((encoded_op & 0x0f000000) >> 24);
	// Sign-extend the 12-bit fields.
	int oparg = static_cast<int>(static_cast<i32>((encoded_op & 0x00fff000) << 8) >> 20);
	int cmparg = static_cast<int>(static_cast<i32>((encoded_op & 0x00000fff) << 20) >> 20);
	if (encoded_op & (u32(FUTEX_OP_OPARG_SHIFT) << 28)) {
		if (oparg < 0 || oparg > 31) {
			pr_info("futex_wake_op: %s tries to shift op by %d; fix this program\n", cur()->comm, oparg);
			oparg &= 31;
		}
		oparg = static_cast<int>(1u << oparg);
	}
	int oldval;
	pagefault_disable(); // under both buckets' locks: a fault is faulted in by the caller
	int r = arch_futex_atomic_op_inuser(op, oparg, &oldval, uaddr);
	pagefault_enable();
	if (r)
		return r;
	switch (cmp) {
	case FUTEX_OP_CMP_EQ:
		return oldval == cmparg;
	case FUTEX_OP_CMP_NE:
		return oldval != cmparg;
	case FUTEX_OP_CMP_LT:
		return oldval < cmparg;
	case FUTEX_OP_CMP_GE:
		return oldval >= cmparg;
	case FUTEX_OP_CMP_LE:
		return oldval <= cmparg;
	case FUTEX_OP_CMP_GT:
		return oldval > cmparg;
	default:
		return static_cast<int>(ENOSYS_);
	}
}

long futex_wake_op(u64 uaddr1, bool shared, u64 uaddr2, int nr_wake, int nr_wake2, u32 op)
{
	for (;;) {
		futex_key key1, key2;
		if (long r = get_futex_key(uaddr1, shared, Access::Read, &key1))
			return r;
		if (long r = get_futex_key(uaddr2, shared, Access::Write, &key2)) {
			put_key(key1);
			return r;
		}
		futex_hash_bucket *hb1 = hash_futex(key1), *hb2 = hash_futex(key2);
		wake_q_head wq;
		long ret = 0;
		irqflags_t f = double_lock_hb(hb1, hb2);
		hb1->lock.assert_held();
		hb2->lock.assert_held();
		int op_ret = futex_atomic_op_inuser(op, uaddr2);
		if (op_ret >= 0) {
			ret = wake_matching(hb1, &wq, key1, nr_wake, FUTEX_BITSET_MATCH_ANY);
			if (op_ret > 0)
				ret += wake_matching(hb2, &wq, key2, nr_wake2, FUTEX_BITSET_MATCH_ANY);
		}
		double_unlock_hb(hb1, hb2, f);
		wake_up_q(&wq);
		put_key(key1);
		put_key(key2);
		if (op_ret >= 0)
			return ret;
		if (op_ret != EFAULT_ && op_ret != EAGAIN_)
			return op_ret;
		if (op_ret == EFAULT_ && !fault_in_writeable(uaddr2))
			return EFAULT_;
		if (need_resched())
			schedule();
	}
}

} // namespace

long do_futex(u64 uaddr, int op, u32 val, const u64 *deadline, u64 uaddr2, u32 val2, u32 val3)
{
	int cmd = op & FUTEX_CMD_MASK;
	bool shared = !(op & FUTEX_PRIVATE_FLAG);
	if ((op & FUTEX_CLOCK_REALTIME) && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT_REQUEUE_PI &&
	    cmd != FUTEX_LOCK_PI2)
		return ENOSYS_;
	switch (cmd) {
	case FUTEX_WAIT:
		return futex_wait(uaddr, shared, val, deadline, FUTEX_BITSET_MATCH_ANY);
	case FUTEX_WAIT_BITSET:
		return futex_wait(uaddr, shared, val, deadline, val3);
	case FUTEX_WAKE:
		return futex_wake(uaddr, shared, static_cast<int>(val), FUTEX_BITSET_MATCH_ANY);
	case FUTEX_WAKE_BITSET:
		return futex_wake(uaddr, shared, static_cast<int>(val), val3);
	case FUTEX_REQUEUE:
		return futex_requeue(uaddr, shared, uaddr2, static_cast<int>(val), static_cast<int>(val2), nullptr);
	case FUTEX_CMP_REQUEUE:
		return futex_requeue(uaddr, shared, uaddr2, static_cast<int>(val), static_cast<int>(val2), &val3);
	case FUTEX_WAKE_OP:
		return futex_wake_op(uaddr, shared, uaddr2, static_cast<int>(val), static_cast<int>(val2), val3);
	default:
		return ENOSYS_; // FUTEX_FD (gone since 2.6.26) and the PI operations
	}
}

long futex_nr_waiters(u64 uaddr, int flags)
{
	futex_key key;
	if (long r = get_futex_key(uaddr, !(flags & FUTEX_PRIVATE_FLAG), Access::Read, &key))
		return r;
	futex_hash_bucket *hb = hash_futex(key);
	long n = 0;
	{
		SpinLockGuard g(hb->lock);
		list_for_each(pos, &hb->chain)
			if (key_match(q_of(pos)->key, key))
				n++;
	}
	put_key(key);
	return n;
}

// --- syscalls ------------------------------------------------------------------------------------

long sys_futex(u64 uaddr, u64 op64, u64 val, u64 utime, u64 uaddr2, u64 val3)
{
	int op = static_cast<int>(op64);
	int cmd = op & FUTEX_CMD_MASK;
	u64 deadline = 0;
	const u64 *dp = nullptr;
	// Linux's futex_cmd_has_timeout: only these read the fourth argument as a timespec.
	if (utime && (cmd == FUTEX_WAIT || cmd == FUTEX_LOCK_PI || cmd == FUTEX_LOCK_PI2 || cmd == FUTEX_WAIT_BITSET ||
		      cmd == FUTEX_WAIT_REQUEUE_PI)) {
		k_timespec ts;
		if (copy_from_user(&ts, reinterpret_cast<const void *>(utime), sizeof(ts)))
			return EFAULT_;
		if (!ts_valid(ts))
			return EINVAL_;
		// FUTEX_WAIT's timeout is relative; the others' absolute, on CLOCK_MONOTONIC or (with
		// FUTEX_CLOCK_REALTIME) CLOCK_REALTIME. Both read the generic counter here, as
		// clock_gettime does (there is no RTC: REALTIME counts from boot).
		u64 t = ts_to_ticks(ts);
		deadline = cmd == FUTEX_WAIT ? add_saturating(arch_counter_get_cntpct(), t) : t;
		dp = &deadline;
	}
	return do_futex(uaddr, op, static_cast<u32>(val), dp, uaddr2, static_cast<u32>(utime), static_cast<u32>(val3));
}

// struct robust_list_head (64-bit): list.next, futex_offset, list_op_pending.
constexpr u64 ROBUST_HEAD_SIZE = 24;

long sys_set_robust_list(u64 head, u64 len, u64, u64, u64, u64)
{
	if (len != ROBUST_HEAD_SIZE)
		return EINVAL_;
	cur()->robust_list = head;
	cur()->robust_len = len;
	return 0;
}

long sys_get_robust_list(u64 pid64, u64 head_ptr, u64 len_ptr, u64, u64, u64)
{
	int pid = static_cast<int>(pid64);
	u64 head;
	if (pid == 0) {
		head = cur()->robust_list;
	} else {
		task_struct *p = pid > 0 ? find_get_task_by_pid(pid) : nullptr;
		if (!p)
			return ESRCH_;
		// ptrace_may_access(PTRACE_MODE_READ_REALCREDS): every task runs as root here.
		head = __atomic_load_n(&p->robust_list, __ATOMIC_RELAXED);
		put_task_struct(p);
	}
	u64 len = ROBUST_HEAD_SIZE;
	if (copy_to_user(reinterpret_cast<void *>(len_ptr), &len, sizeof(len)))
		return EFAULT_;
	if (copy_to_user(reinterpret_cast<void *>(head_ptr), &head, sizeof(head)))
		return EFAULT_;
	return 0;
}

// --- exit -----------------------------------------------------------------------------------------

namespace {

enum class Death { List, Pending };

// Linux's handle_futex_death: the dying thread t may own the futex at uaddr. 0 to go on with
// the list, -1 to stop walking it (the word cannot be read or written).
int handle_futex_death(u64 uaddr, task_struct *t, bool pi, Death kind)
{
	if (uaddr & 3)
		return -1;
	for (;;) {
		u32 uval;
		if (!access_ok(reinterpret_cast<void *>(uaddr), sizeof(u32)) || !get_user_u32(&uval, uaddr))
			return -1;
		u32 owner = uval & FUTEX_TID_MASK;
		// An unlock interrupted between clearing the owner and waking (list_op_pending, owner
		// 0): wake a waiter without touching the word, which is consistent (Linux's comment).
		if (kind == Death::Pending && !pi && !owner) {
			futex_wake(uaddr, true, 1, FUTEX_BITSET_MATCH_ANY);
			return 0;
		}
		if (owner != static_cast<u32>(t->pid))
			return 0;
		// Truly held by the dying thread: OWNER_DIED, the TID gone, FUTEX_WAITERS kept. Wake
		// one waiter even when OWNER_DIED was set already (a recursive death).
		u32 mval = (uval & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
		u32 nval;
		pagefault_disable(); // a fault is faulted in below, then the cmpxchg tried again
		int err = futex_atomic_cmpxchg_inatomic(&nval, uaddr, uval, mval);
		pagefault_enable();
		if (err == EFAULT_) {
			if (!fault_in_writeable(uaddr))
				return -1;
			continue;
		}
		if (err == EAGAIN_)
			continue;
		if (nval != uval)
			continue; // changed under us: look again
		if (!pi && (uval & FUTEX_WAITERS))
			futex_wake(uaddr, true, 1, FUTEX_BITSET_MATCH_ANY);
		return 0;
	}
}

// Reads a robust-list pointer: the entry with the PI bit (bit 0) split off.
bool fetch_robust_entry(u64 *entry, u64 from, bool *pi)
{
	u64 v;
	if (!access_ok(reinterpret_cast<void *>(from), sizeof(v)) ||
	    copy_from_user(&v, reinterpret_cast<const void *>(from), sizeof(v)))
		return false;
	*entry = v & ~u64(1);
	*pi = v & 1;
	return true;
}

// Linux's exit_robust_list.
void exit_robust_list(task_struct *t)
{
	u64 head = t->robust_list;
	u64 entry, pending;
	bool pi, pip;
	i64 futex_offset;
	if (!fetch_robust_entry(&entry, head, &pi))
		return;
	if (copy_from_user(&futex_offset, reinterpret_cast<const void *>(head + 8), sizeof(futex_offset)))
		return;
	if (!fetch_robust_entry(&pending, head + 16, &pip))
		return;
	unsigned limit = ROBUST_LIST_LIMIT;
	while (entry != head) {
		u64 next_entry = 0;
		bool next_pi = false;
		bool ok = fetch_robust_entry(&next_entry, entry, &next_pi);
		// The pending entry is done below, once: it may or may not be on the list yet.
		if (entry != pending && handle_futex_death(entry + static_cast<u64>(futex_offset), t, pi, Death::List))
			return;
		if (!ok)
			return;
		entry = next_entry;
		pi = next_pi;
		if (!--limit)
			break;
		if (need_resched())
			schedule();
	}
	if (pending)
		handle_futex_death(pending + static_cast<u64>(futex_offset), t, pip, Death::Pending);
}

} // namespace

void futex_exit_release(task_struct *t)
{
	// Only the thread itself can reach its user memory (through its mm in TTBR0).
	if (t == current && t->mm) {
		if (t->robust_list)
			exit_robust_list(t);
		// Linux's mm_release: only when others still use the mm (a last thread's word goes
		// with the memory). The word is cleared and one waiter woken even if the store
		// failed (the wake-up needs no access to the word).
		if (t->clear_child_tid && __atomic_load_n(&t->mm->mm_users, __ATOMIC_RELAXED) > 1) {
			u32 zero = 0;
			(void)copy_to_user(reinterpret_cast<void *>(t->clear_child_tid), &zero, sizeof(zero));
			futex_wake(t->clear_child_tid, true, 1, FUTEX_BITSET_MATCH_ANY);
		}
	}
	t->robust_list = 0;
	t->clear_child_tid = 0;
}
