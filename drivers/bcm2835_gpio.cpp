// See drivers/bcm2835_gpio.h. Register layout: BCM2835 ARM Peripherals 6.1 (the BCM2711 keeps
// GPFSEL0-5 at the same offsets).
#include "drivers/bcm2835_gpio.h"

#include <asm/fixmap.h>
#include <asm/irqflags.h>

#include "core/printk.h"
#include "core/console_cmd.h"
#include "lib/of/of.h"
#include "lib/parse.h"

namespace {

constexpr u32 GPFSEL0 = 0x00;
constexpr unsigned PINS_PER_FSEL = 10;

struct Gpio {
	bool probed;
	volatile u32 *base;
	unsigned npins;
} gpio;

Result probe()
{
	if (gpio.probed)
		return gpio.base ? Result{} : Result{Errno::ENODEV};
	gpio.probed = true;
	of::DeviceTree dt = of::boot_tree();
	of::Node n = dt.find_compatible("brcm,bcm2711-gpio");
	gpio.npins = 58;
	if (!n.valid()) {
		n = dt.find_compatible("brcm,bcm2835-gpio");
		gpio.npins = 54;
	}
	if (!n.valid() || !n.is_available())
		return Errno::ENODEV;
	auto r = n.reg_translated(0);
	if (r.is_error()) {
		pr_err("gpio: %s has no usable reg (%s)\n", n.name(), r.error().name());
		return r.error();
	}
	void *p = early_ioremap(PhysAddr(r.value().address), r.value().size ? r.value().size : PAGE_SIZE);
	if (!p)
		return Errno::ENOMEM;
	gpio.base = static_cast<volatile u32 *>(p);
	return {};
}

const char *fsel_name(GpioFsel f)
{
	static const char *const names[8] = {"input", "output", "alt5", "alt4", "alt0", "alt1", "alt2", "alt3"};
	return names[static_cast<u32>(f) & 7];
}

} // namespace

Result bcm2835_gpio_set_function(unsigned pin, GpioFsel f)
{
	TRY(probe());
	if (pin >= gpio.npins)
		return Errno::ERANGE;
	volatile u32 *reg = gpio.base + GPFSEL0 / 4 + pin / PINS_PER_FSEL;
	unsigned shift = (pin % PINS_PER_FSEL) * 3;
	irqflags_t fl = arch_local_irq_save(); // read-modify-write of a register shared by 10 pins
	*reg = (*reg & ~(7u << shift)) | (static_cast<u32>(f) << shift);
	arch_local_irq_restore(fl);
	return {};
}

ErrorOr<GpioFsel> bcm2835_gpio_get_function(unsigned pin)
{
	TRY(probe());
	if (pin >= gpio.npins)
		return Errno::ERANGE;
	u32 v = gpio.base[GPFSEL0 / 4 + pin / PINS_PER_FSEL];
	return static_cast<GpioFsel>((v >> ((pin % PINS_PER_FSEL) * 3)) & 7);
}

Result bcm2835_gpio_route_console_uart(GpioFsel f, const char *uart)
{
	for (unsigned pin : {GPIO_HEADER_TXD, GPIO_HEADER_RXD}) {
		GpioFsel old = TRY(bcm2835_gpio_get_function(pin));
		if (old == f)
			continue; // the firmware (enable_uart=1) usually did it already: no glitch
		TRY(bcm2835_gpio_set_function(pin, f));
		pr_info("gpio: GPIO%u %s -> %s (%s)\n", pin, fsel_name(old), fsel_name(f), uart);
	}
	return {};
}

// `gpio [pin]`: pin functions, all pins or one.
static int cmd_gpio(int argc, char **argv)
{
	unsigned first = 0, last;
	if (probe().is_error()) {
		console_printf("gpio: no BCM2835/BCM2711 GPIO controller in the device tree\n");
		return 1;
	}
	last = gpio.npins - 1;
	if (argc > 1) {
		u64 v;
		const char *end;
		if (!kstd::parse_u64(argv[1], &end, 0, &v) || *end || v >= gpio.npins) {
			console_printf("gpio: pin must be 0..%u\n", gpio.npins - 1);
			return 1;
		}
		first = last = static_cast<unsigned>(v);
	}
	for (unsigned p = first; p <= last; p++)
		console_printf("GPIO%-2u %s%s", p, fsel_name(bcm2835_gpio_get_function(p).value()),
			       (p - first) % 6 == 5 || p == last ? "\n" : "\t");
	return 0;
}
CONSOLE_CMD(cmd_gpio_rec, "gpio", "GPIO pin functions (BCM2835/BCM2711): gpio [pin]", cmd_gpio);
