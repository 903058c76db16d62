// vmstat's per-CPU counter deltas (mm/vmstat.h) on the host allocator: each CPU's delta stays
// its own until it passes the threshold or that CPU folds it; exact readers see every CPU's.
#include "tests/host/test_page_alloc.h"

#include <vector>

#include "core/cpumask.h"

using namespace patest;

namespace {

// Brings CPU 1 online for one test (thresholds follow), and back.
struct TwoCpus {
	TwoCpus()
	{
		set_cpu_online(1, true);
		refresh_zone_stat_thresholds();
	}
	~TwoCpus()
	{
		host_current_cpu = 0;
		set_cpu_online(1, false);
		refresh_zone_stat_thresholds();
	}
};

} // namespace

TEST_CASE("vmstat: thresholds as Linux's calculate_normal_threshold, for online CPUs")
{
	HostMm mm(small_config());
	zone *z = zone_of(0, ZONE_DMA);
	unsigned long mem = zone_managed_pages(z) >> (27 - PAGE_SHIFT);
	int one_cpu = std::min(125, 2 * 1 * (1 + static_cast<int>(kstd::fls64(mem))));
	CHECK(calculate_normal_threshold(z) == one_cpu);
	CHECK(z->per_cpu_zonestats[0].stat_threshold == one_cpu);
	CHECK(z->per_cpu_zonestats[1].stat_threshold == 0); // offline: nothing pending there
	CHECK(NODE_DATA(0)->per_cpu_nodestats[0].stat_threshold == one_cpu);
	CHECK(zone_of(0, ZONE_NORMAL)->per_cpu_zonestats[0].stat_threshold == 0); // empty zone
	{
		TwoCpus two;
		int two_cpus = std::min(125, 2 * 2 * (1 + static_cast<int>(kstd::fls64(mem))));
		CHECK(z->per_cpu_zonestats[0].stat_threshold == two_cpus);
		CHECK(z->per_cpu_zonestats[1].stat_threshold == two_cpus);
	}
	CHECK(z->per_cpu_zonestats[0].stat_threshold == one_cpu);
}

TEST_CASE("vmstat: each CPU's deltas are exact for the snapshot readers and folded by their CPU")
{
	HostMm mm(small_config());
	TwoCpus two;
	zone *z = zone_of(0, ZONE_DMA);
	pglist_data *pgdat = NODE_DATA(0);
	int th = z->per_cpu_zonestats[1].stat_threshold;
	REQUIRE(th > 3);
	host_current_cpu = 1;
	mod_zone_page_state(z, NR_BOUNCE, 3);
	mod_node_page_state(pgdat, NR_SLAB_UNRECLAIMABLE_B, 2 * PAGE_SIZE); // bytes in, pages kept
	host_current_cpu = 0;
	CHECK(zone_page_state(z, NR_BOUNCE) == 0);
	CHECK(zone_page_state_snapshot(z, NR_BOUNCE) == 3);
	CHECK(global_zone_page_state_snapshot(NR_BOUNCE) == 3);
	CHECK(node_page_state_snapshot(pgdat, NR_SLAB_UNRECLAIMABLE_B) == 2);
	refresh_cpu_vm_stats(); // CPU 0 folds only its own
	CHECK(zone_page_state(z, NR_BOUNCE) == 0);
	host_current_cpu = 1;
	CHECK(refresh_cpu_vm_stats() == 2);
	CHECK(zone_page_state(z, NR_BOUNCE) == 3);
	CHECK(global_node_page_state(NR_SLAB_UNRECLAIMABLE_B) == 2);
	// Past the threshold the whole delta goes to the total at once.
	mod_zone_page_state(z, NR_BOUNCE, -(th + 4));
	CHECK(z->per_cpu_zonestats[1].vm_stat_diff[NR_BOUNCE] == 0);
	CHECK(zone_page_state(z, NR_BOUNCE) == 0); // -th - 1 clamps to 0 for the approximate reader
	mod_zone_page_state(z, NR_BOUNCE, th + 1);
	mod_node_page_state(pgdat, NR_SLAB_UNRECLAIMABLE_B, -2 * static_cast<long>(PAGE_SIZE));
	refresh_cpu_vm_stats();
	CHECK(zone_page_state_snapshot(z, NR_BOUNCE) == 0);
	CHECK(global_node_page_state(NR_SLAB_UNRECLAIMABLE_B) == 0);
	// Pages allocated and freed on CPU 1 keep the free-page ledger exact (buddy + pcp lists).
	auto free_now = [] {
		page_alloc_ledger l = page_alloc_ledger_snapshot();
		return l.free_total + l.pcp_total;
	};
	unsigned long free0 = free_now();
	std::vector<page *> v;
	for (int i = 0; i < 5; i++)
		v.push_back(alloc_pages(GFP_KERNEL, 2));
	for (page *p : v)
		REQUIRE(p);
	host_current_cpu = 0;
	CHECK(free_now() == free0 - 5 * 4);
	CHECK(check_page_alloc() == 0);
	host_current_cpu = 1;
	for (page *p : v)
		__free_pages(p, 2);
	drain_all_pages(nullptr);
	host_current_cpu = 0;
	CHECK(check_page_alloc() == 0);
}

TEST_CASE("vmstat: NUMA events count allocations, pcp fast-path hits included")
{
	HostMm mm(small_config());
	unsigned long hit0 = global_numa_event_state(NUMA_HIT), local0 = global_numa_event_state(NUMA_LOCAL);
	page *a = alloc_page(GFP_KERNEL);
	page *b = alloc_pages(GFP_KERNEL, 3);
	page *c = alloc_page(GFP_KERNEL);
	REQUIRE((a && b && c));
	CHECK(global_numa_event_state(NUMA_HIT) - hit0 == 3);
	CHECK(global_numa_event_state(NUMA_LOCAL) - local0 == 3);
	CHECK(global_numa_event_state(NUMA_MISS) == 0);
	CHECK(global_numa_event_state(NUMA_OTHER) == 0);
	__free_page(a);
	__free_pages(b, 3);
	__free_page(c);
}
