/* <stdlib.h> for libfdt's libfdt_env.h in the kernel build: libfdt only needs strtoul
 * (fdt_overlay.c parses fixup offsets with it); lib/string.cpp provides it. */
#ifndef KERNEL_FDT_SHIM_STDLIB_H
#define KERNEL_FDT_SHIM_STDLIB_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

unsigned long strtoul(const char *s, char **end, int base);
unsigned long long strtoull(const char *s, char **end, int base);

#ifdef __cplusplus
}
#endif

#endif
