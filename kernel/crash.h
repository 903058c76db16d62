// What panic() and the oops path (arch/arm64/traps.cpp die) share (kernel/panic.cpp): the
// crash parameters and the report's additions. Linux keeps these in kernel/panic.c too.
#pragma once

// oops=panic (Linux's panic_on_oops): an oops that could kill only its task panics instead.
extern bool panic_on_oops;
// panic_on_warn=1: a WARN panics after printing its registers (Linux's check_panic_on_warn).
extern bool panic_on_warn;
void check_panic_on_warn();
// Linux's oops_begin/console_verbose: the first call of a crash notes where the log stood and
// whether the console was hiding levels (quiet, loglevel=), then makes every line print.
void oops_begin();
// After the report's call trace: every online CPU, the log lines the console hid, the
// /proc/meminfo summary and /proc/buddyinfo, and the current task's VMAs. Takes no lock that
// may sleep; safe with IRQs off.
void crash_report_extras();
// The end of an oops that did not panic: the next crash notes the log again.
void oops_end();
