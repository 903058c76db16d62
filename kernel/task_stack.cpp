// Kernel stacks from vmalloc (see kernel/task_stack.h).
#include "kernel/task_stack.h"

#include <asm/memory.h>
#include <asm/traps.h>

#include "core/panic.h"
#include "core/printk.h"
#include "mm/vmalloc.h"

static_assert(THREAD_ALIGN == 2 * THREAD_SIZE, "the overflow test needs the unmapped half below the stack");

// arch/arm64/stack_switch.S: switches SP to stack_top, calls fn(arg), switches back.
extern "C" long __run_on_stack(u64 stack_top, long (*fn)(void *), void *arg);

static const char *task_name;

const char *current_task_name() { return task_name; }

void *alloc_thread_stack(gfp_t gfp)
{
	// THREAD_SIZE reserved below the stack: the SP values the one-bit test flags as an
	// overflow are exactly the addresses nobody else can ever map.
	return vmalloc_guarded(THREAD_SIZE, THREAD_ALIGN, THREAD_ALIGN - THREAD_SIZE, gfp, __builtin_return_address(0));
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
