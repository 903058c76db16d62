// The serial console monitor: a line editor and a command table. Subsystems add commands
// with CONSOLE_CMD(name, help, fn) anywhere; the core never changes for a new command.
#pragma once

#include "core/console_cmd.h"
#include "kstd/types.h"

// Runs one command line ("cmd arg ..."); returns the command's status, or -1 if unknown.
int shell_execute(char *line);
// Reads and runs commands forever.
[[noreturn]] void shell_run();
