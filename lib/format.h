// printf-style formatting for the kernel (printk, panic, console, /proc-style dumps).
//
// The names live in namespace kstd so the host test build links them next to libc's printf
// family and compares the two. C99 conversions without floating point (the kernel is built with
// -mgeneral-regs-only): %d %i %u %o %x %X %c %s %p %%, flags "-0+ #", width and precision
// (either may be *), length modifiers hh h l ll z t j.
//
// Differences from C, following Linux's lib/vsprintf.c:
//   %s    a NULL pointer prints "(null)"; a pointer in the first page or in the error-pointer
//         range (the top 4095 addresses) prints "(efault)" instead of faulting in the printer.
//         Precision truncates these markers like any string.
//   %p    the raw address as 0x%016lx. Linux hashes plain %p to keep kernel addresses out of
//         logs readable by unprivileged users; this kernel's log goes to a serial console read
//         by whoever debugs it, where the real address is what one needs. %px and %pK are the
//         same. A width pads the whole "0x..." string with spaces.
//   %pS   "func+0x1c/0x80" through the symbolizer hook (see set_symbolizer), %ps just "func";
//         the raw address when no hook is set or it cannot resolve the address.
//   %pa   the phys_addr_t the argument points to, as 0x%016llx (%pap and %pad too).
//   After %p every following alphanumeric character is part of the conversion (as in Linux),
//   so write "%p " or "%p," before text that starts with a letter or digit.
//   An unknown conversion (%f, %n, %lc, ...) stops formatting: the rest of the format string is
//   copied verbatim from its '%', because the arguments it would consume can no longer be
//   matched to the remaining conversions.
#pragma once

#include <stdarg.h>

#include "kstd/types.h"

namespace kstd {

// All four always NUL-terminate when size > 0 and never write more than size bytes.

// Returns the length the complete output would have (C semantics): a result >= size means
// the output was truncated. Clamped to INT_MAX.
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

// Returns the number of characters actually stored, excluding the NUL (Linux semantics), so
// `len += scnprintf(buf + len, size - len, ...)` never runs past the buffer. 0 when size == 0.
int vscnprintf(char *buf, size_t size, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
int scnprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

// Resolves addr to "name+0xoff/0xsize" (with_offset) or "name" into buf (NUL-terminated, at
// most size bytes); returns false when addr is not inside a known symbol. The kernel's symbol
// table (kallsyms) registers itself once at boot. The hook may format with kstd::snprintf
// (the formatter keeps no state) but not with %pS/%ps, which would recurse.
using SymbolizeFn = bool (*)(unsigned long addr, char *buf, size_t size, bool with_offset);
// Installs the hook used by %pS/%ps; nullptr removes it.
void set_symbolizer(SymbolizeFn fn);

} // namespace kstd
