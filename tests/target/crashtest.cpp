// Deliberate crashes for the oops and stack-overflow reports: `crashtest=<kind>` on the
// command line triggers one after boot. The host runner checks that the report names the
// faulting function, decodes the exception and that QEMU exits with the failure status.
#include <asm/memory.h>
#include <asm/pgtable.h>

#include "core/params.h"
#include "core/panic.h"
#include "core/printk.h"
#include "kernel/kthread.h"
#include "kernel/sched.h"
#include "kernel/shell.h"
#include "kernel/task_stack.h"
#include "mm/mm_struct.h"
#include "kstd/string.h"

extern "C" [[gnu::noinline]] void crashtest_null_deref()
{
	volatile u64 *p = nullptr;
	*p = 0x1234;
}

// A kernel address nothing maps (the last page of the vmalloc area, never handed out) and a
// store to the kernel's own rodata: Linux's "paging request" and "write to read-only memory".
extern "C" [[gnu::noinline]] void crashtest_paging()
{
	volatile u64 *p = reinterpret_cast<volatile u64 *>((VMALLOC_END & ~0xfffull));
	*p = 0x1234;
}
static const u64 crashtest_ro_word = 1;
extern "C" [[gnu::noinline]] void crashtest_rodata()
{
	*const_cast<volatile u64 *>(&crashtest_ro_word) = 2;
}

// Recursion without a base case is the point: it runs off the stack so that the overflow
// report can be checked. The frame stays (not a tail call) because of the addition after it.
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Winfinite-recursion"
extern "C" [[gnu::noinline]] u64 crashtest_recurse(u64 n)
{
	volatile u8 pad[256];
	pad[0] = static_cast<u8>(n);
	return crashtest_recurse(n + 1) + pad[0];
}
#pragma clang diagnostic pop

static long recurse_on_stack(void *) { return static_cast<long>(crashtest_recurse(0)); }

// The same runaway recursion in a "task" on a vmalloc'ed stack: the report must name the
// task and the stack's range, and the fault must hit the unmapped region below the stack.
static int crash_vmap_stack()
{
	void *stack = alloc_thread_stack();
	if (!stack) {
		pr_err("crashtest: cannot allocate a kernel stack\n");
		return 1;
	}
	u64 low = reinterpret_cast<u64>(stack);
	pr_info("crashtest: task crashtest-vmap on stack [0x%016lx..0x%016lx]\n", (unsigned long)low,
		(unsigned long)(low + THREAD_SIZE));
	run_on_stack(stack, "crashtest-vmap", recurse_on_stack, nullptr);
	free_thread_stack(stack); // not reached: the overflow panics
	return 0;
}

extern "C" [[gnu::noinline]] void crashtest_undef() { asm volatile(".inst 0x00000000"); }

// Undefined behaviour that -fsanitize=undefined reports and survives (make UBSAN=1).
// The amount goes through a volatile so that the compiler cannot see its value and fold or
// reject the shift: the check must happen at run time.
extern "C" [[gnu::noinline]] int crashtest_ubsan_shift(int amount)
{
	volatile int n = amount;
	int one = 1;
	return one << n;
}

// Overruns a local array: -fstack-protector-strong must catch it on return.
// The bound is read through a volatile, so that the compiler cannot shorten the loop to the
// array's size (writing past it is the undefined behaviour the canary must catch).
extern "C" [[gnu::noinline]] void crashtest_stackprot(usize count)
{
	volatile usize n = count;
	volatile char buf[16];
	for (usize i = 0; i < n; i++)
		buf[i] = static_cast<char>(0x41);
}

static int run(const char *kind);

// An oops in a kernel thread of its own: without oops=panic the thread is killed and the
// kernel (and the console) carry on, as Linux's make_task_dead.
static int crash_thread_fn(void *) { return run("null"); }

// The same in a thread with a user address space of its own (Linux's kthread_use_mm), so that
// the report lists VMAs: two private pages, one shared and one read-only. The mm_alloc
// reference is the thread's own: exit_mm drops it when the oops kills the thread.
static int crash_thread_mm_fn(void *)
{
	auto r = mm_alloc();
	if (r.is_error()) {
		pr_err("crashtest: no memory for an address space\n");
		return 1;
	}
	mm_struct *mm = r.value();
	long a = ksys_mmap(mm, 0, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, ~0ul, 0);
	long b = ksys_mmap(mm, 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, ~0ul, 0);
	long c = ksys_mmap(mm, 0, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, ~0ul, 0);
	if (a < 0 || b < 0 || c < 0) {
		pr_err("crashtest: mmap failed (%ld %ld %ld)\n", a, b, c);
		mmput(mm);
		return 1;
	}
	pr_info("crashtest: VMAs at %#lx (2 pages, rw-p), %#lx (rw-s), %#lx (r--p)\n", a, b, c);
	preempt_disable(); // no switch may see current->mm with the old TTBR0
	current->mm = mm;
	check_and_switch_context(mm);
	preempt_enable();
	return run("null");
}

static int run(const char *kind)
{
	pr_info("crashtest: %s\n", kind);
	if (strcmp(kind, "null") == 0)
		crashtest_null_deref();
	else if (strcmp(kind, "paging") == 0)
		crashtest_paging();
	else if (strcmp(kind, "rodata") == 0)
		crashtest_rodata();
	else if (strcmp(kind, "stack") == 0)
		crashtest_recurse(0);
	else if (strcmp(kind, "vmap_stack") == 0)
		return crash_vmap_stack();
	else if (strcmp(kind, "undef") == 0)
		crashtest_undef();
	else if (strcmp(kind, "ubsan") == 0) {
		pr_info("crashtest: 1 << 40 = %d\n", crashtest_ubsan_shift(40));
		return 0;
	} else if (strcmp(kind, "stackprot") == 0)
		crashtest_stackprot(64);
	else if (strcmp(kind, "bug") == 0)
		BUG_ON(strlen(kind) == 3);
	else if (strcmp(kind, "warn") == 0) {
		WARN_ON(true);
		return 0;
	} else if (strcmp(kind, "panic") == 0) {
		panic("crashtest: deliberate panic");
	} else if (strcmp(kind, "kthread") == 0 || strcmp(kind, "kthread_mm") == 0) {
		if (!kthread_run(kind[7] ? crash_thread_mm_fn : crash_thread_fn, nullptr, "crashtest")) {
			pr_err("crashtest: cannot start the crashtest thread\n");
			return 1;
		}
		return 0;
	} else if (strcmp(kind, "sleep_atomic") == 0) {
		// Sleeping with preemption disabled would deadlock: schedule() must report and refuse.
		if (current->flags & PF_IDLE) {
			pr_err("crashtest: sleep_atomic needs a task (use the console's crash command)\n");
			return 1;
		}
		preempt_disable();
		set_current_state(TASK_UNINTERRUPTIBLE);
		schedule();
		bool refused = __atomic_load_n(&current->__state, __ATOMIC_RELAXED) == TASK_RUNNING;
		preempt_enable();
		pr_info("crashtest: schedule() in atomic context %s\n", refused ? "refused, task still running" : "slept");
		return refused ? 0 : 1;
	} else {
		pr_err("crashtest: unknown kind '%s' (null, paging, rodata, stack, vmap_stack, undef, ubsan, stackprot, bug, warn, panic, kthread, kthread_mm, sleep_atomic)\n", kind);
		return 1;
	}
	return 0;
}

static char crash_kind[16];
static Result set_crashtest(const char *v)
{
	if (!v || kstd::strlcpy(crash_kind, v, sizeof(crash_kind)) >= sizeof(crash_kind))
		return Errno::EINVAL;
	return {};
}
EARLY_PARAM("crashtest", set_crashtest);

// Called by start_kernel after the self-tests would have run.
void crashtest_run_selected()
{
	if (crash_kind[0])
		run(crash_kind);
}

static int cmd_crash(int argc, char **argv)
{
	if (argc < 2) {
		pr_err("usage: crash null|paging|rodata|stack|vmap_stack|undef|ubsan|stackprot|bug|warn|panic|kthread|kthread_mm|sleep_atomic\n");
		return 1;
	}
	return run(argv[1]);
}
CONSOLE_CMD(cmd_crash_rec, "crash", "crash deliberately: null|paging|rodata|stack|vmap_stack|undef|ubsan|stackprot|bug|warn|panic|kthread|kthread_mm|sleep_atomic", cmd_crash);
