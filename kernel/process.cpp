// Running one user program to its end (see kernel/process.h), the kill report, and the
// `run` console command.
#include <asm/arch_timer.h>
#include <asm/memory.h>
#include <asm/pgtable.h>
#include <asm/smp.h>
#include <asm/traps.h>

#include "kernel/console.h"
#include "kernel/exit.h"
#include "core/panic.h"
#include "core/params.h"
#include "core/printk.h"
#include "kernel/printk_internal.h"
#include "kernel/process.h"
#include "fs/fs.h"
#include "kernel/reboot.h"
#include "kernel/shell.h"
#include "kernel/task_stack.h"
#include "kernel/wait.h"
#include "kstd/string.h"
#include "lib/cpio.h"
#include "lib/format.h"
#include "mm/mm_struct.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"

// The name and pid reports give the running context (include/core/panic.h): the current
// task's, or the name run_on_stack gave its temporary stack (the idle task is swapper/N).
void current_comm(char *buf, usize n)
{
	if (const char *k = current_task_name())
		kstd::strlcpy(buf, k, n);
	else
		kstd::strlcpy(buf, current->comm, n);
}

int current_pid() { return current->pid; }

static const char *path_basename(const char *path)
{
	const char *base = path;
	for (const char *c = path; *c; c++)
		if (*c == '/' && c[1])
			base = c + 1;
	return base;
}

// exec names the task after the file, as Linux's __set_task_comm(bprm->filename's basename).
static void set_comm_from_path(task_struct *t, const char *path)
{
	kstd::strlcpy(t->comm, path_basename(path), sizeof(t->comm));
}

namespace {

// What the parent hands the new task: the program to exec, and where the result goes. Lives on
// the parent's stack: the parent waits until the exec is over (done), after which the child
// needs none of it.
struct exec_request {
	const char *name;
	kstd::span<const u8> image;
	kstd::span<const char *const> argv, envp;
	Result result;
	bool done;
	wait_queue_head wq;
};

// The new task's first function (on its own stack, as current): Linux's kernel_execve from a
// user-mode thread. On success it returns 0 and ret_from_fork enters EL0 from the pt_regs
// exec_image filled; on failure the task ends without ever running user code.
int user_task_start(void *arg)
{
	auto *req = static_cast<exec_request *>(arg);
	task_struct *t = current;
	Result r = init_task_files(t);
	if (!r.is_error())
		r = exec_image(t, req->name, req->image, req->argv, req->envp, task_pt_regs(t));
	{
		// done is published and the parent woken under the queue's lock, and the parent takes
		// that lock before req goes away: nothing here touches req after the unlock.
		SpinLockGuard g(req->wq.lock);
		req->result = r;
		__atomic_store_n(&req->done, true, __ATOMIC_RELEASE);
		wake_up_locked(&req->wq);
	}
	if (r.is_error())
		do_exit(exit_status_code(127));
	return 0;
}

} // namespace

ErrorOr<task_struct *> spawn_program_image(const char *name, kstd::span<const u8> image,
					    kstd::span<const char *const> argv, kstd::span<const char *const> envp)
{
	exec_request req{name, image, argv, envp, {}, false, {}};
	// create_task's first FP/SIMD load and thread pointers give the program zeroed FP/SIMD
	// registers, FPSR, FPCR and TPIDR_EL0/TPIDRRO_EL0, so nothing leaks from an earlier one.
	task_struct *task = create_task(path_basename(name), user_task_start, &req, 0);
	if (!task)
		return Errno::ENOMEM;
	get_task_struct(task); // ours, to read its exit state after the reap
	wake_up_new_task(task);
	// The child may still hold req.wq's lock when done is seen: take it once more before req
	// goes away.
	wait_event(req.wq, __atomic_load_n(&req.done, __ATOMIC_ACQUIRE));
	{
		SpinLockGuard g(req.wq.lock);
	}
	if (req.result.is_error()) {
		wait_task_zombie(task);
		put_task_struct(task);
		return req.result.error();
	}
	return task;
}

exit_info reap_program(task_struct *task)
{
	wait_task_zombie(task);
	exit_info info = task->exit;
	info.nvcsw = task->nvcsw;
	info.nivcsw = task->nivcsw;
	put_task_struct(task);
	return info;
}

ErrorOr<exit_info> run_program_image(const char *name, kstd::span<const u8> image,
				     kstd::span<const char *const> argv, kstd::span<const char *const> envp)
{
	auto t = spawn_program_image(name, image, argv, envp);
	if (t.is_error())
		return t.error();
	return reap_program(t.value());
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

// Linux's print_vma_addr: " in name[start+size]" for the file-backed VMA holding pc (the
// program's own image; its name is the task's, as exec sets comm from the file).
static void vma_addr_suffix(char *buf, usize n, const task_struct *t, u64 pc)
{
	buf[0] = 0;
	if (!t->mm)
		return;
	ReadGuard g(t->mm->mmap_lock); // other threads may be changing the mm
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
	// The whole process dies of the signal (its other threads too), with the reason above kept
	// for the exit report (do_exit leaves a reason that is already set).
	do_group_exit(sig);
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

// Linux's run_init_process: PID 1 (a kernel thread until now) becomes the program at path,
// with init's arguments and environment from the command line (kernel/main.cpp picks the path).
Result run_init_process(const char *path)
{
	const char *argv[MAX_INIT_ARGS + 1];
	usize argc = 0;
	argv[argc++] = path;
	for (const char *a : init_argv())
		if (argc < MAX_INIT_ARGS + 1)
			argv[argc++] = a;
	pr_info("Run %s as init process\n", path);
	kstd::span<const u8> rd = initramfs_image();
	auto e = rd.empty() ? ErrorOr<cpio::Entry>(Errno::ENOENT) : cpio::find(rd, path);
	Result r = e.is_error() ? Result(e.error()) : !e.value().is_reg() ? Result(Errno::EACCES) : Result{};
	task_struct *t = current;
	if (!r.is_error())
		r = init_task_files(t); // Linux's console_on_rootfs: fds 0-2 on /dev/console
	char saved_comm[sizeof(t->comm)];
	memcpy(saved_comm, t->comm, sizeof(saved_comm));
	if (!r.is_error()) {
		// Linux's kernel_execve in kernel_init: PID 1 itself becomes the program. Its kernel
		// thread past is gone: user FP/SIMD state and thread pointers start at zero.
		set_comm_from_path(t, path);
		r = exec_image(t, path, e.value().data, kstd::span<const char *const>(argv, argc), init_envp(),
			       task_pt_regs(t));
	}
	if (r.is_error()) {
		if (mm_struct *mm = t->mm) {
			switch_to_kernel_context();
			t->mm = nullptr;
			mmput(mm);
		}
		// PID 1 stays the kernel's init thread (the next init candidate, or the shell).
		memcpy(t->comm, saved_comm, sizeof(saved_comm));
		return r;
	}
	t->flags &= ~PF_KTHREAD;
	fpsimd_flush_thread();
	return {};
}
