// The VideoCore mailbox ("brcm,bcm2835-mbox") and the firmware's property interface on
// channel 8 (Linux's bcm2835-mailbox.c + raspberrypi.c firmware driver, reduced to polling
// with an optional completion interrupt). Property tags from the Raspberry Pi firmware wiki
// ("Mailbox property interface").
#pragma once

#include "kstd/result.h"
#include "kstd/types.h"
#include "lib/of/of.h"

struct RpiBoardInfo {
	u32 revision;      // board revision code (new-style when bit 23 is set)
	u64 arm_mem_base;  // the ARM's share of RAM below the VideoCore carve-out
	u64 arm_mem_size;
	u32 firmware_rev;  // firmware build time (Unix seconds)
};

// Probes the mailbox from the DT, reads the board information, prints it and cross-checks
// the ARM memory against the DT's /memory (a warning on mismatch). ENODEV without a mailbox
// (not a Pi), ETIMEDOUT when the firmware does not answer, EIO when it rejects a request.
Result bcm2835_mbox_init(of::DeviceTree dt);
// What bcm2835_mbox_init read; nullptr before it succeeded.
const RpiBoardInfo *rpi_board_info();

// One property call: `tags` holds tag, value-buffer size, request code (0) and the buffer,
// repeated, without the message header and end tag. The firmware's answer replaces the
// buffers in place. EINVAL when the message does not fit the mailbox buffer, ETIMEDOUT, EIO.
Result rpi_firmware_property(u32 *tags, usize words);

// Mailbox-completion interrupt, for the self-tests: the number of "data available"
// interrupts taken, and its virq (0 when the DT gives the mailbox no interrupt).
u64 bcm2835_mbox_irq_count();
unsigned bcm2835_mbox_virq();
// Issues one property call with the completion interrupt enabled and waits for the
// interrupt (not polling) to see the answer. ETIMEDOUT when no interrupt came.
Result bcm2835_mbox_call_by_irq();
