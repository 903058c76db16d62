// Kernel access to user memory (Linux's asm/uaccess.h names and return conventions).
//
// Every function checks the whole range against the user half first (access_ok), then copies
// with unprivileged loads/stores (arch/arm64/uaccess.S). A fault on the way is the process's
// own (arch/arm64/mm/fault.cpp do_el1_uaccess_fault: a first touch by the kernel is an
// ordinary demand fault, counted like one, and the access is retried); what the mm cannot
// resolve is fixed up through the exception table. A bad pointer - kernel address, unmapped, no
// permission, straddling into an unmapped page - yields a short copy / -EFAULT, never an oops.
// Callable only from a process context (a syscall) with current_task() set.
#pragma once

#include "kstd/types.h"

extern "C" unsigned long __arch_copy_from_user(void *to, const void *from, unsigned long n);
extern "C" unsigned long __arch_copy_to_user(void *to, const void *from, unsigned long n);
extern "C" long __arch_strncpy_from_user(char *dst, const char *src, long count);
extern "C" unsigned long __arch_clear_user(void *to, unsigned long n);

inline constexpr unsigned long USER_DS_LIMIT = 1ul << 48; // TASK_SIZE

inline bool access_ok(const void *p, unsigned long n)
{
	unsigned long a = reinterpret_cast<unsigned long>(p);
	return n <= USER_DS_LIMIT && a <= USER_DS_LIMIT - n;
}

// Faults in [addr, addr+n) of the current mm for reading or writing; returns the number of
// leading bytes that are accessible (n when all are). arch/arm64/mm/fault.cpp. For the futex
// code, which must fault in outside its atomic sections (Linux's fault_in_user_writeable).
unsigned long fault_in_user(unsigned long addr, unsigned long n, bool write);

// Bytes not copied (0: success). The caller turns a short copy into -EFAULT.
inline unsigned long copy_from_user(void *to, const void *from, unsigned long n)
{
	if (!access_ok(from, n))
		return n;
	return __arch_copy_from_user(to, from, n);
}

inline unsigned long copy_to_user(void *to, const void *from, unsigned long n)
{
	if (!access_ok(to, n))
		return n;
	return __arch_copy_to_user(to, from, n);
}

inline unsigned long clear_user(void *to, unsigned long n)
{
	if (!access_ok(to, n))
		return n;
	return __arch_clear_user(to, n);
}

// Copies a NUL-terminated string of at most count bytes: its length, count when it is not
// terminated within count bytes, or -EFAULT (14).
long strncpy_from_user(char *dst, const char *src, long count);
