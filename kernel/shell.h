// The serial console monitor: a line editor and a command table. Subsystems add commands
// with CONSOLE_CMD(name, help, fn) anywhere; the core never changes for a new command.
#pragma once

#include "kstd/types.h"

struct ConsoleCmd {
	const char *name;
	const char *help;
	int (*fn)(int argc, char **argv); // return value is printed when non-zero
};

#define CONSOLE_CMD(var, name, help, fn)                                                  \
	[[gnu::used, gnu::section("console_cmds")]] static const ConsoleCmd var = {name, help, fn}

// Runs one command line ("cmd arg ..."); returns the command's status, or -1 if unknown.
int shell_execute(char *line);
// Reads and runs commands forever.
[[noreturn]] void shell_run();
