/* <string.h> for libfdt's libfdt_env.h in the kernel build (-Ilib/fdt-shim): the kernel's own
 * string functions (lib/string.cpp), nothing more. Written as C so that it matches whatever
 * includes it; in C++ it also pulls in kstd/string.h, whose declarations must agree with these
 * (a mismatch is a compile error). */
#ifndef KERNEL_FDT_SHIM_STRING_H
#define KERNEL_FDT_SHIM_STRING_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#define FDT_SHIM_RESTRICT __restrict
#else
#define FDT_SHIM_RESTRICT restrict
#endif

void *memcpy(void *FDT_SHIM_RESTRICT dst, const void *FDT_SHIM_RESTRICT src, size_t n);
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

#ifdef __cplusplus
}
#include "kstd/string.h"
#endif

#undef FDT_SHIM_RESTRICT

#endif
