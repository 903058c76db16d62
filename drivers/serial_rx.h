// The console's interrupt-driven receive path, shared by the UART console drivers.
//
// The UART's RX interrupt handler drains the hardware FIFO into a SerialRx ring; the driver's
// read_char() pops from the ring and, when it is empty, still polls the hardware with IRQs
// masked (so input works before interrupts are on, or if they never arrive, and the two
// paths never race for the same FIFO). One producer (the IRQ handler), one consumer.
#pragma once

#include "kernel/irq.h"
#include "kstd/result.h"
#include "kstd/types.h"

class SerialRx {
public:
	static constexpr u32 SIZE = 256; // power of two

	// IRQ context. A full ring drops the character and counts an overrun.
	void push(u8 c)
	{
		u32 h = head_, t = __atomic_load_n(&tail_, __ATOMIC_ACQUIRE);
		if (h - t == SIZE) {
			overruns_++;
			return;
		}
		buf_[h % SIZE] = c;
		__atomic_store_n(&head_, h + 1, __ATOMIC_RELEASE);
		irq_chars_++;
	}
	// -1 when empty.
	int pop()
	{
		u32 t = tail_;
		if (t == __atomic_load_n(&head_, __ATOMIC_ACQUIRE))
			return -1;
		int c = buf_[t % SIZE];
		__atomic_store_n(&tail_, t + 1, __ATOMIC_RELEASE);
		return c;
	}
	// Consumer side: the bytes waiting, and the i-th of them (i < count()) without taking it
	// (the console tty looks for signal characters in what nobody reads yet).
	u32 count() const { return __atomic_load_n(&head_, __ATOMIC_ACQUIRE) - tail_; }
	u8 peek(u32 i) const { return buf_[(tail_ + i) % SIZE]; }
	u64 irq_chars() const { return __atomic_load_n(&irq_chars_, __ATOMIC_RELAXED); }
	u64 overruns() const { return overruns_; }

	// Magic SysRq on the console (Linux's uart_handle_break/uart_handle_sysrq_char), called by
	// the RX interrupt handler for the ring of the active console only. handle_break: a BREAK
	// was received; true when it armed SysRq (then it is not input). handle_sysrq_char: true
	// when c was the key following a BREAK within 5 s and went to handle_sysrq (not input).
	bool handle_break();
	bool handle_sysrq_char(u8 c);
	bool sysrq_armed() const { return __atomic_load_n(&sysrq_deadline_, __ATOMIC_RELAXED) != 0; }

	unsigned virq = 0; // the UART's RX interrupt once requested
	// Self-test hooks (null when the UART cannot do it): internal loopback, so that a byte
	// written with put_raw() comes back through the receiver and its interrupt.
	Result (*set_loopback)(bool on) = nullptr;
	void (*put_raw)(u8 c) = nullptr;
	// Polls the receiver itself, past the ring (-1 when nothing is there): the SysRq monitor
	// (kernel/sysrq.h) reads the UART with IRQs masked, typeahead staying in the ring.
	int (*get_raw)() = nullptr;

private:
	u8 buf_[SIZE];
	u32 head_ = 0, tail_ = 0;
	u64 irq_chars_ = 0, overruns_ = 0;
	u64 sysrq_deadline_ = 0; // jiffies until which the next character is a SysRq key; 0: none
};

// Maps and requests a UART's first interrupt for rx (irq_name in the irq list) and records the
// virq in rx->virq. False, with a warning prefixed by who, when the DT names no usable
// interrupt or the request fails: the console then keeps polling.
bool serial_rx_request_irq(SerialRx *rx, of::Node node, irq_handler_t handler, void *dev, const char *who,
			   const char *irq_name);

// The receive state of the active console, registered by its driver when it enables the RX
// interrupt; nullptr while the console polls.
SerialRx *console_serial_rx();
void set_console_serial_rx(SerialRx *rx);
// Called once the interrupt controllers and the tick work: switches the console to
// interrupt-driven receive (a console without an interrupt keeps polling, with a message).
void console_rx_irq_init();
