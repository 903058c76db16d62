// The `ps` console command: every task but the idle ones, as procps's `ps -eo
// pid,ppid,stat,rss,comm` would show them (rss in KiB, kernel threads in brackets).
#include "core/console_cmd.h"
#include "kernel/sched.h"
#include "mm/mm_struct.h"

#include <asm/memory.h>

namespace {

void ps_line(task_struct *t, void *)
{
	unsigned long rss_kb = t->mm ? get_mm_rss(t->mm) * (PAGE_SIZE / 1024) : 0;
	if (t->flags & PF_KTHREAD)
		console_printf("%5d %5d %c    %6lu [%s]\n", t->pid, t->parent ? t->parent->pid : 0, task_state_char(t), rss_kb,
			       t->comm);
	else
		console_printf("%5d %5d %c    %6lu %s\n", t->pid, t->parent ? t->parent->pid : 0, task_state_char(t), rss_kb,
			       t->comm);
}

int cmd_ps(int, char **)
{
	console_printf("  PID  PPID STAT    RSS COMMAND\n");
	for_each_task(ps_line, nullptr);
	return 0;
}

} // namespace

CONSOLE_CMD(cmd_ps_rec, "ps", "tasks: pid, ppid, state, rss (KiB), command", cmd_ps);
