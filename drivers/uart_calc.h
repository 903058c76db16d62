// Baud-rate divisor arithmetic for the Raspberry Pi UARTs, kept apart from the drivers so that
// the host suite can test it: QEMU ignores both divisors, so only these tests catch a wrong one.
//
// Both calculators take the UART's input clock as the DT (or the mailbox) reports it and the
// wanted baud rate, pick the register values whose rate is nearest, and report the rate they
// achieve and its error in parts per million, for the driver's boot message.
//
// Errors:
//   EINVAL  clock or baud is 0, the clock is above UART_CALC_MAX_CLOCK_HZ, or no register
//           value reaches the baud rate (too fast or too slow for this clock);
//   ERANGE  the nearest register value misses the baud rate by more than
//           UART_CALC_MAX_ERROR_PPM, so the far end would misread frames.
#pragma once

#include "kstd/result.h"
#include "kstd/types.h"

// Every arithmetic step below fits in 64 bits for clocks up to 2^32 - 1 Hz, and a UART clock
// beyond 4 GHz is a corrupt DT, not a real part.
inline constexpr u64 UART_CALC_MAX_CLOCK_HZ = 0xffffffffull;
// An 8N1 frame is sampled 9.5 bits after its start edge: the two ends together may drift by
// half a bit over that span (about 5%); allow each end half of it.
inline constexpr i64 UART_CALC_MAX_ERROR_PPM = 25000;

// BCM2835 mini UART (AUX_MU_BAUD_REG, 16 bits): baud = clock / (8 * (divisor + 1)).
inline constexpr u32 MINI_UART_DIVISOR_MAX = 0xffff;

struct MiniUartBaud {
	u32 divisor;		// value for AUX_MU_BAUD_REG
	u32 actual_baud;	// rate it achieves, rounded to the nearest integer
	i32 error_ppm;		// (actual - wanted) / wanted, in ppm, rounded to nearest
};

[[nodiscard]] ErrorOr<MiniUartBaud> mini_uart_baud(u64 clock_hz, u32 baud);

// ARM PL011: baud = clock / (16 * (IBRD + FBRD / 64)), IBRD 16 bits (at least 1), FBRD 6 bits.
// As Linux's amba-pl011 does, the divisor is computed in 64ths and rounded once
// (DIV_ROUND_CLOSEST(clock * 4, baud)), so a fraction that rounds up to 64/64 carries into
// IBRD instead of overflowing FBRD. IBRD = 0xffff allows only FBRD = 0 (PL011 TRM).
inline constexpr u32 PL011_IBRD_MAX = 0xffff;
inline constexpr u32 PL011_FBRD_BITS = 6;

struct Pl011Baud {
	u32 ibrd;		// UARTIBRD
	u32 fbrd;		// UARTFBRD
	u32 actual_baud;
	i32 error_ppm;
};

[[nodiscard]] ErrorOr<Pl011Baud> pl011_baud(u64 clock_hz, u32 baud);
