// printk internals shared with the console, panic and shell code.
#pragma once

#include "kstd/types.h"

void printk_set_time_base(u64 counter);
void printk_bust_locks();
// Calls out() for every line in the ring buffer, oldest first (the `dmesg` command).
void dmesg_dump(void (*out)(const char *s, usize n));
