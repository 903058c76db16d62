// The parts of the Itanium C++ ABI runtime the kernel's code generation needs. Not provided:
// operator new/delete (the slab allocator defines them) and __cxa_guard_* (the kernel is built
// with -fno-threadsafe-statics; function-local statics are initialised before SMP bring-up or
// under the caller's own lock).
#include "core/panic.h"

extern "C" {

// A call through a vtable slot of a pure virtual function: an object used during its own
// construction or destruction, or a use after free that left a base-class vtable behind.
[[noreturn]] void __cxa_pure_virtual() { panic("pure virtual method called (caller %pS)", __builtin_return_address(0)); }

// The same for a "= delete" virtual function, which can only be reached through a bad vtable.
[[noreturn]] void __cxa_deleted_virtual() { panic("deleted virtual method called (caller %pS)", __builtin_return_address(0)); }

// Destructors of objects with static storage duration never run: the kernel does not exit,
// it powers off or resets, and tearing down globals on that path could only get in the way of
// the report that precedes it. So registration succeeds and records nothing. -fno-use-cxa-atexit
// makes clang call atexit(); __cxa_atexit and __dso_handle cover objects built without it.
int atexit(void (*)(void)) { return 0; }
int __cxa_atexit(void (*)(void *), void *, void *) { return 0; }
void *__dso_handle = &__dso_handle;

} // extern "C"
