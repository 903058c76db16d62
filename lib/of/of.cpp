// Typed device-tree access over libfdt. See of.h for the contract.
#define pr_fmt(fmt) "OF: fdt: " fmt

#include "lib/of/of.h"

#include <libfdt.h>

#include "kernel/printk.h"
#include "kstd/string.h"

namespace of {

namespace {

constexpr usize MIN_FDT_ALIGN = 8;
// Longest alias-expanded path handled; DT paths in practice stay far below.
constexpr usize OF_MAX_PATH = 256;

bool prop_equals(const void *data, int len, const char *s)
{
	usize n = strlen(s) + 1;
	return len >= 0 && usize(len) == n && memcmp(data, s, n) == 0;
}

bool range_inside(u64 off, u64 size, u64 total) { return off <= total && size <= total - off; }

} // namespace

u64 read_number(const u8 *p, u32 ncells)
{
	u64 v = 0;
	for (u32 i = 0; i < ncells; i++)
		v = (v << 32) | be32_at(p + 4 * i);
	return v;
}

Result fdt_validate(const void *blob, usize mapped_size)
{
	if (!blob) {
		pr_err("no device tree blob (null pointer)\n");
		return Errno::EINVAL;
	}
	if (reinterpret_cast<uptr>(blob) % MIN_FDT_ALIGN) {
		pr_err("DTB at %p is not %zu-byte aligned\n", blob, MIN_FDT_ALIGN);
		return Errno::EINVAL;
	}
	if (mapped_size < sizeof(fdt_header)) {
		pr_err("DTB: mapped size %zu is smaller than the %zu-byte header\n", mapped_size,
		       sizeof(fdt_header));
		return Errno::EINVAL;
	}
	u32 magic = fdt_magic(blob);
	if (magic != FDT_MAGIC) {
		pr_err("DTB: bad magic 0x%08x (expected 0x%08x)\n", magic, FDT_MAGIC);
		return Errno::ENOEXEC;
	}
	u32 version = fdt_version(blob);
	u32 last_comp = fdt_last_comp_version(blob);
	if (version < FDT_MIN_VERSION) {
		pr_err("DTB: version %u is older than %u\n", version, FDT_MIN_VERSION);
		return Errno::EINVAL;
	}
	if (last_comp > FDT_LAST_SUPPORTED_VERSION) {
		pr_err("DTB: last_comp_version %u is newer than the supported %u\n", last_comp,
		       FDT_LAST_SUPPORTED_VERSION);
		return Errno::EINVAL;
	}
	u64 total = fdt_totalsize(blob);
	if (total > MAX_FDT_SIZE) {
		pr_err("DTB: totalsize %llu exceeds the maximum of %llu bytes\n",
		       (unsigned long long)total, (unsigned long long)MAX_FDT_SIZE);
		return Errno::EINVAL;
	}
	if (total > mapped_size) {
		pr_err("DTB: totalsize %llu exceeds the %zu bytes available\n",
		       (unsigned long long)total, mapped_size);
		return Errno::EINVAL;
	}
	if (total < sizeof(fdt_header)) {
		pr_err("DTB: totalsize %llu is smaller than the header\n", (unsigned long long)total);
		return Errno::EINVAL;
	}
	u64 hdr = version >= 17 ? sizeof(fdt_header) : sizeof(fdt_header) - sizeof(fdt32_t);
	u64 rsv = fdt_off_mem_rsvmap(blob);
	if (rsv < hdr || rsv >= total || rsv % 8) {
		pr_err("DTB: off_mem_rsvmap 0x%llx outside [0x%llx, totalsize 0x%llx) or unaligned\n",
		       (unsigned long long)rsv, (unsigned long long)hdr, (unsigned long long)total);
		return Errno::EINVAL;
	}
	u64 st_off = fdt_off_dt_struct(blob);
	u64 st_size = version >= 17 ? fdt_size_dt_struct(blob) : 0;
	if (st_off < hdr || st_off % 4 || !range_inside(st_off, st_size, total) || st_off == total) {
		pr_err("DTB: struct block 0x%llx+0x%llx outside totalsize 0x%llx or unaligned\n",
		       (unsigned long long)st_off, (unsigned long long)st_size,
		       (unsigned long long)total);
		return Errno::EINVAL;
	}
	u64 str_off = fdt_off_dt_strings(blob);
	u64 str_size = fdt_size_dt_strings(blob);
	if (str_off < hdr || !range_inside(str_off, str_size, total)) {
		pr_err("DTB: strings block 0x%llx+0x%llx outside totalsize 0x%llx\n",
		       (unsigned long long)str_off, (unsigned long long)str_size,
		       (unsigned long long)total);
		return Errno::EINVAL;
	}
	// The reservation map has no length: it must end (an entry of size 0) inside the blob.
	const u8 *base = static_cast<const u8 *>(blob);
	u64 p = rsv;
	for (;;) {
		if (!range_inside(p, 16, total)) {
			pr_err("DTB: memory reservation map at 0x%llx is not terminated inside totalsize 0x%llx\n",
			       (unsigned long long)rsv, (unsigned long long)total);
			return Errno::EINVAL;
		}
		if (read_number(base + p + 8, 2) == 0)
			break;
		p += 16;
	}
	int err = fdt_check_full(blob, total);
	if (err) {
		pr_err("DTB: structure check failed: %s\n", fdt_strerror(err));
		return Errno::EINVAL;
	}
	int depth = -1; // the root is depth 0
	for (int off = fdt_next_node(blob, -1, &depth); off >= 0; off = fdt_next_node(blob, off, &depth)) {
		if (depth > FDT_MAX_DEPTH) {
			pr_err("DTB: nodes nested deeper than %d levels\n", FDT_MAX_DEPTH);
			return Errno::EINVAL;
		}
	}
	return {};
}

// ---- RegArray ---------------------------------------------------------------------------

RegArray::RegArray(const u8 *data, usize len, Cells cells) : data_(data), cells_(cells)
{
	usize entry = usize(cells.addr + cells.size) * 4;
	count_ = entry ? len / entry : 0;
	tail_ = entry ? len % entry : len;
}

RegEntry RegArray::operator[](usize i) const
{
	const u8 *p = data_ + i * usize(cells_.addr + cells_.size) * 4;
	return {read_number(p, cells_.addr), read_number(p + 4 * cells_.addr, cells_.size)};
}

// ---- Node -------------------------------------------------------------------------------

const char *Node::name() const
{
	if (!valid())
		return "<invalid>";
	const char *n = fdt_get_name(fdt_, off_, nullptr);
	return n ? n : "<invalid>";
}

Result Node::path(char *buf, usize len) const
{
	if (!valid())
		return Errno::ENOENT;
	int err = fdt_get_path(fdt_, off_, buf, int(len > 0x7fffffff ? 0x7fffffff : len));
	if (err == -FDT_ERR_NOSPACE)
		return Errno::ENAMETOOLONG;
	return err ? Result(Errno::EINVAL) : Result();
}

Node Node::parent() const
{
	if (!valid() || off_ == 0)
		return Node();
	int p = fdt_parent_offset(fdt_, off_);
	return p >= 0 ? Node(fdt_, p) : Node();
}

ChildRange Node::children() const { return ChildRange(valid() ? fdt_ : nullptr, off_); }

ErrorOr<kstd::span<const u8>> Node::property(const char *prop) const
{
	if (!valid())
		return Errno::ENOENT;
	int len = 0;
	const void *p = fdt_getprop(fdt_, off_, prop, &len);
	if (!p || len < 0)
		return Errno::ENOENT;
	return kstd::span<const u8>(static_cast<const u8 *>(p), usize(len));
}

bool Node::has_property(const char *prop) const { return !property(prop).is_error(); }

ErrorOr<const char *> Node::read_string(const char *prop) const
{
	auto v = TRY(property(prop));
	if (v.empty() || !memchr(v.data(), 0, v.size()))
		return Errno::EINVAL;
	return reinterpret_cast<const char *>(v.data());
}

ErrorOr<u32> Node::read_u32(const char *prop) const
{
	auto v = TRY(property(prop));
	if (v.size() < 4)
		return Errno::EINVAL;
	return be32_at(v.data());
}

ErrorOr<u64> Node::read_u64(const char *prop) const
{
	auto v = TRY(property(prop));
	if (v.size() < 8)
		return Errno::EINVAL;
	return read_number(v.data(), 2);
}

ErrorOr<u64> Node::read_cells(const char *prop, u32 ncells) const
{
	auto v = TRY(property(prop));
	if (ncells < 1 || ncells > OF_MAX_CELLS || v.size() != usize(ncells) * 4)
		return Errno::EINVAL;
	return read_number(v.data(), ncells);
}

bool Node::is_compatible(const char *compat) const
{
	return valid() && fdt_node_check_compatible(fdt_, off_, compat) == 0;
}

bool Node::is_available() const
{
	if (!valid())
		return false;
	int len = 0;
	const void *s = fdt_getprop(fdt_, off_, "status", &len);
	if (!s)
		return true;
	return prop_equals(s, len, "okay") || prop_equals(s, len, "ok");
}

bool Node::is_type(const char *type) const
{
	if (!valid())
		return false;
	int len = 0;
	const void *s = fdt_getprop(fdt_, off_, "device_type", &len);
	return s && prop_equals(s, len, type);
}

ErrorOr<u32> Node::phandle() const
{
	if (!valid())
		return Errno::ENOENT;
	u32 ph = fdt_get_phandle(fdt_, off_);
	if (ph == 0 || ph == ~u32{0})
		return Errno::ENOENT;
	return ph;
}

ErrorOr<Cells> Node::child_cells(bool allow_size0) const
{
	if (!valid())
		return Errno::ENOENT;
	Cells c{2, 1};
	auto a = read_u32("#address-cells");
	if (!a.is_error())
		c.addr = a.value();
	else if (a.error().code() == Errno::EINVAL) {
		pr_err("%s: #address-cells is shorter than one cell\n", off_ ? name() : "/");
		return Errno::EINVAL;
	}
	auto s = read_u32("#size-cells");
	if (!s.is_error())
		c.size = s.value();
	else if (s.error().code() == Errno::EINVAL) {
		pr_err("%s: #size-cells is shorter than one cell\n", off_ ? name() : "/");
		return Errno::EINVAL;
	}
	if (c.addr == 0 || c.addr > OF_MAX_CELLS) {
		pr_err("%s: #address-cells = %u is unsupported (must be 1 or 2)\n", off_ ? name() : "/",
		       c.addr);
		return Errno::EINVAL;
	}
	if (c.size > OF_MAX_CELLS || (c.size == 0 && !allow_size0)) {
		pr_err("%s: #size-cells = %u is unsupported (must be %s1 or 2)\n", off_ ? name() : "/",
		       c.size, allow_size0 ? "0, " : "");
		return Errno::EINVAL;
	}
	return c;
}

ErrorOr<RegArray> Node::reg() const
{
	auto v = TRY(property("reg"));
	Node bus = parent();
	if (!bus.valid())
		return Errno::EINVAL;
	Cells c = TRY(bus.child_cells(true));
	RegArray arr(v.data(), v.size(), c);
	if (arr.tail_bytes())
		pr_warn("%s: reg length %zu is not a multiple of %u bytes, last %zu bytes ignored\n",
			name(), v.size(), (c.addr + c.size) * 4, arr.tail_bytes());
	return arr;
}

namespace {

// Moves addr, an address on `bus` (a node whose children use bus.child_cells()), up to the
// root's address space through each bus's `prop` (ranges or dma-ranges). Linux
// __of_translate_address: an empty property maps 1:1; a missing one is untranslatable for
// `ranges` and 1:1 for `dma-ranges`.
ErrorOr<u64> translate_from_bus(Node bus, u64 addr, const char *prop, bool missing_is_identity)
{
	// Each step goes one level up, so a validated tree ends this within FDT_MAX_DEPTH steps.
	for (int guard = 0; guard <= FDT_MAX_DEPTH; guard++) {
		Node up = bus.parent();
		if (!up.valid())
			return addr;
		Cells c = TRY(bus.child_cells(true));
		Cells pc = TRY(up.child_cells(true));
		auto r = bus.property(prop);
		if (r.is_error()) {
			if (!missing_is_identity)
				return Errno::EINVAL;
		} else if (!r.value().empty()) {
			if (c.size == 0)
				return Errno::EINVAL;
			usize entry = usize(c.addr + pc.addr + c.size) * 4;
			const u8 *p = r.value().data();
			bool found = false;
			for (usize i = 0; i + entry <= r.value().size(); i += entry) {
				u64 child = read_number(p + i, c.addr);
				u64 parent = read_number(p + i + 4 * c.addr, pc.addr);
				u64 size = read_number(p + i + 4 * (c.addr + pc.addr), c.size);
				if (addr >= child && addr - child < size) {
					addr = parent + (addr - child);
					found = true;
					break;
				}
			}
			if (!found)
				return Errno::ERANGE;
		}
		bus = up;
	}
	return Errno::EINVAL;
}

} // namespace

ErrorOr<u64> Node::translate_address(u64 bus_addr) const
{
	Node bus = parent();
	if (!bus.valid())
		return Errno::EINVAL;
	return translate_from_bus(bus, bus_addr, "ranges", false);
}

ErrorOr<RegEntry> Node::reg_translated(usize index) const
{
	RegArray r = TRY(reg());
	if (index >= r.size())
		return Errno::ERANGE;
	RegEntry e = r[index];
	e.address = TRY(translate_address(e.address));
	return e;
}

ChildRange::iterator &ChildRange::iterator::operator++()
{
	off_ = fdt_next_subnode(fdt_, off_);
	if (off_ < 0)
		off_ = -1;
	return *this;
}

ChildRange::iterator ChildRange::begin() const
{
	if (!fdt_ || parent_ < 0)
		return end();
	int off = fdt_first_subnode(fdt_, parent_);
	return iterator(fdt_, off < 0 ? -1 : off);
}

CompatibleRange::iterator &CompatibleRange::iterator::operator++()
{
	off_ = fdt_node_offset_by_compatible(fdt_, off_, compat_);
	if (off_ < 0)
		off_ = -1;
	return *this;
}

CompatibleRange::iterator CompatibleRange::begin() const
{
	if (!fdt_)
		return end();
	int off = fdt_node_offset_by_compatible(fdt_, -1, compat_);
	return iterator(fdt_, compat_, off < 0 ? -1 : off);
}

// ---- DeviceTree -------------------------------------------------------------------------

ErrorOr<DeviceTree> DeviceTree::try_create(const void *blob, usize mapped_size)
{
	TRY(fdt_validate(blob, mapped_size));
	return DeviceTree(blob);
}

u32 DeviceTree::total_size() const { return blob_ ? fdt_totalsize(blob_) : 0; }

Node DeviceTree::root() const { return blob_ ? Node(blob_, 0) : Node(); }

namespace {

// Absolute-path lookup with alias expansion done here rather than in libfdt, which would
// follow an alias value without checking its NUL terminator or that it is absolute.
Node resolve_path(const void *blob, const char *path, usize len)
{
	if (!blob || len == 0)
		return Node();
	if (path[0] == '/') {
		int off = fdt_path_offset_namelen(blob, path, int(len > OF_MAX_PATH ? OF_MAX_PATH : len));
		return len <= OF_MAX_PATH && off >= 0 ? Node(blob, off) : Node();
	}
	const char *slash = static_cast<const char *>(memchr(path, '/', len));
	usize alen = slash ? usize(slash - path) : len;
	int aliases = fdt_path_offset(blob, "/aliases");
	if (aliases < 0)
		return Node();
	int vlen = 0;
	const char *val = static_cast<const char *>(
		fdt_getprop_namelen(blob, aliases, path, int(alen), &vlen));
	if (!val || vlen <= 1 || !memchr(val, 0, usize(vlen)) || val[0] != '/')
		return Node();
	char full[OF_MAX_PATH + 1];
	usize vl = strlen(val);
	usize rest = len - alen;
	if (vl + rest > OF_MAX_PATH)
		return Node();
	memcpy(full, val, vl);
	memcpy(full + vl, path + alen, rest);
	int off = fdt_path_offset_namelen(blob, full, int(vl + rest));
	return off >= 0 ? Node(blob, off) : Node();
}

} // namespace

Node DeviceTree::find_by_path(const char *path) const
{
	return path ? resolve_path(blob_, path, strlen(path)) : Node();
}

Node DeviceTree::find_compatible(const char *compat, Node from) const
{
	if (!blob_)
		return Node();
	int off = fdt_node_offset_by_compatible(blob_, from.valid() ? from.offset() : -1, compat);
	return off >= 0 ? Node(blob_, off) : Node();
}

Node DeviceTree::find_by_phandle(u32 phandle) const
{
	if (!blob_ || phandle == 0 || phandle == ~u32{0})
		return Node();
	int off = fdt_node_offset_by_phandle(blob_, phandle);
	return off >= 0 ? Node(blob_, off) : Node();
}

Node DeviceTree::find_alias(const char *alias) const
{
	if (!alias || !*alias || memchr(alias, '/', strlen(alias)))
		return Node();
	return resolve_path(blob_, alias, strlen(alias));
}

Node DeviceTree::chosen() const
{
	Node n = find_by_path("/chosen");
	return n.valid() ? n : find_by_path("/chosen@0");
}

ErrorOr<const char *> DeviceTree::bootargs() const { return chosen().read_string("bootargs"); }

ErrorOr<StdoutPath> DeviceTree::stdout_path() const
{
	Node ch = chosen();
	const char *path = TRY(ch.has_property("stdout-path") ? ch.read_string("stdout-path")
							       : ch.read_string("linux,stdout-path"));
	const char *sep = strchr(path, ':');
	usize len = sep ? usize(sep - path) : strlen(path);
	Node n = resolve_path(blob_, path, len);
	if (!n.valid())
		return Errno::ENOENT;
	return StdoutPath{n, sep ? sep + 1 : path + len};
}

ErrorOr<RegEntry> DeviceTree::initrd() const
{
	Node ch = chosen();
	auto s = ch.property("linux,initrd-start");
	auto e = ch.property("linux,initrd-end");
	if (s.is_error() || e.is_error())
		return Errno::ENOENT;
	auto sv = s.value(), ev = e.value();
	if ((sv.size() != 4 && sv.size() != 8) || (ev.size() != 4 && ev.size() != 8)) {
		pr_err("linux,initrd-start/-end must be 4 or 8 bytes (got %zu and %zu), initrd ignored\n",
		       sv.size(), ev.size());
		return Errno::EINVAL;
	}
	u64 start = read_number(sv.data(), u32(sv.size() / 4));
	u64 end = read_number(ev.data(), u32(ev.size() / 4));
	if (start > end) {
		pr_err("linux,initrd-start 0x%llx is above linux,initrd-end 0x%llx, initrd ignored\n",
		       (unsigned long long)start, (unsigned long long)end);
		return Errno::EINVAL;
	}
	return RegEntry{start, end - start};
}

ErrorOr<kstd::span<const u8>> DeviceTree::rng_seed() const { return chosen().property("rng-seed"); }

ErrorOr<u64> DeviceTree::kaslr_seed() const
{
	auto v = TRY(chosen().property("kaslr-seed"));
	if (v.size() != 8)
		return Errno::EINVAL;
	return read_number(v.data(), 2);
}

u64 DeviceTree::dma_max_cpu_address() const
{
	u64 max_cpu = ~u64{0};
	if (!blob_)
		return max_cpu;
	// available[d]: every node on the path to the current node at depth d is available, so a
	// disabled bus hides its whole subtree (Linux walks available children only).
	bool available[FDT_MAX_DEPTH + 2];
	int depth = -1; // the root is depth 0
	for (int off = fdt_next_node(blob_, -1, &depth); off >= 0 && depth >= 0;
	     off = fdt_next_node(blob_, off, &depth)) {
		if (depth > FDT_MAX_DEPTH)
			break;
		Node n(blob_, off);
		available[depth] = depth == 0 || (available[depth - 1] && n.is_available());
		if (!available[depth])
			continue;
		auto r = n.property("dma-ranges");
		if (r.is_error() || r.value().empty())
			continue;
		Node parent = n.parent();
		auto cc = n.child_cells(true);
		auto pcells = (parent.valid() ? parent : n).child_cells(true);
		if (cc.is_error() || pcells.is_error() || cc.value().size == 0)
			continue;
		u32 na = cc.value().addr, ns = cc.value().size, pna = pcells.value().addr;
		usize entry = usize(na + pna + ns) * 4;
		u64 cpu_end = 0;
		const u8 *p = r.value().data();
		for (usize i = 0; i + entry <= r.value().size(); i += entry) {
			u64 paddr = read_number(p + i + 4 * na, pna);
			u64 size = read_number(p + i + 4 * (na + pna), ns);
			u64 cpu = paddr;
			if (parent.valid()) {
				auto t = translate_from_bus(parent, paddr, "dma-ranges", true);
				if (t.is_error())
					continue;
				cpu = t.value();
			}
			if (size && cpu + size > cpu_end)
				cpu_end = cpu + size - 1;
		}
		if (max_cpu > cpu_end)
			max_cpu = cpu_end;
	}
	return max_cpu;
}

namespace {
DeviceTree g_boot_tree;
}

DeviceTree boot_tree() { return g_boot_tree; }
void set_boot_tree(DeviceTree t) { g_boot_tree = t; }

} // namespace of
