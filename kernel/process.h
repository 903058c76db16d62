// Processes: a task with its own address space running a program at EL0, and how it ended.
//
// run_program() starts the program as a new task (a child of the caller, scheduled like any
// other), waits for it to exit or be killed, reaps it (every page it had is back in the
// allocator when it returns) and reports the end. Each task has its own mm, kernel stack and
// ASID; fork and wait4 come later (issue 13).
#pragma once

#include <asm/ptrace.h>

#include "kstd/result.h"
#include "kstd/span.h"
#include "kstd/types.h"

#include "kernel/sched.h"

struct mm_struct;

// The running task (kernel/sched.h's current).
inline task_struct *current_task() { return current; }
// current_comm()/current_pid() for reports: include/core/panic.h.

// Execs `path` from the initramfs with argv/envp (argv[0] included), runs it to the end and
// frees everything it had. Errors (ENOENT, ENOEXEC, E2BIG, ENOMEM, EFAULT) mean it never ran.
ErrorOr<exit_info> run_program(const char *path, kstd::span<const char *const> argv,
			       kstd::span<const char *const> envp);
// Starts a program given as an in-memory ELF image as a new child task and returns it once the
// exec is done (the image, argv and envp may go then); errors as run_program's. The caller must
// reap_program() it, which waits for its end and frees it.
ErrorOr<task_struct *> spawn_program_image(const char *name, kstd::span<const u8> image,
					    kstd::span<const char *const> argv, kstd::span<const char *const> envp);
exit_info reap_program(task_struct *task);
// Runs a program given as an in-memory ELF image to its end (tests).
ErrorOr<exit_info> run_program_image(const char *name, kstd::span<const u8> image,
				     kstd::span<const char *const> argv, kstd::span<const char *const> envp);

// Ends the current task with a kill and a show_unhandled_signals line (do_exit: kernel/exit.h).
[[noreturn]] void force_sig_kill(int sig, const char *reason, u64 addr, u64 esr, const pt_regs *regs);

// The initramfs in use: the loader's (DT linux,initrd-*) when present, else the built-in one.
kstd::span<const u8> initramfs_image();

// Prefixes every line user programs write to the console (nullptr: none). The KTEST runner
// uses "    # " so that a program's own KTAP output nests as diagnostics.
void set_user_console_prefix(const char *prefix);
// Writes user output to the console through the tty, with that prefix (the console file's
// write): bytes written (short only when a signal ended a wait for ^Q), or -ERESTARTSYS.
long user_console_put(const char *buf, usize n);

// Prints "comm[pid]: exited with status N" / the kill reason (console command output).
void print_exit_info(const char *path, const exit_info &e);

// Non-cryptographic random numbers (AT_RANDOM, getrandom).
u64 get_random_u64();

// Internal to process.cpp/exec.cpp.
// Builds task->mm from the ELF image and fills regs for the first instruction. An empty image
// means the file `name` in the VFS; a non-empty one is copied into an unlinked shmem file and
// run from there (tests' in-memory programs). Either way the program runs through the page
// cache.
Result exec_image(task_struct *task, const char *name, kstd::span<const u8> image,
		  kstd::span<const char *const> argv, kstd::span<const char *const> envp, pt_regs *regs);
