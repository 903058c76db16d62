// should_fail's arithmetic (Linux's lib/fault-inject.c): interval, times, space, probability,
// the boot form, and fail-nth taking precedence.
#include <doctest/doctest.h>

#include "core/fault_inject.h"

namespace {
fault_attr fresh() { return fault_attr{"test", 0, 1, -1, 0, 0, 0, 0, false}; }
} // namespace

TEST_CASE("fault_inject: probability 0 never fails, 100 always; times counts down")
{
	fault_attr a = fresh();
	for (int i = 0; i < 100; i++)
		CHECK(!should_fail(&a, 8));
	REQUIRE(setup_fault_attr(&a, "1,100,0,3"));
	CHECK(fault_inject_armed());
	CHECK(should_fail(&a, 8));
	CHECK(should_fail(&a, 8));
	CHECK(should_fail(&a, 8));
	CHECK(a.times == 0);
	CHECK(!should_fail(&a, 8));
	a.probability = 0;
	fault_inject_update(&a);
	CHECK(!fault_inject_armed());
}

TEST_CASE("fault_inject: interval fails every nth call, space lets bytes through first")
{
	fault_attr a = fresh();
	REQUIRE(setup_fault_attr(&a, "4,100,0,-1"));
	int fails = 0;
	for (int i = 1; i <= 40; i++) {
		bool f = should_fail(&a, 1);
		CHECK(f == (i % 4 == 0));
		fails += f;
	}
	CHECK(fails == 10);
	REQUIRE(setup_fault_attr(&a, "1,100,100,-1"));
	// 100 bytes go through (space shrinks by each size), then calls fail.
	CHECK(!should_fail(&a, 40));
	CHECK(!should_fail(&a, 40));
	CHECK(a.space == 20);
	CHECK(should_fail(&a, 40));
	a.probability = 0;
	fault_inject_update(&a);
}

TEST_CASE("fault_inject: a random 10% run fails about one call in ten")
{
	fault_attr a = fresh();
	REQUIRE(setup_fault_attr(&a, "1,10,0,-1"));
	int fails = 0;
	for (int i = 0; i < 10000; i++)
		fails += should_fail(&a, 1);
	CHECK(fails > 800);
	CHECK(fails < 1200);
	a.probability = 0;
	fault_inject_update(&a);
}

TEST_CASE("fault_inject: fail-nth fails exactly the nth point, whatever the attributes")
{
	fault_attr a = fresh();
	set_current_fail_nth(3);
	CHECK(fault_inject_armed());
	CHECK(!should_fail(&a, 1));
	CHECK(!should_fail(&a, 1));
	CHECK(should_fail(&a, 1));
	CHECK(*current_fail_nth() == 0);
	CHECK(!should_fail(&a, 1));
	CHECK(!fault_inject_armed());
	set_current_fail_nth(0);
}

TEST_CASE("fault_inject: Linux's boot form is parsed strictly")
{
	fault_attr a = fresh();
	CHECK(!setup_fault_attr(&a, ""));
	CHECK(!setup_fault_attr(&a, "1,2,3"));
	CHECK(!setup_fault_attr(&a, "1,2,3,4,5"));
	CHECK(!setup_fault_attr(&a, "1,101,0,1"));
	CHECK(!setup_fault_attr(&a, "x,1,0,1"));
	REQUIRE(setup_fault_attr(&a, "0,5,-1,-1"));
	CHECK(a.interval == 1); // 0 means 1, as Linux
	CHECK(a.probability == 5);
	CHECK(a.space == -1);
	CHECK(a.times == -1);
	a.probability = 0;
	fault_inject_update(&a);
}
