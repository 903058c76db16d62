// ARM PrimeCell UART (PL011): QEMU virt's UART and the Pi's UART0.
// Registers from the PL011 TRM (DDI 0183).
#include <asm/irqflags.h>

#include "drivers/bcm2835_gpio.h"
#include "drivers/serial_rx.h"
#include "drivers/uart_calc.h"
#include "kernel/console.h"
#include "kernel/debug/kgdb_io.h"
#include "kernel/irq.h"
#include "core/printk.h"

namespace {

enum Reg : u32 {
	UARTDR = 0x00,
	UARTFR = 0x18,
	UARTIBRD = 0x24,
	UARTFBRD = 0x28,
	UARTLCR_H = 0x2c,
	UARTCR = 0x30,
	UARTIMSC = 0x38,
	UARTMIS = 0x40,
	UARTICR = 0x44,
};
constexpr u32 FR_RXFE = 1 << 4; // receive FIFO empty
constexpr u32 FR_TXFF = 1 << 5; // transmit FIFO full
constexpr u32 FR_BUSY = 1 << 3;
constexpr u32 LCR_H_FEN = 1 << 4;
constexpr u32 LCR_H_WLEN8 = 3 << 5;
constexpr u32 CR_UARTEN = 1 << 0, CR_LBE = 1 << 7, CR_TXE = 1 << 8, CR_RXE = 1 << 9;
constexpr u32 IMSC_RXIM = 1 << 4, IMSC_RTIM = 1 << 6;
// UARTDR's receive status (TRM 3.3.1): a BREAK is a NUL with BE set (and FE, which a break
// also causes: the line stayed low through the stop bit). QEMU's model queues BE alone when
// its chardev reports a break (the mux's Ctrl-A b, a socket's or pty's break event).
constexpr u32 DR_BE = 1 << 10;

class Pl011 final : public Console {
public:
	void init(void *base, u32 clock, u32 baud, of::Node node)
	{
		base_ = static_cast<volatile u8 *>(base);
		node_ = node;
		// On a Pi the header pins (GPIO14/15) carry the console: ALT0 is the PL011. No
		// BCM2835 GPIO controller in the DT (QEMU virt) means nothing to route.
		(void)bcm2835_gpio_route_console_uart(GpioFsel::Alt0, "PL011");
		if (clock == 0)
			return; // keep the firmware's (or QEMU's) configuration
		auto div = pl011_baud(clock, baud);
		if (div.is_error()) {
			pr_warn("pl011: cannot derive a divisor for %u baud from %u Hz; keeping the current one\n",
				baud, clock);
			return;
		}
		// Reprogram only with the UART idle and disabled (TRM: changing LCR_H or the
		// divisors while enabled is undefined).
		while (rd(UARTFR) & FR_BUSY)
			;
		// Keep what was typed before boot: it is in the FIFO now, and the receiver is off for
		// the few writes below.
		while (!(rd(UARTFR) & FR_RXFE) && saved_n_ < sizeof(saved_))
			saved_[saved_n_++] = static_cast<char>(rd(UARTDR) & 0xff);
		wr(UARTCR, 0);
		wr(UARTIBRD, div.value().ibrd);
		wr(UARTFBRD, div.value().fbrd);
		// 8N1; the LCR_H write latches the divisors. FEN stays as the firmware left it:
		// toggling it flushes the receive FIFO, which loses whatever arrived meanwhile (and
		// QEMU's PL011 then waits for a data-register read before delivering more input).
		wr(UARTLCR_H, (rd(UARTLCR_H) & LCR_H_FEN) | LCR_H_WLEN8);
		wr(UARTICR, 0x7ff);
		wr(UARTCR, CR_UARTEN | CR_TXE | CR_RXE);
	}
	void write(const char *s, usize n) override
	{
		for (usize i = 0; i < n; i++) {
			if (s[i] == '\n')
				putc('\r');
			putc(s[i]);
		}
	}
	int read_char() override
	{
		if (saved_pos_ < saved_n_)
			return static_cast<u8>(saved_[saved_pos_++]);
		// IRQs masked: the RX handler must not drain the FIFO between the check and the read.
		irqflags_t f = arch_local_irq_save();
		int c = rx_.pop();
		// A BREAK met here arms SysRq too; an armed key stays in the FIFO for the RX
		// interrupt, which runs the key's handler outside whatever lock this reader holds.
		if (c < 0 && !rx_.sysrq_armed() && !(rd(UARTFR) & FR_RXFE)) {
			u32 dr = rd(UARTDR);
			c = (dr & DR_BE) && rx_.handle_break() ? -1 : static_cast<int>(dr & 0xff);
		}
		arch_local_irq_restore(f);
		return c;
	}
	const char *name() const override { return "ttyAMA0"; } // Linux's amba-pl011 device name
	// Polled I/O for the kernel debugger (Linux's pl011_get_poll_char/pl011_put_poll_char):
	// straight from the FIFO, interrupts masked by the caller. The receive ring stays the
	// tty's: what the interrupt handler already took was typed at the console.
	int poll_get_char()
	{
		if (rd(UARTFR) & FR_RXFE)
			return -1;
		return static_cast<int>(rd(UARTDR) & 0xff);
	}
	void poll_put_char(u8 c) { putc(static_cast<char>(c)); }
	// A port that is not the console, for the debugger alone: its pins and divisors stay as
	// the firmware (or QEMU) left them; it may be off, so transmitter and receiver go on.
	void attach_polled(void *base, of::Node node)
	{
		base_ = static_cast<volatile u8 *>(base);
		node_ = node;
		wr(UARTCR, rd(UARTCR) | CR_UARTEN | CR_TXE | CR_RXE);
	}
	PhysAddr phys_;
	void enable_rx_irq(bool on) override
	{
		if (on && !rx_.virq) {
			if (!serial_rx_request_irq(&rx_, node_, rx_irq, this, "pl011", "uart-pl011")) // Linux amba-pl011's irq name
				return;
			rx_.set_loopback = set_loopback;
			rx_.put_raw = put_raw;
			rx_.get_raw = get_raw;
			set_console_serial_rx(&rx_);
		}
		if (!rx_.virq)
			return;
		irqflags_t f = arch_local_irq_save();
		wr(UARTICR, IMSC_RXIM | IMSC_RTIM);
		wr(UARTIMSC, on ? (IMSC_RXIM | IMSC_RTIM) : 0);
		arch_local_irq_restore(f);
	}

private:
	static Pl011 &self();
	static IrqReturn rx_irq(unsigned, void *dev)
	{
		auto *u = static_cast<Pl011 *>(dev);
		if (!(u->rd(UARTMIS) & (IMSC_RXIM | IMSC_RTIM)))
			return IrqReturn::None;
		// Cleared before the FIFO is drained, as Linux's pl011_int: a character arriving after
		// the last read raises the interrupt again instead of waiting, unsignalled, for the
		// next one (cleared after the drain, it was lost whenever it came in between: the key
		// after a BREAK stayed in the FIFO).
		u->wr(UARTICR, IMSC_RXIM | IMSC_RTIM);
		for (int i = 0; i < 64 && !(u->rd(UARTFR) & FR_RXFE); i++) {
			u32 dr = u->rd(UARTDR);
			// Linux's pl011_fifo_to_tty: a break may arm SysRq, and the next character may
			// be its key; neither is input then.
			if ((dr & DR_BE) && u->rx_.handle_break())
				continue;
			if (u->rx_.handle_sysrq_char(static_cast<u8>(dr & 0xff)))
				continue;
			u->rx_.push(static_cast<u8>(dr & 0xff));
		}
		console_rx_wake();
		return IrqReturn::Handled;
	}
	// Internal loopback (UARTCR.LBE): transmitted bytes come back through the receiver.
	static Result set_loopback(bool on)
	{
		Pl011 &u = self();
		while (u.rd(UARTFR) & FR_BUSY)
			;
		u32 cr = u.rd(UARTCR);
		u.wr(UARTCR, on ? cr | CR_LBE : cr & ~CR_LBE);
		return {};
	}
	static void put_raw(u8 c) { self().putc(static_cast<char>(c)); }
	// A BREAK reads as nothing: the monitor has no use for one.
	static int get_raw()
	{
		Pl011 &u = self();
		if (u.rd(UARTFR) & FR_RXFE)
			return -1;
		u32 dr = u.rd(UARTDR);
		return dr & DR_BE ? -1 : static_cast<int>(dr & 0xff);
	}

	u32 rd(Reg r) { return *reinterpret_cast<volatile u32 *>(base_ + r); }
	void wr(Reg r, u32 v) { *reinterpret_cast<volatile u32 *>(base_ + r) = v; }
	void putc(char c)
	{
		while (rd(UARTFR) & FR_TXFF)
			;
		wr(UARTDR, static_cast<u8>(c));
	}
	volatile u8 *base_ = nullptr;
	of::Node node_;
	SerialRx rx_;
	char saved_[32];
	usize saved_n_ = 0, saved_pos_ = 0;
};

Pl011 pl011_console;
Pl011 pl011_kgdb_port; // a second PL011 that only the kernel debugger uses (kgdboc=ttyAMA1)
Pl011 &Pl011::self() { return pl011_console; }

ErrorOr<Console *> pl011_setup(const ConsoleSetup &s)
{
	pl011_console.phys_ = s.phys;
	pl011_console.init(s.base, s.clock_hz, s.baud, s.node);
	return static_cast<Console *>(&pl011_console);
}

int pl011_kgdb_get(void *u) { return static_cast<Pl011 *>(u)->poll_get_char(); }
void pl011_kgdb_put(void *u, u8 c) { static_cast<Pl011 *>(u)->poll_put_char(c); }

} // namespace

Result pl011_kgdb_open(const KgdbPortSetup &s, KgdbIo *io)
{
	Pl011 *u = &pl011_console;
	if (!pl011_console.phys_.value() || pl011_console.phys_.value() != s.phys.value()) {
		if (!s.base)
			return Errno::ENODEV;
		u = &pl011_kgdb_port;
		u->phys_ = s.phys;
		u->attach_polled(s.base, s.node);
	}
	io->get_char = pl011_kgdb_get;
	io->put_char = pl011_kgdb_put;
	io->ctx = u;
	io->is_console = u == &pl011_console;
	return {};
}

CONSOLE_DRIVER(pl011_driver, "pl011", "arm,pl011", "ttyAMA", LineNumbering::Alias, pl011_setup);
