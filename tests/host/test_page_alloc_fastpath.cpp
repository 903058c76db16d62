// The order-0 fast paths (alloc_order0_fast, free_unref_page0 in mm/page_alloc.cpp) against
// the general path they stand for (__alloc_pages, __free_pages_general): one random operation
// stream is run twice from the same boot, once through alloc_pages()/__free_pages() and once
// through the general functions, and after every step the whole allocator state must be the
// same: every struct page (flags, refcount, mapcount/page_type, private, index, mapping,
// compound head), every free list and per-CPU list in order, every pageblock's bits, every
// zone counter, NR_FREE_PAGES and friends, pcp count/high/batch/free_factor and the VM events.
//
// The general run stores a hash of the state after each step; the fast run compares. At the
// first disagreement the general run is replayed to that step and both states are printed
// field by field (only the differing ones), with the operations that led there.
//
// The stream covers what the fast paths decide: random orders, gfp zones and migratetypes,
// __GFP_ZERO/__GFP_COMP/__GFP_THISNODE, frees in random order, CPU switches, pcp high/batch
// crossings, watermark pressure down to exhaustion, owners that leave PG_referenced & co,
// private and index set, bad frees, CMA, mobility grouping off, and page debugging on.
#include "core/compiler.h"
#include "mm/cma.h"
#include "tests/host/test_page_alloc.h"

#include <cstdarg>
#include <cstdio>
#include <map>
#include <vector>

#include <asm/page.h>

using namespace patest;

namespace {

enum class Path { Fast, General };

page *alloc_via(Path path, gfp_t gfp, unsigned order)
{
	return path == Path::Fast ? alloc_pages(gfp, order) : __alloc_pages(gfp, order, NUMA_NO_NODE);
}

void free_via(Path path, page *p, unsigned order)
{
	if (path == Path::Fast)
		__free_pages(p, order);
	else
		__free_pages_general(p, order);
}

std::string strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
std::string strf(const char *fmt, ...)
{
	va_list ap, aq;
	va_start(ap, fmt);
	va_copy(aq, ap);
	std::string out(static_cast<usize>(vsnprintf(nullptr, 0, fmt, aq)), '\0');
	va_end(aq);
	vsnprintf(out.data(), out.size() + 1, fmt, ap);
	va_end(ap);
	return out;
}

// The allocator's observable state, value by value: hashed at every step; recorded with a name
// per value when a step disagreed, to print the difference.
class StateSink {
public:
	explicit StateSink(bool record) : record_(record) {}
	template <class Name> void put(u64 v, Name &&name)
	{
		hash_ = (hash_ ^ v) * 0x100000001b3ull;
		hash_ ^= hash_ >> 31;
		if (record_)
			values_[name()] = v;
	}
	u64 hash() const { return hash_; }
	const std::map<std::string, u64> &values() const { return values_; }

private:
	bool record_;
	u64 hash_ = 0xcbf29ce484222325ull;
	std::map<std::string, u64> values_;
};

// Values that are not allocator state but must start from the same point in both runs.
struct RunBase {
	unsigned long clear_page_calls = host_clear_page_calls;
	unsigned long poison_errors = page_poison_errors;
};

template <class Name> void put_list(StateSink &s, const list_head *head, Name &&what)
{
	unsigned long n = 0;
	for (list_head *pos = head->next; pos != head && n <= 1UL << 20; pos = pos->next, n++) {
		const page *p = list_entry(pos, page, lru);
		s.put(page_to_pfn(p), [&] { return what() + strf("[%lu]", n); });
	}
	s.put(n, [&] { return what() + " length"; });
}

void snapshot(StateSink &s, const RunBase &base)
{
	for_each_populated_zone(z) {
		// Under the zone lock, as every reader of the free areas (nothing else runs: it only
		// satisfies the lock analysis and documents who guards what).
		SpinLockGuard g(z->lock);
		const char *zn = z->name;
		for (unsigned long pfn = z->zone_start_pfn; pfn < zone_end_pfn(z); pfn++) {
			if (!pfn_valid(pfn)) {
				pfn = kstd::align_up(pfn + 1, PAGES_PER_SECTION) - 1;
				continue;
			}
			const page *p = pfn_to_page(pfn);
			auto field = [&](const char *f) { return strf("pfn %#lx %s", pfn, f); };
			s.put(p->flags, [&] { return field("flags"); });
			s.put(static_cast<u32>(p->_refcount), [&] { return field("_refcount"); });
			s.put(static_cast<u32>(p->_mapcount), [&] { return field("_mapcount/page_type"); });
			s.put(p->private_, [&] { return field("private"); });
			s.put(p->index, [&] { return field("index (pcp migratetype)"); });
			s.put(reinterpret_cast<uptr>(p->mapping), [&] { return field("mapping"); });
			// lru is a list pointer (compared as list order below) except in tail pages.
			if (p->compound_head & 1)
				s.put(page_to_pfn(compound_head(p)), [&] { return field("compound_head pfn"); });
			if ((p->compound_head & 1) && compound_head(p) + 1 == p) {
				s.put(p->compound_dtor, [&] { return field("compound_dtor"); });
				s.put(p->compound_order, [&] { return field("compound_order"); });
				s.put(static_cast<u32>(p->compound_mapcount), [&] { return field("compound_mapcount"); });
				s.put(p->compound_nr, [&] { return field("compound_nr"); });
			}
			if (pageblock_aligned(pfn))
				s.put(get_pfnblock_flags_mask(p, pfn, (1UL << NR_PAGEBLOCK_BITS) - 1),
				      [&] { return strf("pageblock %#lx bits", pfn); });
		}
		for (unsigned order = 0; order < MAX_ORDER; order++) {
			s.put(z->free_area[order].nr_free, [&] { return strf("%s nr_free[%u]", zn, order); });
			for (int mt = 0; mt < MIGRATE_TYPES; mt++)
				put_list(s, &z->free_area[order].free_list[mt],
					 [&] { return strf("%s free_list order %u %s", zn, order, migratetype_names[mt]); });
		}
		for (unsigned cpu = 0; cpu < NR_CPUS; cpu++) {
			const per_cpu_pages &pcp = z->pcp[cpu];
			s.put(static_cast<u32>(pcp.count), [&] { return strf("%s pcp[%u] count", zn, cpu); });
			s.put(static_cast<u32>(pcp.high), [&] { return strf("%s pcp[%u] high", zn, cpu); });
			s.put(static_cast<u32>(pcp.batch), [&] { return strf("%s pcp[%u] batch", zn, cpu); });
			s.put(static_cast<u16>(pcp.free_factor), [&] { return strf("%s pcp[%u] free_factor", zn, cpu); });
			for (unsigned i = 0; i < NR_PCP_LISTS; i++)
				put_list(s, &pcp.lists[i], [&] { return strf("%s pcp[%u] list %u", zn, cpu, i); });
		}
		for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
			s.put(static_cast<u64>(z->vm_stat[i]), [&] { return strf("%s %s", zn, zone_stat_names[i]); });
		s.put(z->nr_reserved_highatomic, [&] { return strf("%s nr_reserved_highatomic", zn); });
		s.put(z->managed_pages, [&] { return strf("%s managed", zn); });
	}
	for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
		s.put(static_cast<u64>(vm_zone_stat[i]), [&] { return strf("global %s", zone_stat_names[i]); });
	for (int i = 0; i < NR_VM_NODE_STAT_ITEMS; i++)
		s.put(static_cast<u64>(vm_node_stat[i]), [&] { return strf("global %s", node_stat_names[i]); });
	for (int i = 0; i < NR_VM_EVENT_ITEMS; i++)
		s.put(global_vm_event(static_cast<vm_event_item>(i)), [&] { return strf("event %s", vm_event_names[i]); });
	s.put(nr_bad_pages, [] { return std::string("nr_bad_pages"); });
	s.put(page_poison_errors - base.poison_errors, [] { return std::string("page_poison_errors"); });
	s.put(host_clear_page_calls - base.clear_page_calls, [] { return std::string("clear_page calls"); });
	s.put(host_current_cpu, [] { return std::string("cpu"); });
}

struct Scenario {
	const char *name;
	HostMmConfig (*config)();
	unsigned steps;
	u64 seed;
};

// Three 64 MiB zones (DMA, DMA32 and Normal above 4 GiB): small enough to compare every page
// after every step, big enough for pcp batches above 1.
HostMmConfig three_zones()
{
	HostMmConfig cfg;
	cfg.ram = {{RAM_BASE, 128 * SZ_1M, 0}, {0x100000000ull, 64 * SZ_1M, 0}};
	host_zone_limits(cfg, RAM_BASE + 64 * SZ_1M);
	return cfg;
}
HostMmConfig one_zone() { return small_config(); }
HostMmConfig with_cma()
{
	HostMmConfig cfg = small_config();
	// An 8 MiB area (2048 pages) at RAM_BASE + 32 MiB, activated as the kernel does it.
	cfg.before_init = [] { REQUIRE(!early_cma("8M@0x42000000").is_error()); };
	cfg.before_free_all = [] { dma_contiguous_reserve(SZ_4G); };
	return cfg;
}
HostMmConfig with_poison()
{
	HostMmConfig cfg = small_config();
	cfg.before_init = [] { page_poisoning_enabled = true; };
	return cfg;
}
HostMmConfig with_debug_pagealloc()
{
	HostMmConfig cfg = small_config();
	cfg.before_init = [] { debug_pagealloc_enabled = true; };
	return cfg;
}
HostMmConfig grouping_off()
{
	HostMmConfig cfg = small_config();
	cfg.before_init = [] { REQUIRE(!early_page_alloc_grouping("off").is_error()); };
	return cfg;
}

// How often the stream reached the situations the fast paths must get right (general run).
struct Coverage {
	unsigned long order0_allocs = 0, failures = 0;
	unsigned long pcp_nonempty_below_low = 0; // order-0 request, pcp page there, zone under low
	unsigned long pcp_drains_on_free = 0;     // a free crossed pcp high
	unsigned long stale_index_frees = 0;      // freed page's index != its pageblock's type
	unsigned long prep_flags_frees = 0;       // freed with PG_referenced & co set
	unsigned long bad_frees = 0;
};

struct Block {
	unsigned long pfn;
	unsigned order;
	unsigned refs;
};

constexpr unsigned long OWNER_FLAGS = 1UL << PG_referenced | 1UL << PG_uptodate | 1UL << PG_dirty |
				      1UL << PG_workingset | 1UL << PG_error | 1UL << PG_arch_1 |
				      1UL << PG_mappedtodisk | 1UL << PG_swapbacked;

const gfp_t stream_gfps[] = {
	GFP_KERNEL,
	GFP_ATOMIC,
	GFP_NOWAIT,
	GFP_KERNEL | __GFP_DMA,
	GFP_KERNEL | __GFP_DMA32,
	GFP_HIGHUSER_MOVABLE,
	GFP_USER | __GFP_MOVABLE,
	GFP_KERNEL | __GFP_RECLAIMABLE,
	GFP_KERNEL | __GFP_ZERO,
	GFP_NOWAIT | __GFP_MOVABLE,
	GFP_KERNEL | __GFP_THISNODE,
	GFP_KERNEL | __GFP_NORETRY,
	GFP_ATOMIC | __GFP_RECLAIMABLE,
	GFP_KERNEL | __GFP_DMA | __GFP_DMA32, // invalid zone modifiers: the table sends it to the general path
};

// The zone an order-0 request tries first and whether the fast path would have to decline it
// for the watermark although a page waits on this CPU's list (for Coverage only).
bool pcp_page_below_low(gfp_t gfp)
{
	int highest = gfp_zone(gfp);
	int mt = gfp_migratetype(gfp);
	for (zoneref *zr = local_pgdat->node_zonelist._zonerefs; zr->zone_; zr++) {
		if (zr->zone_idx > highest)
			continue;
		zone *z = zr->zone_;
		bool pcp_page = !list_empty(&z->pcp[host_current_cpu].lists[order_to_pindex(mt, 0)]);
		long usable = static_cast<long>(zone_page_state(z, NR_FREE_PAGES) - READ_ONCE(z->nr_reserved_highatomic));
		if (mt != MIGRATE_MOVABLE)
			usable -= static_cast<long>(zone_page_state_snapshot(z, NR_FREE_CMA_PAGES));
		return pcp_page && usable <= static_cast<long>(low_wmark_pages(z)) + z->lowmem_reserve[highest];
	}
	return false;
}

struct RunResult {
	long mismatch_step = -1;
	std::map<std::string, u64> state; // recorded at mismatch_step (or stop_at)
	std::vector<std::string> recent;  // the last operations before it
	Coverage cov;
	bool ledger_back = false;
	unsigned long walker_errors = 0;
	std::string walker_report; // what check_page_alloc printed
};

// Runs the scenario's stream through one path. hashes: filled (General) or compared (Fast);
// stop_at >= 0 records the full state after that step and stops (the replay).
RunResult run(const Scenario &sc, Path path, std::vector<u64> &hashes, long stop_at = -1)
{
	RunResult r;
	HostMm mm(sc.config());
	struct CpuZeroAtExit {
		~CpuZeroAtExit() { host_current_cpu = 0; }
	} cpu_zero_at_exit;
	host_current_cpu = 0;
	page_alloc_set_online_cpus(NR_CPUS); // pcp high shared by 4: lists cross it often
	drain_all_pages(nullptr);
	host_take_log();
	const RunBase base;
	const page_alloc_ledger start = page_alloc_ledger_snapshot();
	Rng rng{sc.seed};
	std::vector<Block> live;
	auto note = [&](std::string op) {
		r.recent.push_back(std::move(op));
		if (r.recent.size() > 8)
			r.recent.erase(r.recent.begin());
	};
	for (long step = 0; step < static_cast<long>(sc.steps); step++) {
		u64 result = 0; // what the step returned: part of the compared state
		u64 handed_out[5] = {};
		// Phases of 500 steps: mixed, filling up to exhaustion (big blocks until little is
		// left, then small ones, so the zones sit at their watermarks), giving back.
		unsigned phase = static_cast<unsigned>(step / 500) % 3;
		unsigned alloc_pct = phase == 0 ? 60 : phase == 1 ? 95 : 20;
		unsigned dice = rng.below(1000);
		if (dice < 8) {
			host_current_cpu = rng.below(NR_CPUS);
			note(strf("step %ld: switch to CPU %u", step, host_current_cpu));
		} else if (dice < 10) {
			bool all = rng.below(2);
			if (all)
				drain_all_pages(nullptr);
			else
				drain_local_pages(nullptr);
			note(strf("step %ld: %s", step, all ? "drain_all_pages" : "drain_local_pages"));
		} else if (dice < 12) {
			unsigned n = 1 + rng.below(NR_CPUS);
			page_alloc_set_online_cpus(n);
			note(strf("step %ld: page_alloc_set_online_cpus(%u)", step, n));
		} else if (live.empty() || rng.below(100) < alloc_pct) {
			unsigned o = rng.below(1000);
			unsigned order = o < 720 ? 0 : o < 820 ? 1 : o < 880 ? 2 : o < 920 ? 3 : 4 + rng.below(6);
			if (phase == 1 && nr_free_pages() > 4 * totalreserve_pages && o < 500)
				order = 4 + rng.below(MAX_ORDER - 4);
			gfp_t gfp = stream_gfps[rng.below(sizeof(stream_gfps) / sizeof(stream_gfps[0]))] | __GFP_NOWARN;
			if (order && rng.below(3) == 0)
				gfp |= __GFP_COMP;
			if (path == Path::General && order == 0) {
				r.cov.order0_allocs++;
				r.cov.pcp_nonempty_below_low += pcp_page_below_low(gfp);
			}
			page *p = alloc_via(path, gfp, order);
			note(strf("step %ld: alloc order %u gfp %#x on CPU %u -> pfn %#lx", step, order, gfp_raw(gfp),
				  host_current_cpu, p ? page_to_pfn(p) : 0));
			if (!p) {
				r.cov.failures++;
				result = ~0ull;
			} else {
				result = page_to_pfn(p);
				if (gfp_has(gfp, __GFP_ZERO)) {
					const u8 *b = static_cast<const u8 *>(page_address(p));
					bool zero = true;
					for (unsigned long i = 0; i < (PAGE_SIZE << order); i++)
						zero &= b[i] == 0;
					result |= u64(zero) << 63;
				}
				// The page as handed out, before its owner changes it.
				handed_out[0] = p->flags;
				handed_out[1] = p->private_;
				handed_out[2] = static_cast<u32>(p->_refcount);
				handed_out[3] = static_cast<u32>(p->_mapcount);
				handed_out[4] = reinterpret_cast<uptr>(p->mapping);
				// The owner uses the page: data, flags the free path must clear, private, index.
				*static_cast<u64 *>(page_address(p)) = rng.next();
				p->flags |= OWNER_FLAGS & rng.next();
				p->index = rng.below(8);
				p->private_ = rng.below(4) ? rng.next() : 0;
				live.push_back({page_to_pfn(p), order, 1});
			}
		} else {
			unsigned i = rng.below(static_cast<unsigned>(live.size()));
			Block &b = live[i];
			page *p = pfn_to_page(b.pfn);
			unsigned choice = rng.below(100);
			if (choice < 3 && b.order == 0 && b.refs == 1) {
				get_page(p); // a second user: the next free only drops a reference
				b.refs++;
				note(strf("step %ld: get_page pfn %#lx", step, b.pfn));
			} else {
				bool bad = choice == 3 && b.refs == 1;
				if (bad) {
					__SetPageLocked(p); // in PAGE_FLAGS_CHECK_AT_FREE: reported, page leaked
					r.cov.bad_frees++;
				}
				if (path == Path::General && b.order == 0 && b.refs == 1) {
					r.cov.stale_index_frees += p->index != static_cast<unsigned long>(get_pageblock_migratetype(p));
					r.cov.prep_flags_frees += (p->flags & OWNER_FLAGS) != 0;
				}
				zone *z = page_zone(p);
				int pcp_before = z->pcp[host_current_cpu].count;
				note(strf("step %ld: free%s pfn %#lx order %u (refs %u) on CPU %u", step, bad ? " (bad)" : "",
					  b.pfn, b.order, b.refs, host_current_cpu));
				free_via(path, p, b.order);
				// Fewer pages on the list than it had plus this block: the free crossed high.
				if (path == Path::General && !bad && b.refs == 1 && b.order <= PAGE_ALLOC_COSTLY_ORDER &&
				    z->pcp[host_current_cpu].count < pcp_before + (1 << b.order))
					r.cov.pcp_drains_on_free++;
				if (--b.refs == 0) {
					b = live.back();
					live.pop_back();
				}
			}
		}
		if (host_log().size() > (1u << 20))
			host_take_log();
		bool record = step == stop_at;
		auto put_step = [&](StateSink &sink) {
			sink.put(result, [] { return std::string("result of the step"); });
			static const char *const names[] = {"flags", "private", "_refcount", "_mapcount", "mapping"};
			for (unsigned k = 0; k < 5; k++)
				sink.put(handed_out[k], [&] { return strf("allocated page's %s as handed out", names[k]); });
			snapshot(sink, base);
		};
		StateSink s(record);
		put_step(s);
		if (path == Path::General && stop_at < 0) {
			hashes.push_back(s.hash());
		} else if (path == Path::Fast && s.hash() != hashes.at(static_cast<usize>(step))) {
			StateSink full(true);
			put_step(full);
			r.mismatch_step = step;
			r.state = full.values();
			return r;
		}
		if (record) {
			r.state = s.values();
			return r;
		}
	}
	// Everything back: the ledger is where it started (less the pages bad frees leaked).
	for (const Block &b : live)
		for (unsigned k = 0; k < b.refs; k++)
			free_via(path, pfn_to_page(b.pfn), b.order);
	drain_all_pages(nullptr);
	const page_alloc_ledger end = page_alloc_ledger_snapshot();
	r.ledger_back = end.free_total + nr_bad_pages == start.free_total && end.pcp_total == 0 &&
			end.managed_total == start.managed_total;
	std::string::size_type log_mark = host_log().size();
	r.walker_errors = check_page_alloc();
	r.walker_report = host_log().substr(log_mark);
	host_take_log();
	return r;
}

std::string describe_difference(const RunResult &fast, const RunResult &general)
{
	std::string out = strf("fast and general paths disagree after step %ld:\n", fast.mismatch_step);
	unsigned shown = 0;
	// Flags words decoded, pfns and pointers in hex, counts in decimal.
	auto value = [](const std::string &name, const u64 *v) {
		if (!v)
			return std::string("(absent)");
		if (name.find("flags") != std::string::npos && name.find("pageblock") == std::string::npos) {
			char buf[200];
			format_page_flags(buf, sizeof(buf), *v);
			return std::string(buf);
		}
		return *v < 0x10000 ? strf("%llu", static_cast<unsigned long long>(*v))
				    : strf("%#llx", static_cast<unsigned long long>(*v));
	};
	auto show = [&](const std::string &name, const u64 *f, const u64 *g) {
		if (shown++ < 24)
			out += strf("  %-48s fast %-24s general %s\n", name.c_str(), value(name, f).c_str(),
				    value(name, g).c_str());
	};
	for (const auto &[name, v] : general.state) {
		auto it = fast.state.find(name);
		if (it == fast.state.end())
			show(name, nullptr, &v);
		else if (it->second != v)
			show(name, &it->second, &v);
	}
	for (const auto &[name, v] : fast.state)
		if (!general.state.count(name))
			show(name, &v, nullptr);
	if (shown > 24)
		out += strf("  ... %u differences in all\n", shown);
	out += "operations up to there (fast run):\n";
	for (const std::string &op : fast.recent)
		out += "  " + op + "\n";
	return out;
}

} // namespace

TEST_CASE("page_alloc: the order-0 fast paths leave exactly the state the general path leaves")
{
	{
		// The CMA scenario must really have CMA pageblocks, or it would compare nothing new.
		HostMm mm(with_cma());
		REQUIRE(totalcma_pages == 2048);
	}
	const Scenario scenarios[] = {
		{"one zone", one_zone, 5000, 0x5eed0001},
		{"three zones", three_zones, 4500, 0x5eed0002},
		{"CMA", with_cma, 3000, 0x5eed0003},
		{"mobility grouping off", grouping_off, 2000, 0x5eed0004},
		{"page_poison", with_poison, 1500, 0x5eed0005},
		{"debug_pagealloc", with_debug_pagealloc, 1500, 0x5eed0006},
	};
	Coverage total;
	std::string summary;
	bool all_agree = true;
	for (const Scenario &sc : scenarios) {
		std::string scenario = sc.name;
		CAPTURE(scenario);
		std::vector<u64> hashes;
		RunResult general = run(sc, Path::General, hashes);
		REQUIRE(hashes.size() == sc.steps);
		RunResult fast = run(sc, Path::Fast, hashes);
		if (fast.mismatch_step >= 0) {
			std::vector<u64> unused;
			RunResult replay = run(sc, Path::General, unused, fast.mismatch_step);
			FAIL_CHECK(describe_difference(fast, replay));
			all_agree = false;
			continue;
		}
		CHECK_MESSAGE(general.ledger_back, "the general run did not give every page back");
		CHECK_MESSAGE(fast.ledger_back, "the fast run did not give every page back");
		CHECK_MESSAGE(general.walker_errors == 0, general.walker_report);
		CHECK_MESSAGE(fast.walker_errors == 0, fast.walker_report);
		const Coverage &c = general.cov;
		total.order0_allocs += c.order0_allocs;
		total.failures += c.failures;
		total.pcp_nonempty_below_low += c.pcp_nonempty_below_low;
		total.pcp_drains_on_free += c.pcp_drains_on_free;
		total.stale_index_frees += c.stale_index_frees;
		total.prep_flags_frees += c.prep_flags_frees;
		total.bad_frees += c.bad_frees;
		summary += strf("%s: %lu order-0 allocations (%lu with a pcp page under the low watermark), %lu failures, "
				"%lu pcp drains on free, %lu frees with a stale index, %lu with owner flags, %lu bad frees\n",
				sc.name, c.order0_allocs, c.pcp_nonempty_below_low, c.failures, c.pcp_drains_on_free,
				c.stale_index_frees, c.prep_flags_frees, c.bad_frees);
	}
	INFO(summary);
	// The stream must reach every case the fast paths decide, or the comparison proves little.
	if (!all_agree)
		return;
	CHECK(total.order0_allocs > 5000);
	CHECK(total.pcp_nonempty_below_low > 50);
	CHECK(total.failures > 50);
	CHECK(total.pcp_drains_on_free > 40);
	CHECK(total.stale_index_frees > 500);
	CHECK(total.prep_flags_frees > 500);
	CHECK(total.bad_frees > 5);
}
