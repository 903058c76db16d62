// Kernel stacks from vmalloc (Linux's CONFIG_VMAP_STACK) and running code on one.
//
// A stack is THREAD_SIZE bytes at a THREAD_ALIGN-aligned address, mapped page by page from
// vmalloc, with THREAD_SIZE of reserved, never-mapped address space below it and vmalloc's
// guard page above it. Bit THREAD_SHIFT of every SP inside the stack is 0 and of every SP in
// the THREAD_SIZE below it is 1, which is the one-bit test the exception vectors use; since
// that region is unmapped, the first access past the bottom faults, the vector sees the bit
// and handle_bad_stack() reports "kernel stack overflow" with the task and the stack range.
#pragma once

#include "kstd/types.h"
#include "mm/gfp.h"

// The stack's lowest address (its base; the stack grows down from base + THREAD_SIZE), or
// nullptr when no address space or pages are left (the reason is logged). gfp is for the
// stack pages (GFP_KERNEL; __GFP_ZERO to clear them).
void *alloc_thread_stack(gfp_t gfp = GFP_KERNEL);
// Frees a stack from alloc_thread_stack(); nullptr is ignored, anything else is reported.
void free_thread_stack(void *stack);

// Runs fn(arg) on stack (from alloc_thread_stack) as the task `name` and returns its result.
// While fn runs, current_task_stack() is the stack's range and current_task_name() is name,
// so backtraces and overflow reports describe it; both are restored afterwards. Must not be
// nested on the same stack.
long run_on_stack(void *stack, const char *name, long (*fn)(void *), void *arg);

// The task running now: its name, or nullptr for the boot context (swapper).
const char *current_task_name();
