// Processes: a task with its own address space running a program at EL0, and how it ended.
//
// One program runs at a time for now (no scheduler): run_program() execs it, runs it until it
// exits or is killed, tears it down (every page it had is back in the allocator when it
// returns) and reports the end. Nothing here assumes a single address space: each task has
// its own mm, kernel stack and ASID, and current_task() is per CPU.
#pragma once

#include <asm/ptrace.h>

#include "kstd/result.h"
#include "kstd/span.h"
#include "kstd/types.h"

struct mm_struct;

// Callee-saved state of the kernel context that started the program (arch/arm64/user_entry.S
// layout: x19..x30, sp, daif).
struct kernel_ctx {
	u64 x19_x30[12];
	u64 sp;
	u64 daif;
};
static_assert(sizeof(kernel_ctx) == 112, "layout shared with user_entry.S");

// Linux signal numbers used for kill reports.
inline constexpr int SIGILL = 4, SIGTRAP = 5, SIGABRT = 6, SIGBUS = 7, SIGFPE = 8, SIGKILL = 9,
		     SIGSEGV = 11;

enum class ExitKind : u8 { Exited, Killed };

struct exit_info {
	ExitKind kind;
	int status;         // exit status (Exited)
	int signal;         // Killed: the signal whose default action ended it
	char reason[64];    // Killed: "level 2 translation fault", "out of memory", ...
	u64 addr;           // Killed by a fault: the faulting address
	u64 esr;
	u64 pc;
	unsigned long min_flt; // faults resolved for it (ru_minflt)
	unsigned long maxrss_kb;
};

struct k_sigaction {
	u64 handler, flags, restorer, mask;
};

struct task_struct {
	int pid;
	char comm[16];
	mm_struct *mm;
	kernel_ctx ctx;
	exit_info exit;
	unsigned long min_flt, maj_flt;
	u64 clear_child_tid;
	u64 robust_list, robust_len;
	k_sigaction sigactions[64];
	u64 sigmask;
	void *kstack; // THREAD_SIZE bytes, THREAD_ALIGN aligned
	u64 start_counter;
};

task_struct *current_task();
// current_comm()/current_pid() for reports: include/core/panic.h.

// Execs `path` from the initramfs with argv/envp (argv[0] included), runs it to the end and
// frees everything it had. Errors (ENOENT, ENOEXEC, E2BIG, ENOMEM, EFAULT) mean it never ran.
ErrorOr<exit_info> run_program(const char *path, kstd::span<const char *const> argv,
			       kstd::span<const char *const> envp);
// Runs a program given as an in-memory ELF image (tests).
ErrorOr<exit_info> run_program_image(const char *name, kstd::span<const u8> image,
				     kstd::span<const char *const> argv, kstd::span<const char *const> envp);

// Ends the current task: exit(status), or a kill with a show_unhandled_signals line.
[[noreturn]] void do_exit(int status);
[[noreturn]] void force_sig_kill(int sig, const char *reason, u64 addr, u64 esr, const pt_regs *regs);

// The initramfs in use: the loader's (DT linux,initrd-*) when present, else the built-in one.
kstd::span<const u8> initramfs_image();

// Prefixes every line user programs write to the console (nullptr: none). The KTEST runner
// uses "    # " so that a program's own KTAP output nests as diagnostics.
void set_user_console_prefix(const char *prefix);

// Prints "comm[pid]: exited with status N" / the kill reason (console command output).
void print_exit_info(const char *path, const exit_info &e);

// Non-cryptographic random numbers (AT_RANDOM, getrandom).
u64 get_random_u64();

// Internal to process.cpp/exec.cpp.
extern "C" long __enter_user(pt_regs *regs, kernel_ctx *ctx);
extern "C" [[noreturn]] void __exit_user(kernel_ctx *ctx, long ret);
extern "C" void __user_state_reset();
// Builds task->mm from the ELF image and fills regs for the first instruction.
Result exec_image(task_struct *task, const char *name, kstd::span<const u8> image,
		  kstd::span<const char *const> argv, kstd::span<const char *const> envp, pt_regs *regs);
