// Raspberry Pi board drivers: firmware mailbox, console pin functions. Skipped on boards
// without them (QEMU virt).
#include "drivers/bcm2835_gpio.h"
#include "drivers/bcm2835_mbox.h"
#include "kernel/console.h"
#include "kernel/ktest.h"
#include "kstd/string.h"
#include "lib/of/of.h"

KTEST(rpi, mailbox_board_info)
{
	if (!of::boot_tree().find_compatible("brcm,bcm2835-mbox").valid()) {
		t.skip("no brcm,bcm2835-mbox in the device tree");
		return;
	}
	const RpiBoardInfo *i = rpi_board_info();
	KT_ASSERT_TRUE(t, i != nullptr);
	KT_EXPECT_NE(t, i->revision, 0u);
	KT_EXPECT_EQ(t, i->arm_mem_base, 0u);
	KT_EXPECT_GE(t, i->arm_mem_size, 256 * SZ_1M);
	// A fresh property call answers the same revision.
	u32 tags[] = {0x00010002, 4, 0, 0};
	KT_ASSERT_TRUE(t, !rpi_firmware_property(tags, 4).is_error());
	KT_EXPECT_EQ(t, tags[3], i->revision);
	// Oversized messages are refused, not sent.
	u32 big[80] = {};
	KT_EXPECT_TRUE(t, rpi_firmware_property(big, 80).is_error());
}

// The answer is seen by the mailbox's "data available" interrupt (through ARMCTRL bank 0
// on the Pi 3, GIC SPI 33 on the Pi 4), not by polling.
KTEST(rpi, mailbox_interrupt)
{
	if (!rpi_board_info()) {
		t.skip("no firmware mailbox");
		return;
	}
	KT_ASSERT_TRUE(t, bcm2835_mbox_virq() != 0);
	u64 n0 = bcm2835_mbox_irq_count();
	KT_EXPECT_TRUE(t, !bcm2835_mbox_call_by_irq().is_error());
	KT_EXPECT_EQ(t, bcm2835_mbox_irq_count(), n0 + 1);
}

// The console UART drives the header pins GPIO14/15: ALT5 for the mini UART, ALT0 for the
// PL011.
KTEST(rpi, console_on_header_pins)
{
	auto f14 = bcm2835_gpio_get_function(GPIO_HEADER_TXD);
	if (f14.is_error()) {
		t.skip("no BCM2835/BCM2711 GPIO controller");
		return;
	}
	Console *c = active_console();
	KT_ASSERT_TRUE(t, c != nullptr);
	GpioFsel want = strcmp(c->name(), "ttyAMA0") == 0 ? GpioFsel::Alt0 : GpioFsel::Alt5;
	KT_EXPECT_EQ(t, static_cast<u32>(f14.value()), static_cast<u32>(want));
	KT_EXPECT_EQ(t, static_cast<u32>(bcm2835_gpio_get_function(GPIO_HEADER_RXD).value()), static_cast<u32>(want));
	KT_EXPECT_TRUE(t, bcm2835_gpio_get_function(1000).is_error());
}
