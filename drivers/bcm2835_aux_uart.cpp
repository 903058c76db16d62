// BCM2835 mini UART (AUX UART1, "brcm,bcm2835-aux-uart"): the Pi 3 and Pi 4 header console.
// Registers: BCM2835 ARM Peripherals 2.2 with its errata (IER bit 0 enables the receive
// interrupt, bit 1 the transmit one). The AUX block (AUX_IRQ, AUX_ENABLES) is a separate DT
// node, "brcm,bcm2835-aux", which is also the UART's clock provider: the baud clock is the
// AUX block's input clock (the VPU core clock).
//
// On hardware the firmware (enable_uart=1) already runs this UART at 115200 and has muxed
// GPIO14/15: the driver changes only what differs, never flushes the FIFOs (input typed
// before boot survives), and keeps the firmware's divisor when the clock is unknown (the
// upstream DTB names the clock controller, whose rates only the mailbox knows).
#include <asm/fixmap.h>
#include <asm/irqflags.h>

#include "drivers/bcm2835_gpio.h"
#include "drivers/serial_rx.h"
#include "drivers/uart_calc.h"
#include "kernel/console.h"
#include "kernel/debug/kgdb_io.h"
#include "kernel/irq.h"
#include "core/printk.h"

namespace {

// Offsets from the UART's own registers (AUX base + 0x40).
enum Reg : u32 {
	AUX_MU_IO = 0x00,
	AUX_MU_IER = 0x04,
	AUX_MU_IIR = 0x08,
	AUX_MU_LCR = 0x0c,
	AUX_MU_MCR = 0x10,
	AUX_MU_LSR = 0x14,
	AUX_MU_CNTL = 0x20,
	AUX_MU_BAUD = 0x28,
};
constexpr u32 AUX_ENABLES = 0x04; // in the AUX block
constexpr u32 AUX_ENABLE_UART = 1u << 0;
constexpr u32 IER_RX = 1u << 0;
constexpr u32 LCR_8BIT = 3;
constexpr u32 LSR_DATA_READY = 1u << 0, LSR_TX_EMPTY = 1u << 5, LSR_TX_IDLE = 1u << 6;
constexpr u32 CNTL_RX_ENABLE = 1u << 0, CNTL_TX_ENABLE = 1u << 1;
// Bounds busy-waits on the transmitter: 8 FIFO bytes at 300 baud, far more than any sane
// rate needs. A UART whose clock was stopped must not hang the kernel.
constexpr u32 TX_SPIN_LIMIT = 10000000;

class MiniUart final : public Console {
public:
	Result init(const ConsoleSetup &s)
	{
		base_ = static_cast<volatile u8 *>(s.base);
		node_ = s.node;
		of::Node aux = aux_node();
		if (aux.valid())
			map_aux(aux);
		if (bcm2835_gpio_route_console_uart(GpioFsel::Alt5, "mini UART").is_error() && node_.valid())
			pr_debug("mini UART: no GPIO controller to route; keeping the pins as they are\n");

		u32 clock = s.clock_hz ? s.clock_hz : aux_clock(aux);
		u32 baud_div = rd(AUX_MU_BAUD) & 0xffff, new_div = baud_div;
		if (clock) {
			auto d = mini_uart_baud(clock, s.baud);
			if (d.is_error())
				pr_warn("mini UART: no divisor for %u baud from %u Hz (%s); keeping %u\n", s.baud, clock,
					d.error().name(), baud_div);
			else {
				new_div = d.value().divisor;
				actual_baud_ = d.value().actual_baud;
				error_ppm_ = d.value().error_ppm;
			}
		}
		bool enabled = !aux_ || (rd_aux(AUX_ENABLES) & AUX_ENABLE_UART);
		u32 cntl = rd(AUX_MU_CNTL);
		bool running = enabled && (cntl & (CNTL_RX_ENABLE | CNTL_TX_ENABLE)) == (CNTL_RX_ENABLE | CNTL_TX_ENABLE) &&
			       (rd(AUX_MU_LCR) & LCR_8BIT) == LCR_8BIT && new_div == baud_div;
		if (!running) {
			if (aux_)
				wr_aux(AUX_ENABLES, rd_aux(AUX_ENABLES) | AUX_ENABLE_UART); // SPI1/2 bits kept
			wait_tx_idle();
			wr(AUX_MU_CNTL, 0);
			wr(AUX_MU_IER, 0);
			wr(AUX_MU_LCR, LCR_8BIT);
			wr(AUX_MU_MCR, 0);
			wr(AUX_MU_BAUD, new_div);
			wr(AUX_MU_CNTL, CNTL_RX_ENABLE | CNTL_TX_ENABLE);
		}
		clock_ = clock;
		divisor_ = new_div;
		reprogrammed_ = !running;
		return {};
	}
	void report()
	{
		if (clock_ && actual_baud_)
			pr_info("mini UART: clock %u Hz, divisor %u -> %u baud (%d ppm)%s\n", clock_, divisor_, actual_baud_,
				error_ppm_, reprogrammed_ ? "" : ", as the firmware left it");
		else
			pr_info("mini UART: input clock unknown; keeping divisor %u\n", divisor_);
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
		irqflags_t f = arch_local_irq_save();
		int c = rx_.pop();
		if (c < 0 && (rd(AUX_MU_LSR) & LSR_DATA_READY))
			c = static_cast<int>(rd(AUX_MU_IO) & 0xff);
		arch_local_irq_restore(f);
		return c;
	}
	const char *name() const override { return "ttyS0"; }
	// Polled I/O for the kernel debugger, interrupts masked by the caller (the receive ring
	// stays the tty's).
	int poll_get_char()
	{
		if (!(rd(AUX_MU_LSR) & LSR_DATA_READY))
			return -1;
		return static_cast<int>(rd(AUX_MU_IO) & 0xff);
	}
	void poll_put_char(u8 c) { putc(static_cast<char>(c)); }
	bool ready() const { return base_ != nullptr; }
	void enable_rx_irq(bool on) override
	{
		if (on && !rx_.virq) {
			if (!serial_rx_request_irq(&rx_, node_, rx_irq, this, "mini UART", "ttyS0")) // Linux 8250: the port name
				return;
			set_console_serial_rx(&rx_);
		}
		if (!rx_.virq)
			return;
		irqflags_t f = arch_local_irq_save();
		wr(AUX_MU_IER, on ? IER_RX : 0);
		arch_local_irq_restore(f);
	}

private:
	static IrqReturn rx_irq(unsigned, void *dev)
	{
		auto *u = static_cast<MiniUart *>(dev);
		// The AUX line is shared with SPI1/SPI2: say so when the UART had nothing.
		if (!(u->rd(AUX_MU_LSR) & LSR_DATA_READY))
			return IrqReturn::None;
		for (int i = 0; i < 64 && (u->rd(AUX_MU_LSR) & LSR_DATA_READY); i++)
			u->rx_.push(static_cast<u8>(u->rd(AUX_MU_IO) & 0xff));
		console_rx_wake();
		return IrqReturn::Handled;
	}
	// The AUX block: the UART's clock provider when it is one, else the first in the DT.
	of::Node aux_node()
	{
		of::DeviceTree dt = of::boot_tree();
		if (node_.valid())
			if (auto ph = node_.read_u32("clocks")) {
				of::Node n = dt.find_by_phandle(ph.value());
				if (n.is_compatible("brcm,bcm2835-aux"))
					return n;
			}
		return dt.find_compatible("brcm,bcm2835-aux");
	}
	void map_aux(of::Node aux)
	{
		auto r = aux.reg_translated(0);
		if (r.is_error() || r.value().size < AUX_ENABLES + 4) {
			pr_warn("mini UART: AUX block without usable reg; assuming the firmware enabled the UART\n");
			return;
		}
		aux_ = static_cast<volatile u8 *>(early_ioremap(PhysAddr(r.value().address), r.value().size));
	}
	// The AUX block's input clock: a fixed clock in the project's DTB; 0 (unknown) when it
	// is the CPRMAN clock controller of the upstream DTB.
	static u32 aux_clock(of::Node aux)
	{
		if (!aux.valid())
			return 0;
		auto ph = aux.read_u32("clocks");
		if (ph.is_error())
			return 0;
		of::Node clk = of::boot_tree().find_by_phandle(ph.value());
		if (!clk.is_compatible("fixed-clock"))
			return 0;
		return clk.read_u32("clock-frequency").value_or(0);
	}
	void wait_tx_idle()
	{
		for (u32 i = 0; i < TX_SPIN_LIMIT && !(rd(AUX_MU_LSR) & LSR_TX_IDLE); i++)
			;
	}
	void putc(char c)
	{
		for (u32 i = 0; i < TX_SPIN_LIMIT && !(rd(AUX_MU_LSR) & LSR_TX_EMPTY); i++)
			;
		wr(AUX_MU_IO, static_cast<u8>(c));
	}
	u32 rd(Reg r) { return *reinterpret_cast<volatile u32 *>(base_ + r); }
	void wr(Reg r, u32 v) { *reinterpret_cast<volatile u32 *>(base_ + r) = v; }
	u32 rd_aux(u32 off) { return *reinterpret_cast<volatile u32 *>(aux_ + off); }
	void wr_aux(u32 off, u32 v) { *reinterpret_cast<volatile u32 *>(aux_ + off) = v; }

	volatile u8 *base_ = nullptr;
	volatile u8 *aux_ = nullptr;
	of::Node node_;
	SerialRx rx_;
	u32 clock_ = 0, divisor_ = 0, actual_baud_ = 0;
	i32 error_ppm_ = 0;
	bool reprogrammed_ = false;
};

MiniUart mini_uart;

ErrorOr<Console *> mini_uart_setup(const ConsoleSetup &s)
{
	TRY(mini_uart.init(s));
	mini_uart.report();
	return static_cast<Console *>(&mini_uart);
}

int mini_uart_kgdb_get(void *u) { return static_cast<MiniUart *>(u)->poll_get_char(); }
void mini_uart_kgdb_put(void *u, u8 c) { static_cast<MiniUart *>(u)->poll_put_char(c); }

} // namespace

// There is one mini UART: the console's, or set up here for the debugger alone.
Result mini_uart_kgdb_open(const KgdbPortSetup &s, KgdbIo *io)
{
	bool console = mini_uart.ready();
	if (!console) {
		if (!s.base)
			return Errno::ENODEV;
		TRY(mini_uart.init(ConsoleSetup{s.phys, s.size, s.base, 0, 115200, s.node}));
	}
	io->get_char = mini_uart_kgdb_get;
	io->put_char = mini_uart_kgdb_put;
	io->ctx = &mini_uart;
	io->is_console = console;
	return {};
}

CONSOLE_DRIVER(mini_uart_driver, "bcm2835aux", "brcm,bcm2835-aux-uart", "ttyS", LineNumbering::DtOrder,
	       mini_uart_setup);
