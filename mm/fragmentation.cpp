// External fragmentation measurement: Linux's unusable free space index and fragmentation
// index (mm/vmstat.c), and the mobility-grouping self-test built on them.
#include "core/printk.h"
#include "kstd/util.h"
#include "lib/format.h"
#include "mm/page_alloc.h"
#include "mm/vmstat.h"

void fill_contig_page_info(const zone *z, unsigned suitable_order, contig_page_info *info)
{
	info->free_pages = 0;
	info->free_blocks_total = 0;
	info->free_blocks_suitable = 0;
	for (unsigned order = 0; order < MAX_ORDER; order++) {
		unsigned long blocks = __atomic_load_n(&z->free_area[order].nr_free, __ATOMIC_RELAXED);
		info->free_blocks_total += blocks;
		info->free_pages += blocks << order;
		if (order >= suitable_order)
			info->free_blocks_suitable += blocks << (order - suitable_order);
	}
}

// Share of free memory (per mille) that sits in blocks too small for `order`: 0 means every
// free page could serve the request, 1000 that none can.
int unusable_free_index(unsigned order, const contig_page_info *info)
{
	if (info->free_pages == 0)
		return 1000;
	return static_cast<int>(((info->free_pages - (info->free_blocks_suitable << order)) * 1000ULL) / info->free_pages);
}

// Towards 0: a failure at `order` would be due to lack of memory; towards 1000: due to
// fragmentation. -1000: a suitable block exists.
int fragmentation_index_of(unsigned order, const contig_page_info *info)
{
	unsigned long requested = 1UL << order;
	if (order >= MAX_ORDER)
		return 0;
	if (!info->free_blocks_total)
		return 0;
	if (info->free_blocks_suitable)
		return -1000;
	return static_cast<int>(1000 - (1000 + info->free_pages * 1000ULL / requested) / info->free_blocks_total);
}

static void print_index_line(printf_sink_t out, const zone *z, bool unusable)
{
	char line[32 + MAX_ORDER * 8];
	int n = kstd::scnprintf(line, sizeof(line), "Node %d, zone %8s ", z->node, z->name);
	for (unsigned order = 0; order < MAX_ORDER; order++) {
		contig_page_info info;
		fill_contig_page_info(z, order, &info);
		int idx = unusable ? unusable_free_index(order, &info) : fragmentation_index_of(order, &info);
		if (idx < 0)
			n += kstd::scnprintf(line + n, sizeof(line) - static_cast<usize>(n), "-%d.%03d ", -idx / 1000, -idx % 1000);
		else
			n += kstd::scnprintf(line + n, sizeof(line) - static_cast<usize>(n), "%d.%03d ", idx / 1000, idx % 1000);
	}
	out("%s\n", line);
}

void show_unusable_index(printf_sink_t out)
{
	for_each_populated_zone(z)
		print_index_line(out, z, true);
}

void show_extfrag_index(printf_sink_t out)
{
	for_each_populated_zone(z)
		print_index_line(out, z, false);
}

// Allocated pages are chained through their lru field, which belongs to the owner.
static unsigned long free_list_of_pages(list_head *head, unsigned order)
{
	unsigned long n = 0;
	while (!list_empty(head)) {
		page *p = list_first_entry(head, page, lru);
		list_del(&p->lru);
		__free_pages(p, order);
		n++;
	}
	return n;
}

fragmentation_result fragmentation_selftest()
{
	fragmentation_result r{};
	list_head unmovable, movable, blocks;
	INIT_LIST_HEAD(&unmovable);
	INIT_LIST_HEAD(&movable);
	INIT_LIST_HEAD(&blocks);
	const gfp_t quiet = __GFP_NOWARN | __GFP_NORETRY;
	drain_all_pages(nullptr);

	// One unmovable page for every three movable ones, as long as either type still succeeds.
	bool unmovable_ok = true, movable_ok = true;
	while (unmovable_ok || movable_ok) {
		if (unmovable_ok) {
			page *p = alloc_pages(GFP_KERNEL | quiet, 0);
			if (p) {
				list_add(&p->lru, &unmovable);
				r.unmovable_pages++;
			} else {
				unmovable_ok = false;
			}
		}
		for (int i = 0; i < 3 && movable_ok; i++) {
			page *p = alloc_pages(GFP_HIGHUSER_MOVABLE | quiet, 0);
			if (p) {
				list_add(&p->lru, &movable);
				r.movable_pages++;
			} else {
				movable_ok = false;
			}
		}
	}
	free_list_of_pages(&movable, 0);
	drain_all_pages(nullptr);

	unsigned long free_all = 0, suitable[MAX_ORDER] = {};
	const zone *largest = nullptr;
	for_each_populated_zone(z) {
		for (unsigned order = 0; order < MAX_ORDER; order++) {
			contig_page_info info;
			fill_contig_page_info(z, order, &info);
			suitable[order] += info.free_blocks_suitable << order;
			if (order == 0)
				free_all += info.free_pages;
		}
		if (!largest || zone_managed_pages(z) > zone_managed_pages(largest))
			largest = z;
	}
	for (unsigned order = 0; order < MAX_ORDER; order++) {
		r.unusable_index[order] =
			free_all ? static_cast<int>(((free_all - suitable[order]) * 1000ULL) / free_all) : 1000;
		contig_page_info info;
		if (largest) {
			fill_contig_page_info(largest, order, &info);
			r.fragmentation_index[order] = fragmentation_index_of(order, &info);
		}
	}
	pr_info("fragmentation: %s grouping: %lu unmovable, %lu movable pages allocated; movable freed\n",
		page_group_by_mobility_disabled ? "without" : "with", r.unmovable_pages, r.movable_pages);
	pr_info("unusable_index:\n");
	show_unusable_index(printk);
	pr_info("extfrag_index:\n");
	show_extfrag_index(printk);

	for (;;) {
		page *p = alloc_pages(GFP_HIGHUSER_MOVABLE | quiet, pageblock_order);
		if (!p)
			break;
		list_add(&p->lru, &blocks);
		r.order9_blocks++;
	}
	pr_info("fragmentation: %lu order-%u blocks allocatable\n", r.order9_blocks, pageblock_order);
	free_list_of_pages(&blocks, pageblock_order);
	free_list_of_pages(&unmovable, 0);
	drain_all_pages(nullptr);
	return r;
}

void fragmentation_selftest_both(fragmentation_result *grouped, fragmentation_result *ungrouped)
{
	bool saved = page_group_by_mobility_disabled;
	set_page_group_by_mobility_disabled(false);
	*grouped = fragmentation_selftest();
	set_page_group_by_mobility_disabled(true);
	*ungrouped = fragmentation_selftest();
	set_page_group_by_mobility_disabled(saved);
	pr_info("fragmentation: order-%u blocks after freeing movable pages: %lu with grouping, %lu without\n",
		pageblock_order, grouped->order9_blocks, ungrouped->order9_blocks);
}
