// printk: the kernel log. Messages go to a ring buffer (kept for `dmesg`) and, when their level
// is below the console loglevel, to the console. Levels and prefixes are Linux's.
#pragma once

#include <stdarg.h>

#include "kstd/types.h"

#define KERN_SOH "\001"
#define KERN_EMERG KERN_SOH "0"
#define KERN_ALERT KERN_SOH "1"
#define KERN_CRIT KERN_SOH "2"
#define KERN_ERR KERN_SOH "3"
#define KERN_WARNING KERN_SOH "4"
#define KERN_NOTICE KERN_SOH "5"
#define KERN_INFO KERN_SOH "6"
#define KERN_DEBUG KERN_SOH "7"
#define KERN_CONT KERN_SOH "c"
#define KERN_DEFAULT "" // the default message level (MESSAGE_LOGLEVEL_DEFAULT)

enum class LogLevel : int { Emerg = 0, Alert, Crit, Err, Warning, Notice, Info, Debug };

// Default message level when a message names none (Linux's CONFIG_MESSAGE_LOGLEVEL_DEFAULT).
inline constexpr int MESSAGE_LOGLEVEL_DEFAULT = 4;

extern "C" int printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern "C" int vprintk(const char *fmt, va_list ap);

#define pr_emerg(fmt, ...) printk(KERN_EMERG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_alert(fmt, ...) printk(KERN_ALERT pr_fmt(fmt), ##__VA_ARGS__)
#define pr_crit(fmt, ...) printk(KERN_CRIT pr_fmt(fmt), ##__VA_ARGS__)
#define pr_err(fmt, ...) printk(KERN_ERR pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...) printk(KERN_WARNING pr_fmt(fmt), ##__VA_ARGS__)
#define pr_notice(fmt, ...) printk(KERN_NOTICE pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...) printk(KERN_INFO pr_fmt(fmt), ##__VA_ARGS__)
#define pr_debug(fmt, ...) printk(KERN_DEBUG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_cont(fmt, ...) printk(KERN_CONT fmt, ##__VA_ARGS__)

#ifndef pr_fmt
#define pr_fmt(fmt) fmt
#endif

// Where a reporter writes Linux-format text (a /proc file's lines): console_printf for the
// console's plain command output, printk for the log, a buffer in tests.
using printf_sink_t = int (*)(const char *fmt, ...);

// Console loglevel (messages with level < this are printed); `loglevel=` sets it.
extern int console_loglevel;
// Linux's console_verbose(): an oops or panic prints every line whatever `quiet` said.
inline void console_verbose() { console_loglevel = 15; }
