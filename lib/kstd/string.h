// The C string and memory functions the kernel provides (lib/string.cpp). They have C
// linkage because the compiler emits calls to memcpy/memset and libfdt links against them.
#pragma once

#include "types.h"

#if __STDC_HOSTED__
#include <stdlib.h>
#include <string.h>
#else
extern "C" {
void *memcpy(void *__restrict dst, const void *__restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
unsigned long strtoul(const char *s, char **end, int base);
unsigned long long strtoull(const char *s, char **end, int base);
}
#endif

namespace kstd {
// Copies at most size-1 bytes and always terminates (when size > 0); returns strlen(src),
// so a result >= size means truncation (BSD strlcpy semantics).
inline size_t strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);
	if (size) {
		size_t c = n < size - 1 ? n : size - 1;
		memcpy(dst, src, c);
		dst[c] = 0;
	}
	return n;
}
} // namespace kstd
