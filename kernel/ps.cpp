// The `ps` console command: every task but the idle ones, as procps's `ps -eo
// pid,ppid,stat,rss,comm` would show them (rss in KiB, kernel threads in brackets). STAT is
// the state letter, then procps's 's' for a session leader and '+' for a member of the
// console's foreground process group.
#include "core/console_cmd.h"
#include "kernel/sched.h"
#include "kernel/tty.h"
#include "mm/mm_struct.h"

#include <asm/memory.h>

namespace {

struct Console {
	int session, fg_pgrp; // taken before the walk: for_each_task holds tasklist_lock
};

void ps_line(task_struct *t, void *arg)
{
	auto *c = static_cast<const Console *>(arg);
	unsigned long rss_kb = t->mm ? get_mm_rss(t->mm) * (PAGE_SIZE / 1024) : 0;
	char stat[4] = {task_state_char(t), 0, 0, 0};
	int i = 1;
	if (t->group_leader == t && is_session_leader(t))
		stat[i++] = 's';
	if (c->fg_pgrp && t->signal->session == c->session && t->signal->pgrp == c->fg_pgrp)
		stat[i++] = '+';
	bool kthread = t->flags & PF_KTHREAD;
	console_printf("%5d %5d %-4s %6lu %s%s%s\n", t->pid, t->parent ? t->parent->pid : 0, stat, rss_kb,
		       kthread ? "[" : "", t->comm, kthread ? "]" : "");
}

int cmd_ps(int, char **)
{
	Console c{tty_session(), tty_foreground_pgrp()};
	console_printf("  PID  PPID STAT    RSS COMMAND\n");
	for_each_task(ps_line, &c);
	return 0;
}

} // namespace

CONSOLE_CMD(cmd_ps_rec, "ps", "tasks: pid, ppid, state, rss (KiB), command", cmd_ps);
