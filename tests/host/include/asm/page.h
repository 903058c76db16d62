// Host seam for asm/page.h: plain memset/memcpy; counts clears so tests can see __GFP_ZERO
// went through clear_page.
#pragma once

#include <string.h>

#include "kstd/types.h"

inline unsigned long host_clear_page_calls = 0;
static inline void clear_page(void *addr)
{
	host_clear_page_calls++;
	memset(addr, 0, PAGE_SIZE);
}
static inline void copy_page(void *to, const void *from) { memcpy(to, from, PAGE_SIZE); }
