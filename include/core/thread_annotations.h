// Locks as capabilities: clang's thread-safety attributes under Zircon's short names
// (zircon/system/ulib/zircon-internal/include/lib/zircon-internal/thread_annotations.h).
// The kernel and the host suite build with -Werror=thread-safety, so a guarded field touched
// without its lock, or a TA_REQ function called without it, does not compile. The analysis is
// per function and compile-time only: it costs no instruction. What it cannot see (a lock
// reached through two different pointers, a hand-over between functions) is stated with
// TA_ASSERT at run time (SpinLock::assert_held) or, as the last resort, switched off for one
// function with TA_NO_THREAD_SAFETY_ANALYSIS and a comment saying why.
//
// Per-CPU data touched with IRQs off is not a lock and is not annotated as one.
#pragma once

#if defined(__clang__)
#define TA_ATTR(x) __attribute__((x))
#else
#define TA_ATTR(x)
#endif

// A type whose objects are locks (name shows in diagnostics: "spinlock").
#define TA_CAP(name) TA_ATTR(capability(name))
// An RAII type that holds a capability for its lifetime.
#define TA_SCOPED_CAP TA_ATTR(scoped_lockable)
// The field may be read or written only with the lock held.
#define TA_GUARDED(lock) TA_ATTR(guarded_by(lock))
// The data the pointer field points to is guarded (the pointer itself is not).
#define TA_PT_GUARDED(lock) TA_ATTR(pt_guarded_by(lock))
// The function acquires / releases the capabilities (none named: *this).
#define TA_ACQ(...) TA_ATTR(acquire_capability(__VA_ARGS__))
#define TA_REL(...) TA_ATTR(release_capability(__VA_ARGS__))
#define TA_ACQ_SHARED(...) TA_ATTR(acquire_shared_capability(__VA_ARGS__))
#define TA_REL_SHARED(...) TA_ATTR(release_shared_capability(__VA_ARGS__))
#define TA_REQ_SHARED(...) TA_ATTR(requires_shared_capability(__VA_ARGS__))
// The function acquires the capability when it returns the given value.
#define TA_TRY_ACQ(...) TA_ATTR(try_acquire_capability(__VA_ARGS__))
// Lock order: this lock is taken before / after the named ones.
#define TA_ACQ_BEFORE(...) TA_ATTR(acquired_before(__VA_ARGS__))
#define TA_ACQ_AFTER(...) TA_ATTR(acquired_after(__VA_ARGS__))
// The caller must hold the capabilities.
#define TA_REQ(...) TA_ATTR(requires_capability(__VA_ARGS__))
// The caller must not hold the capabilities (the function takes them itself).
#define TA_EXCL(...) TA_ATTR(locks_excluded(__VA_ARGS__))
// The function returns a reference to the named capability.
#define TA_RET_CAP(x) TA_ATTR(lock_returned(x))
// The function checks at run time that the capability is held; the analysis believes it after.
#define TA_ASSERT(...) TA_ATTR(assert_capability(__VA_ARGS__))
// Turns the analysis off for one function. Every use carries a comment with the reason.
#define TA_NO_THREAD_SAFETY_ANALYSIS TA_ATTR(no_thread_safety_analysis)
