// Baud-rate divisors for the BCM2835 mini UART and the PL011; contracts in uart_calc.h.
#include "drivers/uart_calc.h"

namespace {

// Rounds num / den to the nearest integer, halves away from zero; den > 0.
constexpr i64 div_round_closest(i64 num, i64 den)
{
	return num >= 0 ? (num + den / 2) / den : -((-num + den / 2) / den);
}

// The error of achieving `achieved_scaled / divisor_scaled` instead of `baud`, in ppm:
// (achieved - baud) / baud = (achieved_scaled - baud * divisor_scaled) / (baud * divisor_scaled).
// achieved_scaled < 2^35 and the difference is at most 4 * baud < 2^34, so the products
// below stay far from i64's range.
constexpr i32 error_ppm(u64 achieved_scaled, u64 divisor_scaled, u32 baud)
{
	i64 target = static_cast<i64>(baud) * static_cast<i64>(divisor_scaled);
	i64 diff = static_cast<i64>(achieved_scaled) - target;
	return static_cast<i32>(div_round_closest(diff * 1000000, target));
}

constexpr bool inputs_valid(u64 clock_hz, u32 baud)
{
	return clock_hz != 0 && baud != 0 && clock_hz <= UART_CALC_MAX_CLOCK_HZ;
}

constexpr bool within_tolerance(i32 ppm)
{
	return ppm <= UART_CALC_MAX_ERROR_PPM && ppm >= -UART_CALC_MAX_ERROR_PPM;
}

} // namespace

ErrorOr<MiniUartBaud> mini_uart_baud(u64 clock_hz, u32 baud)
{
	if (!inputs_valid(clock_hz, baud))
		return Errno::EINVAL;

	// The register holds divisor = n - 1 where clock / (8 * n) is the rate.
	u64 eight_baud = u64{8} * baud;
	u64 n = (clock_hz + eight_baud / 2) / eight_baud;
	if (n == 0 || n - 1 > MINI_UART_DIVISOR_MAX)
		return Errno::EINVAL;

	u64 denom = 8 * n;
	MiniUartBaud r{};
	r.divisor = static_cast<u32>(n - 1);
	r.actual_baud = static_cast<u32>((clock_hz + denom / 2) / denom);
	r.error_ppm = error_ppm(clock_hz, denom, baud);
	if (!within_tolerance(r.error_ppm))
		return Errno::ERANGE;
	return r;
}

ErrorOr<Pl011Baud> pl011_baud(u64 clock_hz, u32 baud)
{
	if (!inputs_valid(clock_hz, baud))
		return Errno::EINVAL;

	// The divisor clock / (16 * baud) in 64ths, rounded once: IBRD is its integer part and
	// FBRD its fraction, so rounding cannot push FBRD to 64.
	u64 clock_x4 = clock_hz * 4;
	u64 quot = (clock_x4 + baud / 2) / baud;
	u64 ibrd = quot >> PL011_FBRD_BITS;
	u64 fbrd = quot & ((1u << PL011_FBRD_BITS) - 1);
	if (ibrd == 0 || ibrd > PL011_IBRD_MAX || (ibrd == PL011_IBRD_MAX && fbrd != 0))
		return Errno::EINVAL;

	Pl011Baud r{};
	r.ibrd = static_cast<u32>(ibrd);
	r.fbrd = static_cast<u32>(fbrd);
	r.actual_baud = static_cast<u32>((clock_x4 + quot / 2) / quot);
	r.error_ppm = error_ppm(clock_x4, quot, baud);
	if (!within_tolerance(r.error_ppm))
		return Errno::ERANGE;
	return r;
}
