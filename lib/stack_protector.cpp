// The canary (__stack_chk_guard, read by every function built with -fstack-protector-strong
// and by Debian's libfdt.a) and the handler its check calls on a mismatch.
//
// Nothing here may itself carry a canary: stack_protector_init changes it under its own frame,
// and __stack_chk_fail runs on a stack already known to be corrupt. no_stack_protector says so
// per function; the file holds nothing else.
#include "lib/stack_protector.h"

#include "core/panic.h"

extern "C" {
// Until stack_protector_init runs: a fixed terminator canary (NUL, LF, CR, 0xff bytes, which
// string copies stop at or cannot reproduce), better than 0 but not secret.
unsigned long __stack_chk_guard = 0xff0d0a00ff0d0a00ul;

[[noreturn]] __attribute__((no_stack_protector)) void __stack_chk_fail(void)
{
	// The check's `bl __stack_chk_fail` is the last instruction of the failing function, so
	// the return address may already belong to the next symbol: name the bl itself.
	void *call_site = static_cast<char *>(__builtin_return_address(0)) - 4;
	panic("stack-protector: Kernel stack is corrupted in: %pS", call_site);
}
}

namespace {
// splitmix64's finaliser: every seed bit affects every canary bit, so a counter value with
// few changing low bits still yields an unpredictable-looking canary.
constexpr u64 mix64(u64 z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}
} // namespace

__attribute__((no_stack_protector)) void stack_protector_init(u64 seed)
{
	u64 canary = mix64(seed + 0x9e3779b97f4a7c15ull) & ~u64{0xff};
	// A zero canary would be the one value an attacker can write with a plain string copy.
	if (canary == 0)
		canary = 0xff0d0a00ff0d0a00ull;
	__atomic_store_n(&__stack_chk_guard, canary, __ATOMIC_RELAXED);
}
