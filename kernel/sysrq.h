// Magic SysRq (Linux's drivers/tty/sysrq.c and include/linux/sysrq.h).
//
// A key handled at once by the kernel, whatever user space does: a BREAK on the serial console
// followed by the key (drivers/serial_rx.h, from the UART's receive interrupt, as Linux's
// uart_handle_break/uart_handle_sysrq_char), or a character written to /proc/sysrq-trigger.
// The key table, the help text and the messages are Linux 6.1's; docs/sysrq.md lists the keys.
//
// Contract:
// - handle_sysrq(key) runs the key's handler in the caller's context: IRQ context from the
//   console (with the interrupted registers, see get_irq_regs), process context from the
//   /proc file. Handlers never sleep: everything they do is safe with IRQs masked.
// - kernel.sysrq (/proc/sys/kernel/sysrq, `sysctl.kernel.sysrq=N`, default 438 as Debian's
//   CONFIG_MAGIC_SYSRQ_DEFAULT_ENABLE) is Linux's bitmask: 0 disables SysRq on the console
//   (a BREAK and the next character then reach the tty), 1 enables every key, any other value
//   enables the key groups of its SYSRQ_ENABLE_* bits. `sysrq_always_enabled` on the command
//   line enables every key whatever the mask. /proc/sysrq-trigger ignores the mask (Linux's
//   __handle_sysrq(key, false)): writing it needs root already.
// - register_sysrq_key/unregister_sysrq_key add and remove keys at run time (the GDB stub's
//   'g'); the op must live until it is unregistered.
#pragma once

#include "kstd/result.h"
#include "kstd/types.h"

struct pt_regs;

// Linux's SYSRQ_ENABLE_* groups (the bits of kernel.sysrq).
inline constexpr int SYSRQ_ENABLE_LOG = 0x0002;
inline constexpr int SYSRQ_ENABLE_KEYBOARD = 0x0004;
inline constexpr int SYSRQ_ENABLE_DUMP = 0x0008;
inline constexpr int SYSRQ_ENABLE_SYNC = 0x0010;
inline constexpr int SYSRQ_ENABLE_REMOUNT = 0x0020;
inline constexpr int SYSRQ_ENABLE_SIGNAL = 0x0040;
inline constexpr int SYSRQ_ENABLE_BOOT = 0x0080;
inline constexpr int SYSRQ_ENABLE_RTNICE = 0x0100;
// Debian's CONFIG_MAGIC_SYSRQ_DEFAULT_ENABLE: log, keyboard, sync, remount, boot, rtnice.
inline constexpr int SYSRQ_DEFAULT_ENABLE = 438;

struct sysrq_key_op {
	void (*handler)(int key);
	const char *help_msg;   // "crash(c)": the key's part of the help line
	const char *action_msg; // "Trigger a crash": printed before the handler runs
	int enable_mask;        // the SYSRQ_ENABLE_* group; 0: only with kernel.sysrq = 1
};

// Linux's handle_sysrq: the key's handler when SysRq is on and the key's group is enabled,
// else "This sysrq operation is disabled."; a key without a handler prints the help line.
void handle_sysrq(int key);
// Linux's __handle_sysrq: check_mask false ignores kernel.sysrq (/proc/sysrq-trigger).
void __handle_sysrq(int key, bool check_mask);
// Linux's sysrq_mask(): kernel.sysrq, or 1 with sysrq_always_enabled. Non-zero: a BREAK on
// the console makes the next character a SysRq key.
int sysrq_mask();
// Linux's sysrq_toggle_support: sets kernel.sysrq.
void sysrq_toggle_support(int enable_mask);

// EINVAL for a key outside 0-9a-zA-Z (Linux's sysrq_key_table slots), EBUSY when the key
// already has an op (register) or has another op (unregister).
[[nodiscard]] Result register_sysrq_key(int key, const sysrq_key_op *op);
[[nodiscard]] Result unregister_sysrq_key(int key, const sysrq_key_op *op);

// The registers of the interrupted context while this CPU handles an interrupt (Linux's
// get_irq_regs), nullptr outside interrupts.
pt_regs *get_irq_regs();
// Once the root interrupt controller is up: records the interrupted registers of every IRQ
// for get_irq_regs (drivers/serial_rx.cpp's console_rx_irq_init calls it).
void sysrq_irq_regs_init();

// /proc/sysrq-trigger's write (fs/proc's table): the first byte is the key.
long sysrq_trigger_write(void *, const char *buf, usize len);
