#include "kernel/shell.h"

#include <asm/irqflags.h>
#include <asm/smp.h>

#include "kernel/console.h"
#include "kernel/irq.h"
#include "kernel/ledger.h"
#include "kernel/process.h"
#include "kernel/signal.h"
#include "kernel/tty.h"
#include "core/params.h"
#include "lib/parse.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"
#include "core/printk.h"
#include "kernel/printk_internal.h"
#include "kernel/reboot.h"
#include "kstd/string.h"
#include "mm/vmstat.h"

extern "C" const ConsoleCmd __start_console_cmds[], __stop_console_cmds[];

static constexpr int MAX_ARGS = 16;

int shell_execute(char *line)
{
	char *argv[MAX_ARGS + 1];
	int argc = 0;
	for (char *p = line; *p;) {
		while (*p == ' ' || *p == '\t')
			*p++ = 0;
		if (!*p)
			break;
		if (argc == MAX_ARGS) {
			console_printf("too many arguments (at most %d)\n", MAX_ARGS);
			return -1;
		}
		argv[argc++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	argv[argc] = nullptr;
	if (argc == 0)
		return 0;
	for (const ConsoleCmd *c = __start_console_cmds; c < __stop_console_cmds; c++)
		if (strcmp(c->name, argv[0]) == 0)
			return c->fn(argc, argv);
	console_printf("%s: unknown command (try 'help')\n", argv[0]);
	return -1;
}

static void console_write(const char *s, usize n) { console_puts(s, n); }

// Reads one command line through the console tty's canonical mode (kernel/tty.h): the line
// discipline edits and echoes it; CR ends it (ICRNL) as LF does. A line longer than the
// buffer is cut; ^D on an empty line is end-of-file. 0 for a line, -EOF/-EINTR otherwise.
static constexpr long READ_EOF = 1, READ_INTR = 4;
static long read_line(char *buf, usize size)
{
	struct Dst {
		char *buf;
		usize n, size;
		bool newline;
	} d{buf, 0, size, false};
	auto copy = [](void *ctx, const u8 *s, usize n) -> long {
		auto *d = static_cast<Dst *>(ctx);
		for (usize i = 0; i < n; i++) {
			if (s[i] == '\n')
				d->newline = true; // a canonical read ends with its line's end
			else if (d->n + 1 < d->size)
				d->buf[d->n++] = static_cast<char>(s[i]);
		}
		return 0;
	};
	for (;;) {
		// stop_on_isig: the shell takes no signals, so ^C ends its read instead.
		long r = tty_read(copy, &d, 4096, false, true);
		if (r == -READ_INTR)
			return -READ_INTR;
		if (r == 0 && d.n == 0)
			return -READ_EOF;
		// A newline ends the command, and so does VEOF after some text was ended by one.
		if (d.newline || r == 0) {
			d.buf[d.n] = 0;
			return 0;
		}
	}
}

void shell_run()
{
	static char line[256];
	// PID 1 leads session 1, with the console as its controlling tty (kernel/tty.h).
	tty_shell_take_console();
	for (;;) {
		tty_write(reinterpret_cast<const u8 *>("kernel> "), 8);
		long r = read_line(line, sizeof(line));
		if (r < 0) {
			console_write("\n", 1); // ^C or ^D: a fresh prompt on a new line
			continue;
		}
		r = shell_execute(line);
		if (r > 0)
			console_printf("(status %d)\n", static_cast<int>(r));
	}
}

// `run /path args`: the program (a file in the VFS, as Linux's kernel_execve finds it: the
// initramfs is unpacked there) runs in its own process group, the console's foreground while
// it runs (^C reaches it, not the shell), and the shell waits for it. It joins its group just
// after its exec: until then it is in the shell's group, which was the foreground, so a ^C
// typed meanwhile reaches it as well. The memory ledger (kernel/ledger.h: free pages, live slab
// objects, tasks, vmalloc areas) is taken before and after: whatever the program did, all of
// it must be given back once it is reaped, and a change is reported.
static int cmd_run(int argc, char **argv)
{
	if (argc < 2) {
		console_printf("usage: run /path [args...]\n");
		return 1;
	}
	memory_ledger before = memory_ledger_snapshot();
	auto t = spawn_program_image(argv[1], {}, kstd::span<const char *const>(argv + 1, argc - 1), init_envp());
	if (t.is_error()) {
		console_printf("run: %s: %s\n", argv[1], t.error().name());
		return 1;
	}
	task_struct *task = t.value();
	set_own_pgrp(task);
	if (tty_is_ctty(current))
		tty_set_foreground(task->tgid);
	exit_info info = reap_program(task);
	tty_shell_take_console(); // the shell's group again (and the console, if the program took it)
	print_exit_info(argv[1], info);
	memory_ledger after = memory_ledger_snapshot();
	if (memory_ledger_compare(before, after, "run: "))
		console_printf("run: ledger exact: %llu slab objects, %llu free pages, %llu tasks\n",
			       (unsigned long long)after.v[0], (unsigned long long)after.v[1],
			       (unsigned long long)after.v[2]);
	return info.kind == ExitKind::Exited ? info.status : 128 + info.signal;
}
CONSOLE_CMD(run_cmd, "run", "run /path [args]: run a program in the foreground, the memory ledger checked", cmd_run);

// Signal names as kill -l lists them (asm-generic/signal.h numbers).
static const char *const signal_names[] = {
	nullptr, "HUP",  "INT",  "QUIT", "ILL",  "TRAP", "ABRT", "BUS",    "FPE",  "KILL",  "USR1",
	"SEGV",  "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN",
	"TTOU",  "URG",  "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR",  "SYS",
};

static bool parse_int(const char *s, long *out)
{
	bool neg = *s == '-';
	u64 v;
	const char *end;
	if (!kstd::parse_u64(neg ? s + 1 : s, &end, 10, &v) || *end || v > 0x7fffffff)
		return false;
	*out = neg ? -static_cast<long>(v) : static_cast<long>(v);
	return true;
}

// "9", "-9", "KILL", "-KILL", "SIGKILL", "-SIGKILL" (any case): the number, or -1.
static int parse_signal(const char *s)
{
	if (*s == '-')
		s++;
	long n;
	if (parse_int(s, &n))
		return n >= 0 && n <= _NSIG ? static_cast<int>(n) : -1;
	auto upper = [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; };
	if (upper(s[0]) == 'S' && upper(s[1]) == 'I' && upper(s[2]) == 'G')
		s += 3;
	for (int i = 1; i < static_cast<int>(sizeof(signal_names) / sizeof(signal_names[0])); i++) {
		const char *a = signal_names[i], *b = s;
		while (*a && upper(*b) == *a) {
			a++;
			b++;
		}
		if (!*a && !*b)
			return i;
	}
	return -1;
}

// `kill PID [SIG]`: as kill(2) from the kernel: PID > 0 one process, -PGRP a process group,
// 0 the shell's own group. SIGTERM by default.
static int cmd_kill(int argc, char **argv)
{
	long pid;
	if (argc < 2 || argc > 3 || !parse_int(argv[1], &pid)) {
		console_printf("usage: kill PID [SIG] (SIG: a number, or a name as KILL or SIGKILL)\n");
		return 1;
	}
	int sig = argc == 3 ? parse_signal(argv[2]) : SIGTERM;
	if (sig < 0) {
		console_printf("kill: %s: invalid signal specification\n", argv[2]);
		return 1;
	}
	int r;
	if (pid > 0) {
		task_struct *t = find_get_task_by_pid(static_cast<int>(pid));
		if (!t) {
			console_printf("kill: (%ld) - No such process\n", pid);
			return 1;
		}
		r = send_sig(sig, t, true);
		put_task_struct(t);
	} else {
		int pgrp = pid ? static_cast<int>(-pid) : current->signal->pgrp;
		r = pgrp > 0 ? kill_pgrp(pgrp, sig, true) : -3;
		if (r == -3) {
			console_printf("kill: (%ld) - No such process\n", pid);
			return 1;
		}
	}
	if (r < 0) {
		console_printf("kill: (%ld) - error %d\n", pid, r);
		return 1;
	}
	return 0;
}
CONSOLE_CMD(cmd_kill_rec, "kill", "kill PID [SIG]: send SIG (default TERM) to a process, -PGRP to a group", cmd_kill);

static int cmd_help(int, char **)
{
	for (const ConsoleCmd *c = __start_console_cmds; c < __stop_console_cmds; c++)
		console_printf("  %-14s %s\n", c->name, c->help);
	return 0;
}
CONSOLE_CMD(cmd_help_rec, "help", "list commands", cmd_help);

static int cmd_dmesg(int, char **)
{
	dmesg_dump(console_write);
	return 0;
}
CONSOLE_CMD(cmd_dmesg_rec, "dmesg", "print the kernel log buffer", cmd_dmesg);

static int cmd_poweroff(int argc, char **argv)
{
	int status = 0;
	if (argc > 1)
		status = static_cast<int>(strtoul(argv[1], nullptr, 0));
	machine_power_off(status);
}
CONSOLE_CMD(cmd_poweroff_rec, "poweroff", "power off [status] (QEMU exits with it under semihosting)", cmd_poweroff);

static int cmd_reboot(int, char **) { machine_restart(); }
CONSOLE_CMD(cmd_reboot_rec, "reboot", "restart the machine", cmd_reboot);
