// Consoles: the serial devices printk writes to and the shell reads from.
//
// A console driver registers itself with CONSOLE_DRIVER(var, name, compatible, dev_name, setup)
// and is chosen as Linux chooses (docs/console.md): every `console=` that names a device
// (Linux's device names ttyAMA<n>/ttyS<n>, a DT alias such as serial0, or a DT path, each with
// optional `,115200n8` options) is enabled and the last of them is /dev/console; without any,
// /chosen/stdout-path. `earlycon` (bare: the stdout-path device; or <driver>,[mmio32,]<addr>
// [,options]) starts a boot console before that choice. A console= naming no device is
// reported on the console that stays on, never silently. The core maps the registers (fixmap
// or early_ioremap, Device-nGnRnE) and hands the driver a virtual base; no UART address is
// known outside drivers/ and the DT.
#pragma once

#include "core/console_cmd.h"
#include "kstd/result.h"
#include "kstd/types.h"
#include "lib/of/of.h"

class Console {
public:
	virtual void write(const char *s, usize n) = 0; // translates '\n' to "\r\n"
	virtual int read_char() = 0;                    // -1 when no character is waiting
	virtual const char *name() const = 0;
	// Interrupt-driven receive: console_rx_irq_init() (drivers/serial_rx.cpp) turns it on once
	// the interrupt controller is up; a console that does not override it is polled.
	virtual void enable_rx_irq(bool on) {}

protected:
	~Console() = default;
};

struct ConsoleSetup {
	PhysAddr phys;     // register block
	u64 size;          // its length
	void *base;        // mapped registers
	u32 clock_hz;      // input clock from the DT (0 when unknown)
	u32 baud;          // from the options, 115200 when none
	of::Node node;     // invalid for earlycon= without a DT node
};

enum class LineNumbering : u8 {
	Alias,    // the node's serial<n> alias when it has one, else its place in the DT (amba-pl011)
	DtOrder,  // its place among the driver's nodes in the DT (8250 ports: ttyS0 is the first)
};

struct ConsoleDriver {
	const char *name;       // earlycon= name, e.g. "pl011"
	const char *compatible; // DT compatible, e.g. "arm,pl011"
	const char *dev_name;   // Linux's tty name without the line number, e.g. "ttyAMA"
	LineNumbering numbering;
	ErrorOr<Console *> (*setup)(const ConsoleSetup &);
};

#define CONSOLE_DRIVER(var, name, compat, dev_name, numbering, fn)                          \
	[[gnu::used, gnu::section("console_drivers")]] static const ConsoleDriver var = {name, compat, dev_name, \
											  numbering, fn}

// Picks and registers the consoles from the command line and the device tree. Prints (to the
// ring buffer) why when no console could be found.
Result console_init(of::DeviceTree dt);
// kernel/printk.cpp's list of enabled consoles (at most 4; false when full). The first
// registered is preferred until set_preferred_console() names another; a console registered
// twice stays once. unregister_console() drops a boot console replaced by another device.
bool register_console(Console *c);
void unregister_console(Console *c);
void set_preferred_console(Console *c);
// The preferred console: /dev/console, the one the tty reads (nullptr before any).
Console *active_console();
// Polls the console for a character (-1 when none). Input is read through the tty
// (kernel/tty.h), which owns what this returns.
int console_getc();
// The console UART's receive interrupt handler: characters were pushed (IRQ context); the
// tty takes them.
void console_rx_wake();

// console_printf (command output, no timestamp, not in the ring buffer) is declared with the
// command registry in core/console_cmd.h.
void console_puts(const char *s, usize n);
