// Fast user-space locking (Linux's kernel/futex/): futex(2), robust futex lists and the
// CLONE_CHILD_CLEARTID wake-up at thread exit.
//
// A futex is an aligned 32-bit user word. FUTEX_WAIT sleeps when the word still holds the
// expected value (read under the hash-bucket lock, so that no FUTEX_WAKE issued after the
// word changed can be missed); FUTEX_WAKE wakes waiters queued on the same key. Keys follow
// Linux's get_futex_key:
//   FUTEX_PRIVATE_FLAG         (mm, address): threads of one process.
//   shared, private mapping    (mm, address) as well, marked shared: a private page is never
//                              really shared between processes (fork's copy-on-write gives
//                              each its own copy at the first write), as on Linux.
//   shared, MAP_SHARED mapping (physical page, offset): every process mapping the page, at any
//                              address, reaches the same waiters. A queued waiter holds a
//                              reference on the page so that its key cannot be reused.
//
// Sleeps are TASK_INTERRUPTIBLE; timeouts run on the tick (HZ), rounded up: never early.
// PI futexes (LOCK_PI, UNLOCK_PI, TRYLOCK_PI, WAIT_REQUEUE_PI, CMP_REQUEUE_PI, LOCK_PI2) are
// not implemented: -ENOSYS.
#pragma once

#include "kernel/sched.h"
#include "kstd/types.h"

// futex ops (uapi/linux/futex.h).
inline constexpr int FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_FD = 2, FUTEX_REQUEUE = 3, FUTEX_CMP_REQUEUE = 4,
		     FUTEX_WAKE_OP = 5, FUTEX_LOCK_PI = 6, FUTEX_UNLOCK_PI = 7, FUTEX_TRYLOCK_PI = 8,
		     FUTEX_WAIT_BITSET = 9, FUTEX_WAKE_BITSET = 10, FUTEX_WAIT_REQUEUE_PI = 11,
		     FUTEX_CMP_REQUEUE_PI = 12, FUTEX_LOCK_PI2 = 13;
inline constexpr int FUTEX_PRIVATE_FLAG = 128, FUTEX_CLOCK_REALTIME = 256;
inline constexpr int FUTEX_CMD_MASK = ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
inline constexpr u32 FUTEX_BITSET_MATCH_ANY = 0xffffffff;

// FUTEX_WAKE_OP's encoded operation: op (bits 28-30, bit 31 = oparg is a shift count),
// cmp (24-27), oparg (12-23, signed), cmparg (0-11, signed).
inline constexpr int FUTEX_OP_SET = 0, FUTEX_OP_ADD = 1, FUTEX_OP_OR = 2, FUTEX_OP_ANDN = 3, FUTEX_OP_XOR = 4;
inline constexpr int FUTEX_OP_OPARG_SHIFT = 8;
inline constexpr int FUTEX_OP_CMP_EQ = 0, FUTEX_OP_CMP_NE = 1, FUTEX_OP_CMP_LT = 2, FUTEX_OP_CMP_LE = 3,
		     FUTEX_OP_CMP_GT = 4, FUTEX_OP_CMP_GE = 5;
constexpr u32 FUTEX_OP(int op, int oparg, int cmp, int cmparg)
{
	return (u32(op & 0xf) << 28) | (u32(cmp & 0xf) << 24) | (u32(oparg & 0xfff) << 12) | u32(cmparg & 0xfff);
}

// Robust futex words (uapi/linux/futex.h).
inline constexpr u32 FUTEX_WAITERS = 0x80000000, FUTEX_OWNER_DIED = 0x40000000, FUTEX_TID_MASK = 0x3fffffff;
// The most robust-list entries exit walks (a corrupted or circular list cannot hang it).
inline constexpr unsigned ROBUST_LIST_LIMIT = 2048;

// The futex syscall after argument decoding (Linux's do_futex): op with its flags; deadline is
// the absolute timeout in generic-counter ticks (nullptr: none); val2 is the third argument
// as a number (nr_requeue / nr_wake2). Result or -errno; a sleep a signal ended returns
// -ERESTARTSYS (no timeout) or -ERESTARTNOHAND (timed: a handler makes it -EINTR, otherwise it
// restarts with the same arguments, which is exact for the absolute WAIT_BITSET timeout and
// restarts FUTEX_WAIT's relative one, never ending early).
long do_futex(u64 uaddr, int op, u32 val, const u64 *deadline, u64 uaddr2, u32 val2, u32 val3);

// The exiting thread's futex duties (Linux's futex_exit_release + mm_release's
// clear_child_tid): walks its robust list (ROBUST_LIST_LIMIT entries at most, and
// list_op_pending), marking every futex it still owns FUTEX_OWNER_DIED and waking one waiter
// where FUTEX_WAITERS is set; then stores 0 at clear_child_tid and does FUTEX_WAKE 1 there
// (pthread_join). t must be current with its mm still attached (call it before exit_mm);
// tasks with no mm, no robust list or no clear_child_tid are fine: the parts that do not
// apply are skipped. Clears t->robust_list and t->clear_child_tid. Sleeps only in page faults.
void futex_exit_release(task_struct *t);

// Waiters queued on the futex at uaddr of current's mm (FUTEX_PRIVATE_FLAG in flags for
// private ones), or -errno as FUTEX_WAKE would fail. For tests and introspection.
long futex_nr_waiters(u64 uaddr, int flags);
