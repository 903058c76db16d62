#include "kernel/shell.h"

#include <asm/irqflags.h>
#include <asm/smp.h>

#include "kernel/console.h"
#include "kernel/irq.h"
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

// Reads a line with echo and backspace; both CR and LF end it (terminals send CR, pipes LF).
static usize read_line(char *buf, usize size)
{
	usize n = 0;
	for (;;) {
		// Sleeps until a character arrives (kernel/console.h says how).
		int ch = console_getc_wait();
		if (ch == '\r' || ch == '\n') {
			console_write("\n", 1);
			buf[n] = 0;
			return n;
		}
		if (ch == 0x7f || ch == 0x08) {
			if (n > 0) {
				n--;
				console_write("\b \b", 3);
			}
			continue;
		}
		if (ch < 0x20 || n + 1 >= size)
			continue;
		buf[n++] = static_cast<char>(ch);
		char c = static_cast<char>(ch);
		console_write(&c, 1);
	}
}

void shell_run()
{
	static char line[256];
	for (;;) {
		console_write("kernel> ", 8);
		read_line(line, sizeof(line));
		int r = shell_execute(line);
		if (r > 0)
			console_printf("(status %d)\n", r);
	}
}

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
