// The C string and memory functions for the kernel (declared in kstd/string.h). The compiler
// emits calls to memcpy/memset/memmove/memcmp for aggregate copies, and Debian's libfdt.a links
// against the rest. The host suite uses libc instead and tests lib/string_impl.h directly.
#include "kstd/string.h"
#include "lib/string_impl.h"

using namespace kstd::strimpl;

// Same no_builtin as the implementations, so inlining them here keeps the guarantee that no
// loop is turned back into a call to the function it sits in.
#define CFN extern "C" __attribute__((no_builtin))

CFN void *memcpy(void *__restrict dst, const void *__restrict src, size_t n) { return mem_copy(dst, src, n); }
CFN void *memmove(void *dst, const void *src, size_t n) { return mem_move(dst, src, n); }
CFN void *memset(void *dst, int c, size_t n) { return mem_set(dst, c, n); }
CFN int memcmp(const void *a, const void *b, size_t n) { return mem_cmp(a, b, n); }
CFN void *memchr(const void *s, int c, size_t n) { return mem_chr(s, c, n); }
CFN size_t strlen(const char *s) { return str_len(s); }
CFN size_t strnlen(const char *s, size_t max) { return str_nlen(s, max); }
CFN int strcmp(const char *a, const char *b) { return str_cmp(a, b); }
CFN int strncmp(const char *a, const char *b, size_t n) { return str_ncmp(a, b, n); }
CFN char *strchr(const char *s, int c) { return str_chr(s, c); }
CFN char *strrchr(const char *s, int c) { return str_rchr(s, c); }
CFN unsigned long long strtoull(const char *s, char **end, int base) { return str_toull(s, end, base); }
// unsigned long is 64 bits on AArch64 (LP64), so strtoul is strtoull.
static_assert(sizeof(unsigned long) == sizeof(unsigned long long));
CFN unsigned long strtoul(const char *s, char **end, int base) { return str_toull(s, end, base); }
