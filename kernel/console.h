// Consoles: the serial devices printk writes to and the shell reads from.
//
// A console driver registers itself with CONSOLE_DRIVER(name, compatible, setup) and is chosen
// by the device tree (/chosen/stdout-path) or the command line: `console=<alias|path>` picks a
// DT node, `earlycon=<name>,<phys-addr>[,<options>]` names a driver and its registers directly
// (for a DTB without stdout-path). The core maps the registers (fixmap, Device-nGnRnE) and
// hands the driver a virtual base; no UART address is known outside drivers/ and the DT.
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

struct ConsoleDriver {
	const char *name;       // earlycon= name, e.g. "pl011"
	const char *compatible; // DT compatible, e.g. "arm,pl011"
	ErrorOr<Console *> (*setup)(const ConsoleSetup &);
};

#define CONSOLE_DRIVER(var, name, compat, fn)                                               \
	[[gnu::used, gnu::section("console_drivers")]] static const ConsoleDriver var = {name, compat, fn}

// Picks and registers the console from the command line and the device tree. Prints (to the
// ring buffer) why when no console could be found.
Result console_init(of::DeviceTree dt);
void register_console(Console *c);
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
