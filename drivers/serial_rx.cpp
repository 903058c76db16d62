// See drivers/serial_rx.h.
#include "drivers/serial_rx.h"

#include "kernel/console.h"
#include "kernel/irq.h"
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

void console_rx_irq_init()
{
	Console *c = active_console();
	if (!c || !irq_controller_ready())
		return;
	c->enable_rx_irq(true);
	if (console_rx)
		pr_info("console [%s]: receive by interrupt (virq %u)\n", c->name(), console_rx->virq);
}
