// Signals sent from outside a user program (the kernel's side of issue 13's signal tests; the
// program's own view is user/ktest_signal.c): default actions (terminate, "core" without a
// core file, a blocked or ignored synchronous signal still kills), a job-control stop and
// SIGCONT in the middle of a sleep that then resumes through restart_syscall, and SIGKILL
// ending a stopped process. Every case checks that all pages and tasks are back.
#include <asm/ptrace.h>

#include "kernel/ktest.h"
#include "kernel/process.h"
#include "kernel/signal.h"
#include "kernel/wait.h"
#include "kstd/string.h"
#include "lib/cpio.h"
#include "lib/format.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"

namespace {

constexpr const char *PROG = "/bin/ktest_signal";

unsigned long free_pages_now()
{
	kmem_cache_shrink_all();
	return nr_free_pages();
}

// Starts ktest_signal --child=mode; nullptr (and a skip) when it is not in the initramfs.
task_struct *spawn_child(KTest &t, const char *mode, char *argbuf, usize n)
{
	kstd::span<const u8> rd = initramfs_image();
	auto e = rd.empty() ? ErrorOr<cpio::Entry>(Errno::ENOENT) : cpio::find(rd, PROG);
	if (e.is_error()) {
		t.skip("no /bin/ktest_signal in the initramfs");
		return nullptr;
	}
	kstd::snprintf(argbuf, n, "--child=%s", mode);
	const char *argv[] = {PROG, argbuf};
	set_user_console_prefix("    # ");
	auto r = spawn_program_image(PROG, e.value().data, kstd::span<const char *const>(argv, 2), {});
	if (r.is_error()) {
		set_user_console_prefix(nullptr);
		t.fail_at(__FILE__, __LINE__, "spawn: %s", r.error().name());
		return nullptr;
	}
	return r.value();
}

struct ended {
	exit_info info;
	int exit_code; // the wait status
};

ended reap(task_struct *task)
{
	get_task_struct(task); // to read exit_code once reaped
	exit_info e = reap_program(task);
	set_user_console_prefix(nullptr);
	ended r{e, task->exit_code};
	put_task_struct(task);
	return r;
}

// Waits (sleeping a tick at a time) until the task is in one of `states`; false when that
// does not happen within a long bound (a hang guard only: the outcome does not depend on it).
bool wait_for_state(task_struct *task, unsigned states)
{
	for (int i = 0; i < 100 * 60; i++) {
		if (__atomic_load_n(&task->__state, __ATOMIC_ACQUIRE) & states)
			return true;
		schedule_timeout_uninterruptible(1);
	}
	return false;
}

void run_to_end(KTest &t, const char *mode, ended &out, bool &ok)
{
	ok = false;
	char arg[48];
	task_struct *task = spawn_child(t, mode, arg, sizeof(arg));
	if (!task)
		return;
	out = reap(task);
	ok = true;
}

} // namespace

KTEST(signal, default_actions_terminate_without_core)
{
	unsigned long before = free_pages_now(), tasks = nr_tasks_alive();
	ended e{};
	bool ok;
	run_to_end(t, "term", e, ok);
	if (!ok)
		return;
	KT_EXPECT_EQ(t, (int)e.info.kind, (int)ExitKind::Killed);
	KT_EXPECT_EQ(t, e.info.signal, 15);
	KT_EXPECT_EQ(t, e.exit_code, 15); // WIFSIGNALED, WTERMSIG 15
	// The report is for faults without a handler, not for signals sent by kill.
	KT_EXPECT_TRUE(t, strcmp(e.info.reason, "killed by signal") == 0);
	run_to_end(t, "quit", e, ok);
	KT_EXPECT_EQ(t, e.info.signal, 3);
	KT_EXPECT_EQ(t, e.exit_code, 3); // no 0x80: no core dump (Linux with RLIMIT_CORE 0)
	KT_EXPECT_EQ(t, free_pages_now(), before);
	KT_EXPECT_EQ(t, nr_tasks_alive(), tasks);
}

KTEST(signal, blocked_or_ignored_sigsegv_still_kills)
{
	unsigned long before = free_pages_now();
	ended e{};
	bool ok;
	run_to_end(t, "blocked-segv", e, ok);
	if (!ok)
		return;
	KT_EXPECT_EQ(t, (int)e.info.kind, (int)ExitKind::Killed);
	KT_EXPECT_EQ(t, e.info.signal, SIGSEGV);
	// It had a handler, so (as Linux's unhandled_signal) no report: it dies of the reset
	// default action.
	KT_EXPECT_TRUE(t, strcmp(e.info.reason, "killed by signal") == 0);
	run_to_end(t, "ignored-segv", e, ok);
	KT_EXPECT_EQ(t, (int)e.info.kind, (int)ExitKind::Killed);
	KT_EXPECT_EQ(t, e.info.signal, SIGSEGV);
	KT_EXPECT_EQ(t, e.info.addr, 0ul); // killed with the fault report
	KT_EXPECT_TRUE(t, strcmp(e.info.reason, "killed by signal") != 0);
	KT_EXPECT_EQ(t, free_pages_now(), before);
}

KTEST(signal, stop_and_continue_restart_the_sleep)
{
	unsigned long before = free_pages_now();
	char arg[48];
	task_struct *task = spawn_child(t, "stop-restart", arg, sizeof(arg));
	if (!task)
		return;
	bool slept = wait_for_state(task, TASK_INTERRUPTIBLE);
	KT_EXPECT_TRUE(t, slept);
	KT_EXPECT_EQ(t, send_sig(SIGSTOP, task, true), 0);
	bool stopped = wait_for_state(task, __TASK_STOPPED);
	KT_EXPECT_TRUE(t, stopped);
	if (stopped) {
		// Stopped on its way out of nanosleep, which is set up to run again: pc back on the
		// svc, x0 its first argument again (do_signal's restart).
		pt_regs *regs = task_pt_regs(task);
		KT_EXPECT_EQ(t, regs->regs[8], 101ul); // __NR_nanosleep
		KT_EXPECT_EQ(t, regs->regs[0], regs->orig_x0);
		// Nothing but SIGCONT or SIGKILL wakes it: an ordinary wake-up leaves it stopped.
		wake_up_process(task);
		KT_EXPECT_TRUE(t, __atomic_load_n(&task->__state, __ATOMIC_ACQUIRE) & __TASK_STOPPED);
	}
	KT_EXPECT_EQ(t, send_sig(SIGCONT, task, true), 0);
	ended e = reap(task);
	KT_EXPECT_EQ(t, (int)e.info.kind, (int)ExitKind::Exited);
	KT_EXPECT_EQ(t, e.info.status, 0); // 2: -EINTR, 3: woke early, 4: another error
	KT_EXPECT_EQ(t, free_pages_now(), before);
}

KTEST(signal, sigkill_ends_a_stopped_process)
{
	unsigned long before = free_pages_now();
	char arg[48];
	task_struct *task = spawn_child(t, "stop-self", arg, sizeof(arg));
	if (!task)
		return;
	KT_EXPECT_TRUE(t, wait_for_state(task, __TASK_STOPPED));
	KT_EXPECT_EQ(t, send_sig(SIGKILL, task, true), 0);
	ended e = reap(task);
	KT_EXPECT_EQ(t, (int)e.info.kind, (int)ExitKind::Killed);
	KT_EXPECT_EQ(t, e.info.signal, SIGKILL);
	KT_EXPECT_EQ(t, free_pages_now(), before);
}
