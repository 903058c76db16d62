// fork, vfork, clone, clone3: kernel/fork.cpp.
#pragma once

#include "kstd/types.h"

// Linux's kernel_clone: the child's pid (in the caller's view) or -errno.
long kernel_clone(u64 flags, int exit_signal, u64 stack, u64 stack_size, u64 parent_tid, u64 child_tid, u64 tls);
// Boot: RLIMIT_NPROC's default from the memory size.
void fork_init();
