// fs/proc's private declarations (Linux's fs/proc/internal.h).
#pragma once

#include "kstd/types.h"

struct memblock_region;
struct task_struct;

inline constexpr long EINVAL_NEG = -22;


// fs/char_dev.cpp: every registered character device region's major and name (chrdevs_lock).
void for_each_chrdev(void (*fn)(void *ctx, u32 major, const char *name), void *ctx);

// Nanoseconds since the counter started (boot): uptime, and the base of task start times.
u64 proc_uptime_ns();
// Installs the counters mm reads through hooks (meminfo's Committed_AS). Idempotent.
void proc_install_hooks();
// Committed_AS in pages: the private writable pages of every address space (fs/proc/base.cpp).
unsigned long proc_committed_as_pages();
