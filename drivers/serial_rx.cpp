// See drivers/serial_rx.h.
#include "drivers/serial_rx.h"

#include "kernel/console.h"
#include "kernel/irq.h"
#include "kernel/printk.h"

static SerialRx *console_rx;

SerialRx *console_serial_rx() { return console_rx; }
void set_console_serial_rx(SerialRx *rx) { console_rx = rx; }

void console_rx_irq_init()
{
	Console *c = active_console();
	if (!c || !irq_controller_ready())
		return;
	c->enable_rx_irq(true);
	if (console_rx)
		pr_info("console [%s]: receive by interrupt (virq %u)\n", c->name(), console_rx->virq);
}
