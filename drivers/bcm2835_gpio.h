// BCM2835/BCM2711 GPIO pin functions (GPFSELn), for routing the console UART to the Pi's
// header pins. Only the function select is touched: pulls and pin state stay the firmware's.
#pragma once

#include "kstd/result.h"
#include "kstd/types.h"

// GPFSEL encodings (BCM2835 ARM Peripherals, 6.1).
enum class GpioFsel : u32 { Input = 0, Output = 1, Alt0 = 4, Alt1 = 5, Alt2 = 6, Alt3 = 7, Alt4 = 3, Alt5 = 2 };

// The Pi's 40-pin header carries the primary UART on GPIO14 (TXD, pin 8) and GPIO15 (RXD,
// pin 10): ALT0 selects the PL011, ALT5 the mini UART.
inline constexpr unsigned GPIO_HEADER_TXD = 14, GPIO_HEADER_RXD = 15;

// The controller comes from the boot DT ("brcm,bcm2835-gpio" or "brcm,bcm2711-gpio").
// ENODEV when the DT has none (not a Pi: callers treat it as "nothing to route"), ERANGE for a
// pin the controller does not have, ENOMEM when its registers cannot be mapped.
Result bcm2835_gpio_set_function(unsigned pin, GpioFsel f);
ErrorOr<GpioFsel> bcm2835_gpio_get_function(unsigned pin);
// Puts GPIO14/15 on function f (the console UART's), printing what changed.
Result bcm2835_gpio_route_console_uart(GpioFsel f, const char *uart);
