// The console tty: the N_TTY line discipline (kernel/n_tty.h) between the console UART and
// its readers and writers, and the console's job control (Linux's tty_struct ctrl: the
// session it is the controlling tty of and its foreground process group).
//
// One tty, shared by the kernel shell and by user programs on fds 0-2: the shell reads its
// command lines through the same canonical mode with echo, and while a program it ran is the
// foreground process group the shell waits for it, so the two never read at once.
//
// Input path. The UART's receive interrupt fills the driver's ring (drivers/serial_rx.h); the
// tty moves bytes from there into its flip buffer (Linux's tty_buffer) and the discipline
// processes them (Linux's flush_to_ldisc) when a reader wants input: a canonical reader takes exactly up to the end of
// one line, so typeahead is echoed by the read that consumes it, as if typed at that moment
// (piped console input then shows each command after its prompt). Characters that act on
// arrival are never held back: when a signal (VINTR, VQUIT, VSUSP) or flow-control (VSTART,
// VSTOP) character has arrived, everything up to it is processed in the interrupt, and so is
// everything when the UART's ring or the flip buffer is half full. Linux processes all input on
// arrival (from a workqueue); the difference is only when typeahead is echoed.
//
// Controlling tty. A process's controlling tty is the console when its session is the
// console's (Linux keeps signal->tty, which the session alone decides here: every member of
// a session shares its leader's tty). The console starts with no session (PID 1 leads
// session 1 without a controlling tty); the kernel shell makes the console the controlling
// tty of PID 1's session (as a getty's setsid + open would), and `run` gives each program its
// own process group as the foreground. A session leader's exit
// sends SIGHUP to the foreground group and frees the console (disassociate_ctty from do_exit);
// a session whose leader is gone otherwise loses it when the console's session is consulted.
//
// Not done: SIGTTIN/SIGTTOU for background process groups (the stop signals they would send
// are not implemented: a background reader reads), hangup, ^O (VDISCARD), ECHO while output
// is stopped (echo is written at once; user writes wait for VSTART).
#pragma once

#include "kernel/sched.h"
#include "kstd/types.h"

// The receive interrupt (IRQ context) and polling readers: bytes the console has are moved
// into the flip buffer and processed as above.
void tty_receive_from_device();

// Reading: copy(ctx, bytes, n) moves each chunk to the reader (0, or -EFAULT to stop).
// nonblock: O_NONBLOCK (-EAGAIN when nothing is there). stop_on_isig: a signal character
// ends the read (-EINTR when nothing was read yet) for the kernel shell, which takes no
// signals. Returns bytes read, 0 at end-of-file (VEOF), or -ERESTARTSYS/-EAGAIN/-EFAULT.
using TtyCopyFn = long (*)(void *ctx, const u8 *buf, usize n);
long tty_read(TtyCopyFn copy, void *ctx, usize len, bool nonblock, bool stop_on_isig);
// Output through OPOST processing; waits while output is stopped (^S). n, or the bytes
// written before a signal ended the wait (-ERESTARTSYS when none were).
long tty_write(const u8 *buf, usize n);
// ioctl on a console fd; -ENOTTY for what a tty does not know.
long tty_ioctl(u64 cmd, u64 arg);
// poll on a console file (Linux's n_tty_poll): the queue input and mode changes wake, and
// whether a read would find input now (a line, or VMIN bytes raw, as n_tty polls).
struct wait_queue_head;
wait_queue_head *tty_poll_queue();
bool tty_input_ready();
// The console file's status flags (O_NONBLOCK; fds 0-2 are one open file, as init's
// inherited /dev/console).
u32 tty_file_flags();
void tty_set_file_flags(u32 flags);

// --- job control -------------------------------------------------------------------------------
// Whether the console is t's controlling tty.
bool tty_is_ctty(const task_struct *t);
// The console's session and foreground process group (0: none).
int tty_session();
int tty_foreground_pgrp();
// The kernel shell's start (PID 1): leader of its own session, with the console as its
// controlling tty and its process group in the foreground. Also how the shell takes the
// console back after a program it ran took it.
void tty_shell_take_console();
// Makes pgrp the console's foreground process group (the shell's `run`).
void tty_set_foreground(int pgrp);
// Linux's disassociate_ctty for a session leader (on_exit: its exit): SIGHUP (and SIGCONT
// unless exiting) to the foreground group, then the console has no session. For exit.cpp.
void disassociate_ctty(bool on_exit);
// Process groups and sessions (kernel/pgrp.cpp; Linux's kernel/sys.c). A thread group's ids
// are in its signal_struct, changed under tasklist_lock.
// Whether a process group with this id exists (zombies count until reaped, as Linux's).
bool pgrp_exists_locked(int pgrp) TA_REQ(tasklist_lock);
// Linux's session_of_pgrp: the session of a member of pgrp, else of the process with that
// pid; -1 when neither exists.
int session_of_pgrp_locked(int pgrp) TA_REQ(tasklist_lock);
// The thread group leader with this pid (zombies included), or nullptr.
task_struct *find_process_locked(int pid) TA_REQ(tasklist_lock);
// A process is a session leader when its session id is its own pid (Linux's signal->leader:
// setsid is the only way to get a session of one's own pid).
inline bool is_session_leader(const task_struct *t) { return t->signal->session == t->tgid; }
// Puts process p into its own new process group (the shell's `run`, before the program is the
// foreground; no EACCES after exec as setpgid(2) has: the kernel does it for the shell).
void set_own_pgrp(task_struct *p);
