// The kernel debugger's polled I/O (Linux's struct kgdb_io and the tty drivers' poll_get_char/
// poll_put_char, which kgdboc uses): a UART driver hands the debugger two functions that work
// with interrupts masked and without locks, on the console's UART (shared, kgdboc style) or on
// another one only the debugger uses.
#pragma once

#include "kstd/result.h"
#include "kstd/types.h"
#include "lib/of/of.h"

struct KgdbIo {
	int (*get_char)(void *ctx);         // -1 when nothing is waiting; never blocks
	void (*put_char)(void *ctx, u8 c);  // waits for room in the transmitter
	void *ctx;
	bool is_console; // the UART is the console's: the debugger shares it
};

// What the debugger found for kgdboc=: the UART's registers, mapped (early_ioremap), and its
// DT node.
struct KgdbPortSetup {
	PhysAddr phys;
	u64 size;
	void *base;
	of::Node node;
};

// The drivers' open functions (drivers/pl011.cpp, drivers/bcm2835_aux_uart.cpp): the console's
// own instance when phys is the console's UART, else a debugger-only one. ENODEV when there is
// nothing to drive.
[[nodiscard]] Result pl011_kgdb_open(const KgdbPortSetup &s, KgdbIo *io);
[[nodiscard]] Result mini_uart_kgdb_open(const KgdbPortSetup &s, KgdbIo *io);
