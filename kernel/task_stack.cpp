// Kernel stacks from vmalloc (see kernel/task_stack.h).
#include "kernel/task_stack.h"

#include <asm/memory.h>
#include <asm/traps.h>

#include "core/panic.h"
#include "core/printk.h"
#include "mm/vmalloc.h"
#include "mm/vmstat.h"

static_assert(THREAD_ALIGN == 2 * THREAD_SIZE, "the overflow test needs the unmapped half below the stack");

// arch/arm64/stack_switch.S: switches SP to stack_top, calls fn(arg), switches back.
extern "C" long __run_on_stack(u64 stack_top, long (*fn)(void *), void *arg);

static const char *task_name;

const char *current_task_name() { return task_name; }

// NR_KERNEL_STACK_KB of each stack page's node (Linux's account_kernel_stack for vmapped
// stacks); sign is +1 or -1.
static void account_kernel_stack(void *stack, int sign)
{
	for (unsigned long off = 0; off < THREAD_SIZE; off += PAGE_SIZE) {
		page *p = vmalloc_to_page(static_cast<u8 *>(stack) + off);
		if (p)
			mod_node_page_state(page_pgdat(p), NR_KERNEL_STACK_KB, sign * static_cast<long>(PAGE_SIZE / SZ_1K));
	}
}

void *alloc_thread_stack(gfp_t gfp)
{
	// THREAD_SIZE reserved below the stack: the SP values the one-bit test flags as an
	// overflow are exactly the addresses nobody else can ever map.
	void *stack = vmalloc_guarded(THREAD_SIZE, THREAD_ALIGN, THREAD_ALIGN - THREAD_SIZE, gfp, __builtin_return_address(0));
	if (stack)
		account_kernel_stack(stack, 1);
	return stack;
}

void free_thread_stack(void *stack)
{
	if (!stack)
		return;
	u64 a = reinterpret_cast<u64>(stack);
	vm_struct *vm = find_vm_area(stack);
	if (!vm || (a & (THREAD_ALIGN - 1)) || get_vm_area_size(vm) != THREAD_SIZE) {
		pr_err("free_thread_stack: %p is not a kernel stack\n", stack);
		WARN_ON(true);
		return;
	}
	account_kernel_stack(stack, -1);
	vfree(stack);
}

long run_on_stack(void *stack, const char *name, long (*fn)(void *), void *arg)
{
	u64 low = reinterpret_cast<u64>(stack);
	BUG_ON(!stack || (low & (THREAD_ALIGN - 1)) || !fn);
	StackRange prev = current_task_stack();
	const char *prev_name = task_name;
	set_current_task_stack({low, low + THREAD_SIZE});
	task_name = name;
	long r = __run_on_stack(low + THREAD_SIZE, fn, arg);
	task_name = prev_name;
	set_current_task_stack(prev);
	return r;
}
