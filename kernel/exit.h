// Ending tasks and reaping them (Linux's kernel/exit.c).
//
// do_exit ends the current thread with a wait status (Linux's encoding: exit status << 8, or
// the signal number in the low 7 bits); do_group_exit ends every thread of the process with
// it first. The last thread of a process notifies the parent (SIGCHLD and wait4's wake-up);
// its children are reparented to PID 1. wait4/waitid reap zombies with Linux's status
// encoding and rusage.
#pragma once

#include "kernel/sched.h"

[[noreturn]] void do_exit(long code);
[[noreturn]] void do_group_exit(int exit_code);

// Linux's wait status encodings.
inline constexpr int exit_status_code(int status) { return (status & 0xff) << 8; }
inline constexpr bool status_exited(int code) { return (code & 0x7f) == 0; }
inline constexpr int status_termsig(int code) { return code & 0x7f; }

// The encoding user space decodes with WIFEXITED/WEXITSTATUS/WTERMSIG (glibc's bits/waitstatus.h).
static_assert(exit_status_code(42) == 0x2a00 && status_exited(0x2a00) && !status_exited(9));
static_assert(status_termsig(9) == 9 && status_termsig(0x8b) == 11); // 0x80: core dumped
static_assert(exit_status_code(0x1ff) == 0xff00);                     // only the low byte counts
