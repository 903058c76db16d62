// Console-command registration (LK's lk/console_cmd.h): any layer adds a command to the serial
// console monitor with CONSOLE_CMD(var, name, help, fn) without depending on the shell, which
// collects the records from the console_cmds section. The shell itself is kernel/shell.h.
#pragma once

#include "kstd/types.h"

struct ConsoleCmd {
	const char *name;
	const char *help;
	int (*fn)(int argc, char **argv); // return value is printed when non-zero
};

#define CONSOLE_CMD(var, name, help, fn)                                                  \
	[[gnu::used, gnu::section("console_cmds")]] static const ConsoleCmd var = {name, help, fn}

// Command output: formatted text straight to the console, without log level or timestamp and
// kept out of the log buffer (what Linux's /proc files give a reader). Defined by the console
// core; the host suite provides its own.
int console_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
