// Running one user program to its end (see kernel/process.h), the kill report, and the
// `run` console command.
#include <asm/arch_timer.h>
#include <asm/memory.h>
#include <asm/pgtable.h>
#include <asm/smp.h>
#include <asm/traps.h>

#include "kernel/console.h"
#include "core/panic.h"
#include "core/params.h"
#include "core/printk.h"
#include "kernel/process.h"
#include "kernel/shell.h"
#include "kernel/task_stack.h"
#include "kstd/string.h"
#include "lib/cpio.h"
#include "lib/format.h"
#include "mm/mm_struct.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"

static task_struct *current_tasks[NR_CPUS];
static int last_pid;

task_struct *current_task() { return current_tasks[smp_processor_id()]; }

void current_comm(char *buf, usize n)
{
	if (task_struct *t = current_task())
		kstd::strlcpy(buf, t->comm, n);
	else if (const char *k = current_task_name())
		kstd::strlcpy(buf, k, n);
	else
		kstd::snprintf(buf, n, "swapper/%u", smp_processor_id());
}

int current_pid()
{
	task_struct *t = current_task();
	return t ? t->pid : 0;
}

static void set_comm(task_struct *t, const char *path)
{
	const char *base = path;
	for (const char *c = path; *c; c++)
		if (*c == '/' && c[1])
			base = c + 1;
	usize i = 0;
	for (; base[i] && base[i] != '/' && i < sizeof(t->comm) - 1; i++)
		t->comm[i] = base[i];
	t->comm[i] = 0;
}

ErrorOr<exit_info> run_program_image(const char *name, kstd::span<const u8> image,
				     kstd::span<const char *const> argv, kstd::span<const char *const> envp)
{
	if (current_task())
		return Errno::EBUSY; // one program at a time until there is a scheduler
	page *tp = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!tp)
		return Errno::ENOMEM;
	// A vmalloc'ed stack: THREAD_ALIGN-aligned with unmapped space below, so an overflow
	// in a syscall faults and is reported instead of corrupting memory.
	void *sp = alloc_thread_stack(GFP_KERNEL);
	if (!sp) {
		__free_page(tp);
		return Errno::ENOMEM;
	}
	auto *task = new (page_address(tp)) task_struct{};
	task->pid = ++last_pid;
	set_comm(task, name);
	task->kstack = sp;
	task->start_counter = arch_counter_get_cntpct();
	auto *regs = reinterpret_cast<pt_regs *>(static_cast<char *>(task->kstack) + THREAD_SIZE - sizeof(pt_regs));
	current_tasks[smp_processor_id()] = task;

	Result r = exec_image(task, name, image, argv, envp, regs);
	exit_info info{};
	if (!r.is_error()) {
		StackRange saved = current_task_stack();
		set_current_task_stack({reinterpret_cast<u64>(task->kstack), reinterpret_cast<u64>(task->kstack) + THREAD_SIZE});
		__user_state_reset();
		__enter_user(regs, &task->ctx);
		set_current_task_stack(saved);
		info = task->exit;
		info.min_flt = task->min_flt;
	}
	if (task->mm)
		info.maxrss_kb = task->mm->hiwater_rss * (PAGE_SIZE / 1024);
	switch_to_kernel_context();
	mmput(task->mm);
	current_tasks[smp_processor_id()] = nullptr;
	free_thread_stack(sp);
	task->~task_struct();
	__free_page(tp);
	if (r.is_error())
		return r.error();
	return info;
}

ErrorOr<exit_info> run_program(const char *path, kstd::span<const char *const> argv,
			       kstd::span<const char *const> envp)
{
	kstd::span<const u8> rd = initramfs_image();
	if (rd.empty()) {
		pr_err("run: no initramfs\n");
		return Errno::ENOENT;
	}
	auto e = cpio::find(rd, path);
	if (e.is_error())
		return e.error();
	if (!e.value().is_reg())
		return Errno::EACCES;
	return run_program_image(path, e.value().data, argv, envp);
}

void do_exit(int status)
{
	task_struct *t = current_task();
	t->exit.kind = ExitKind::Exited;
	t->exit.status = status & 0xff;
	__exit_user(&t->ctx, 0);
}

// Linux's print_vma_addr: " in name[start+size]" for the file-backed VMA holding pc (the
// program's own image; its name is the task's, as exec sets comm from the file).
static void vma_addr_suffix(char *buf, usize n, const task_struct *t, u64 pc)
{
	buf[0] = 0;
	if (!t->mm)
		return;
	vm_area_struct *v = find_vma(t->mm, pc);
	if (!v || v->vm_start > pc || !v->vm_file)
		return;
	kstd::snprintf(buf, n, " in %s[%lx+%lx]", t->comm, v->vm_start, v->vm_end - v->vm_start);
}

void force_sig_kill(int sig, const char *reason, u64 addr, u64 esr, const pt_regs *regs)
{
	task_struct *t = current_task();
	t->exit.kind = ExitKind::Killed;
	t->exit.signal = sig;
	t->exit.addr = addr;
	t->exit.esr = esr;
	t->exit.pc = regs ? regs->pc : 0;
	usize i = 0;
	for (; reason[i] && i < sizeof(t->exit.reason) - 1; i++)
		t->exit.reason[i] = reason[i];
	t->exit.reason[i] = 0;
	char where[64];
	vma_addr_suffix(where, sizeof(where), t, t->exit.pc);
	// Linux 6.1's arm64_show_signal (show_unhandled_signals, which this kernel always has on):
	// "comm[pid]: unhandled exception: <class>, ESR 0x<esr>, <fault> in comm[start+size]",
	// then the registers.
	char cls[48];
	cls[0] = 0;
	if (esr)
		kstd::snprintf(cls, sizeof(cls), "%s, ESR 0x%016lx, ", esr_get_class_string(esr), (unsigned long)esr);
	pr_info("%s[%d]: unhandled exception: %s%s%s\n", t->comm, t->pid, cls, reason, where);
	if (regs)
		__show_regs(regs);
	__exit_user(&t->ctx, 0);
}

void print_exit_info(const char *path, const exit_info &e)
{
	if (e.kind == ExitKind::Exited)
		console_printf("%s: exited with status %d (%lu page faults, maxrss %lu KiB)\n", path, e.status,
			       e.min_flt, e.maxrss_kb);
	else
		console_printf("%s: killed by signal %d (%s at %#lx, pc %#lx)\n", path, e.signal, e.reason,
			       (unsigned long)e.addr, (unsigned long)e.pc);
}

static int cmd_run(int argc, char **argv)
{
	if (argc < 2) {
		console_printf("usage: run /path [args...]\n");
		return 1;
	}
	kmem_cache_shrink_all();
	unsigned long free_before = nr_free_pages();
	auto r = run_program(argv[1], kstd::span<const char *const>(argv + 1, argc - 1), init_envp());
	if (r.is_error()) {
		console_printf("run: %s: %s\n", argv[1], r.error().name());
		return 1;
	}
	print_exit_info(argv[1], r.value());
	kmem_cache_shrink_all();
	if (nr_free_pages() != free_before)
		console_printf("run: free pages %lu before, %lu after\n", free_before, nr_free_pages());
	return r.value().kind == ExitKind::Exited ? r.value().status : 128 + r.value().signal;
}
CONSOLE_CMD(run_cmd, "run", "run /path [args]: run a program from the initramfs", cmd_run);

// rdinit= (Linux: the program in the initramfs) and init= (Linux: on the root file system,
// which here is the initramfs too); rdinit= wins when both are given. The unknown words and
// the words after `--` are its arguments, unknown name=value words its environment.
static const char *init_path;
static const char *rdinit_path;
static Result set_init(const char *v)
{
	if (!v || !*v)
		return Errno::EINVAL;
	init_path = v;
	return {};
}
static Result set_rdinit(const char *v)
{
	if (!v || !*v)
		return Errno::EINVAL;
	rdinit_path = v;
	return {};
}
KERNEL_PARAM("init", set_init);
KERNEL_PARAM("rdinit", set_rdinit);

void run_init_program()
{
	const char *path = rdinit_path ? rdinit_path : init_path;
	if (!path)
		return;
	const char *argv[MAX_INIT_ARGS + 1];
	usize argc = 0;
	argv[argc++] = path;
	for (const char *a : init_argv())
		if (argc < MAX_INIT_ARGS + 1)
			argv[argc++] = a;
	pr_info("Run %s as init process\n", path);
	auto r = run_program(path, kstd::span<const char *const>(argv, argc), init_envp());
	if (r.is_error())
		pr_err("Failed to execute %s (error %d)\n", path, r.error().neg());
	else
		print_exit_info(path, r.value());
}
