// See drivers/serial_rx.h.
#include "drivers/serial_rx.h"

#include "drivers/arch_timer.h"
#include "kernel/console.h"
#include "kernel/irq.h"
#include "kernel/sysrq.h"
#include "core/printk.h"

static SerialRx *console_rx;

SerialRx *console_serial_rx() { return console_rx; }
void set_console_serial_rx(SerialRx *rx) { console_rx = rx; }

bool serial_rx_request_irq(SerialRx *rx, of::Node node, irq_handler_t handler, void *dev, const char *who,
			   const char *irq_name)
{
	auto v = irq_of_parse_and_map(node, 0);
	if (v.is_error()) {
		pr_warn("%s: no usable interrupt (%s); the console keeps polling\n", who, v.error().name());
		return false;
	}
	if (auto r = request_irq(v.value(), handler, irq_name, dev); r.is_error()) {
		pr_warn("%s: cannot request virq %u (%s); polling\n", who, v.value(), r.error().name());
		return false;
	}
	rx->virq = v.value();
	return true;
}

// Linux's SYSRQ_TIMEOUT: the key must follow the BREAK within 5 s.
static constexpr u64 SYSRQ_TIMEOUT = HZ * 5;

// A BREAK arms SysRq whatever kernel.sysrq says (the mask decides about the key, as in
// Linux); a second BREAK while armed disarms it and is input (the tty's NUL, as a BREAK
// without SysRq is).
bool SerialRx::handle_break()
{
	if (console_rx != this)
		return false;
	if (!sysrq_armed()) {
		__atomic_store_n(&sysrq_deadline_, get_jiffies_64() + SYSRQ_TIMEOUT, __ATOMIC_RELAXED);
		return true;
	}
	__atomic_store_n(&sysrq_deadline_, 0, __ATOMIC_RELAXED);
	return false;
}

// With kernel.sysrq 0 the key is input, as Linux's (whose optional toggle sequence,
// CONFIG_MAGIC_SYSRQ_SERIAL_SEQUENCE, is empty in Debian's configuration and absent here).
bool SerialRx::handle_sysrq_char(u8 c)
{
	u64 deadline = __atomic_exchange_n(&sysrq_deadline_, 0, __ATOMIC_RELAXED);
	if (!deadline)
		return false;
	bool in_time = c && get_jiffies_64() < deadline;
	if (in_time && sysrq_mask()) {
		handle_sysrq(c);
		return true;
	}
	return false;
}

void console_rx_irq_init()
{
	Console *c = active_console();
	if (!c || !irq_controller_ready())
		return;
	sysrq_irq_regs_init();
	c->enable_rx_irq(true);
	if (console_rx)
		pr_info("console [%s]: receive by interrupt (virq %u)\n", c->name(), console_rx->virq);
}
