// Baud divisors for the Pi UARTs. QEMU ignores both divisors, so these vectors are the only
// check that a real Pi's serial console comes up at 115200.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "drivers/uart_calc.h"

namespace {

template <typename T> Errno error_of(const ErrorOr<T> &r)
{
	REQUIRE(r.is_error());
	return r.error().code();
}

// Deterministic generator for the property tests (fixed seed: failures reproduce).
struct Lcg {
	u64 state;
	u64 next()
	{
		state = state * 6364136223846793005ull + 1442695040888963407ull;
		return state >> 17;
	}
	u64 between(u64 lo, u64 hi) { return lo + next() % (hi - lo + 1); }
};

i64 ppm_reference(double actual, double wanted)
{
	return std::llround((actual - wanted) / wanted * 1e6);
}

} // namespace

TEST_CASE("mini_uart_baud: Pi 3 core clock 250 MHz at 115200 gives divisor 270")
{
	auto r = mini_uart_baud(250000000, 115200);
	REQUIRE_FALSE(r.is_error());
	CHECK(r.value().divisor == 270);
	// 250e6 / (8 * 271) = 115313.65
	CHECK(r.value().actual_baud == 115314);
	CHECK(r.value().error_ppm == 987);
}

TEST_CASE("mini_uart_baud: Pi 4 core clock 500 MHz rounds to the nearer divisor")
{
	// 500e6 / 921600 = 542.53: divisor 542 (-857 ppm) beats the truncated 541 (+986 ppm).
	auto r = mini_uart_baud(500000000, 115200);
	REQUIRE_FALSE(r.is_error());
	CHECK(r.value().divisor == 542);
	CHECK(r.value().actual_baud == 115101);
	CHECK(r.value().error_ppm == -857);
}

TEST_CASE("mini_uart_baud: other common rates at 250 MHz")
{
	auto r9600 = mini_uart_baud(250000000, 9600);
	REQUIRE_FALSE(r9600.is_error());
	CHECK(r9600.value().divisor == 3254);	// 250e6 / 76800 = 3255.2 -> n 3255
	auto r1m = mini_uart_baud(250000000, 1000000);
	REQUIRE_FALSE(r1m.is_error());
	CHECK(r1m.value().divisor == 30);	// 31.25 -> n 31
	CHECK(r1m.value().error_ppm == 8065);	// 250e6 / 248 = 1008064.5
}

TEST_CASE("mini_uart_baud: limits of the 16-bit register")
{
	// Fastest: divisor 0, exactly clock / 8.
	auto fast = mini_uart_baud(250000000, 31250000);
	REQUIRE_FALSE(fast.is_error());
	CHECK(fast.value().divisor == 0);
	CHECK(fast.value().error_ppm == 0);
	// Faster than clock / 16 rounds the divisor below 0.
	CHECK(error_of(mini_uart_baud(250000000, 70000000)) == Errno::EINVAL);
	// Between clock / 16 and clock / 8 only divisor 0 exists, and it is far off.
	CHECK(error_of(mini_uart_baud(250000000, 20000000)) == Errno::ERANGE);

	// Slowest: divisor 0xffff, 250e6 / (8 * 65536) = 476.8 baud.
	auto slow = mini_uart_baud(250000000, 477);
	REQUIRE_FALSE(slow.is_error());
	CHECK(slow.value().divisor == 65513);
	auto slowest = mini_uart_baud(8 * 65536, 1);
	REQUIRE_FALSE(slowest.is_error());
	CHECK(slowest.value().divisor == MINI_UART_DIVISOR_MAX);
	CHECK(error_of(mini_uart_baud(8 * 65537, 1)) == Errno::EINVAL);
	CHECK(error_of(mini_uart_baud(250000000, 476)) == Errno::EINVAL);
}

TEST_CASE("mini_uart_baud: zero and absurd inputs are EINVAL")
{
	CHECK(error_of(mini_uart_baud(0, 115200)) == Errno::EINVAL);
	CHECK(error_of(mini_uart_baud(250000000, 0)) == Errno::EINVAL);
	CHECK(error_of(mini_uart_baud(UART_CALC_MAX_CLOCK_HZ + 1, 115200)) == Errno::EINVAL);
	CHECK(error_of(mini_uart_baud(~u64{0}, 115200)) == Errno::EINVAL);
	CHECK(error_of(mini_uart_baud(UART_CALC_MAX_CLOCK_HZ, UINT32_MAX)) == Errno::EINVAL);
	auto top = mini_uart_baud(UART_CALC_MAX_CLOCK_HZ, 115200);
	REQUIRE_FALSE(top.is_error());
	CHECK(top.value().divisor == 4659);	// 4294967295 / 921600 = 4660.35
}

TEST_CASE("pl011_baud: 48 MHz at 115200 gives IBRD 26, FBRD 3")
{
	auto r = pl011_baud(48000000, 115200);
	REQUIRE_FALSE(r.is_error());
	CHECK(r.value().ibrd == 26);
	CHECK(r.value().fbrd == 3);
	// 48e6 / (16 * (26 + 3/64)) = 115177.0
	CHECK(r.value().actual_baud == 115177);
	CHECK(r.value().error_ppm == -200);
}

TEST_CASE("pl011_baud: 3 MHz (QEMU's mailbox UART clock) at 115200")
{
	// 3e6 / (16 * 115200) = 1.6276 -> 104/64 = IBRD 1, FBRD 40.
	auto r = pl011_baud(3000000, 115200);
	REQUIRE_FALSE(r.is_error());
	CHECK(r.value().ibrd == 1);
	CHECK(r.value().fbrd == 40);
	CHECK(r.value().actual_baud == 115385);
	CHECK(r.value().error_ppm == 1603);
}

TEST_CASE("pl011_baud: 54 MHz divides 115200 exactly")
{
	auto r = pl011_baud(54000000, 115200);
	REQUIRE_FALSE(r.is_error());
	CHECK(r.value().ibrd == 29);
	CHECK(r.value().fbrd == 19);
	CHECK(r.value().actual_baud == 115200);
	CHECK(r.value().error_ppm == 0);
}

TEST_CASE("pl011_baud: a fraction that rounds to 64/64 carries into IBRD")
{
	// 47950 / 16000 = 2.996875: the TRM's two-step recipe gives IBRD 2 with
	// FBRD round(0.996875 * 64) = 64, which does not fit in 6 bits.
	auto r = pl011_baud(47950, 1000);
	REQUIRE_FALSE(r.is_error());
	CHECK(r.value().ibrd == 3);
	CHECK(r.value().fbrd == 0);
}

TEST_CASE("pl011_baud: limits of IBRD and FBRD")
{
	// Fastest: divisor 1 (clock / 16).
	auto fast = pl011_baud(48000000, 3000000);
	REQUIRE_FALSE(fast.is_error());
	CHECK(fast.value().ibrd == 1);
	CHECK(fast.value().fbrd == 0);
	CHECK(error_of(pl011_baud(48000000, 3100000)) == Errno::EINVAL);
	// Slowest: IBRD 0xffff needs FBRD 0.
	auto slowest = pl011_baud(1048560, 1);
	REQUIRE_FALSE(slowest.is_error());
	CHECK(slowest.value().ibrd == PL011_IBRD_MAX);
	CHECK(slowest.value().fbrd == 0);
	CHECK(error_of(pl011_baud(1048561, 1)) == Errno::EINVAL);
	CHECK(error_of(pl011_baud(48000000, 45)) == Errno::EINVAL);
	auto slow = pl011_baud(48000000, 46);
	REQUIRE_FALSE(slow.is_error());
	CHECK(slow.value().ibrd == 65217);
}

TEST_CASE("pl011_baud: zero and absurd inputs are EINVAL")
{
	CHECK(error_of(pl011_baud(0, 115200)) == Errno::EINVAL);
	CHECK(error_of(pl011_baud(48000000, 0)) == Errno::EINVAL);
	CHECK(error_of(pl011_baud(UART_CALC_MAX_CLOCK_HZ + 1, 115200)) == Errno::EINVAL);
	CHECK(error_of(pl011_baud(UART_CALC_MAX_CLOCK_HZ, UINT32_MAX)) == Errno::EINVAL);
	auto top = pl011_baud(UART_CALC_MAX_CLOCK_HZ, 115200);
	REQUIRE_FALSE(top.is_error());
	CHECK(top.value().ibrd == 2330);	// 4294967295 / 1843200 = 2330.17
}

TEST_CASE("mini_uart_baud: random clocks and rates agree with a floating-point model")
{
	Lcg rng{0x5eed0001};
	int checked = 0;
	for (int i = 0; i < 20000; i++) {
		u64 clock = rng.between(1000000, UART_CALC_MAX_CLOCK_HZ);
		u32 baud = static_cast<u32>(rng.between(300, 4000000));
		double x = static_cast<double>(clock) / (8.0 * baud);
		auto r = mini_uart_baud(clock, baud);
		if (x < 0.5 || x >= 65536.5) {
			CHECK(r.is_error());
			continue;
		}
		if (r.is_error()) {
			// Only a tolerance miss may fail inside the register's range.
			REQUIRE(r.error().code() == Errno::ERANGE);
			double n = std::floor(x + 0.5);
			CHECK(std::fabs(x / n - 1.0) * 1e6 > UART_CALC_MAX_ERROR_PPM - 1);
			continue;
		}
		const auto &v = r.value();
		double n = v.divisor + 1.0;
		// The divisor is the nearest one: x lies within half a step of n.
		REQUIRE(std::fabs(x - n) <= 0.5 + 1e-9);
		double actual = static_cast<double>(clock) / (8.0 * n);
		CHECK(std::llabs(static_cast<i64>(v.actual_baud) - std::llround(actual)) <= 1);
		CHECK(std::llabs(v.error_ppm - ppm_reference(actual, baud)) <= 1);
		checked++;
	}
	CHECK(checked > 15000);
}

TEST_CASE("pl011_baud: random clocks and rates agree with a floating-point model")
{
	Lcg rng{0x5eed0002};
	int checked = 0;
	for (int i = 0; i < 20000; i++) {
		u64 clock = rng.between(1000000, UART_CALC_MAX_CLOCK_HZ);
		u32 baud = static_cast<u32>(rng.between(300, 4000000));
		double q = static_cast<double>(clock) * 4.0 / baud;	// divisor in 64ths
		auto r = pl011_baud(clock, baud);
		if (q < 63.5 || q >= PL011_IBRD_MAX * 64.0 + 0.5) {
			CHECK(r.is_error());
			continue;
		}
		REQUIRE_FALSE(r.is_error());
		const auto &v = r.value();
		REQUIRE(v.fbrd < 64);
		double quot = v.ibrd * 64.0 + v.fbrd;
		REQUIRE(std::fabs(q - quot) <= 0.5 + 1e-9);
		double actual = static_cast<double>(clock) * 4.0 / quot;
		CHECK(std::llabs(static_cast<i64>(v.actual_baud) - std::llround(actual)) <= 1);
		CHECK(std::llabs(v.error_ppm - ppm_reference(actual, baud)) <= 1);
		// With at least 64 steps per bit the rounding error stays under 1/128.
		CHECK(std::abs(v.error_ppm) <= 7813);
		checked++;
	}
	CHECK(checked > 15000);
}
