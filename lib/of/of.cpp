// Typed device-tree access over libfdt. See of.h for the contract.
#define pr_fmt(fmt) "OF: fdt: " fmt

#include "lib/of/of.h"

#include <libfdt.h>

#include "core/printk.h"
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

// libfdt's fdt_stringlist_contains, used by both the index and the libfdt path so that
// they agree. Like libfdt it compares strlen(s) + 1 bytes as soon as strlen(s) bytes remain,
// so an unterminated last string matches when the byte after the property is 0: that byte
// is padding or the next tag's high byte (every tag is 0x0000000N), inside the structure
// block, because a property is always followed by another tag.
// n is strlen(s), hoisted out of whole-tree scans. The byte loops are inline because this
// runs for every node of every compatible scan, mostly failing on the first byte.
bool stringlist_contains(const char *list, usize len, const char *s, usize n)
{
	while (len >= n) {
		usize i = 0;
		while (i <= n && list[i] == s[i])
			i++;
		if (i > n)
			return true;
		usize end = 0; // this string's NUL
		while (end < len && list[end])
			end++;
		if (end == len)
			return false;
		len -= end + 1;
		list += end + 1;
	}
	return false;
}

} // namespace

// ---- node index -------------------------------------------------------------------------
//
// Linux unflattens the blob once so that later lookups never rescan it; libfdt instead
// rescans from the start for every parent, phandle, path and compatible query and checks
// each structure offset byte by byte, which made device-tree reads most of the boot's cost.
// The index is that unflattened form, in static storage because it is built before any
// allocator exists:
// - entries are nodes in blob order, so "the next node in the blob" is the next slot and a
//   subtree is the slot range [slot, next);
// - it is built only from a blob fdt_check_full() accepted, by a walk that re-checks every
//   tag, length and name it records, so lookups read the recorded layout without checks;
// - it is published whole or not at all (too many nodes, or a layout the walk does not
//   expect): callers then get libfdt's answers, which the index must reproduce exactly.

namespace detail {

constexpr u16 NO_SLOT = 0xffff;
static_assert(OF_INDEX_MAX_NODES < NO_SLOT, "slots are u16");

struct IndexEntry {
	u32 off;        // FDT_BEGIN_NODE tag (the Node offset)
	u32 props;      // first tag after the name: where a property scan starts
	u32 phandle;    // fdt_get_phandle(): "phandle", else "linux,phandle", each only if 4 bytes
	u32 compat;     // offset of the first `compatible` value, 0 when absent
	u32 compat_len;
	u16 parent;     // slot, NO_SLOT for the root
	u16 next;       // first slot after this node's subtree
	u16 name_len;
	u16 depth;      // root 0
};

struct NodeIndex {
	const void *blob;
	u32 gen;
	u32 count;
	// The header's block sizes when indexed: fdt_setprop/fdt_delprop on the blob change
	// them, and such a blob falls back to libfdt instead of being read with a stale layout.
	u32 size_dt_struct;
	u32 size_dt_strings;
	const u8 *structs;
	const char *strings;
	IndexEntry e[OF_INDEX_MAX_NODES];
};

namespace {

NodeIndex g_index;
// Last generation handed out. Generations are never reused, so a Node cannot mistake a newer
// index for its own; when they run out, no more indexes are published.
u32 g_last_gen;

u32 align4(u32 v) { return (v + 3) & ~3u; }

// Bounded comparison of a strings-block name with a literal (the walk's own check, done
// before trusting the name).
bool name_is(const char *name, u32 room, const char *lit)
{
	for (u32 i = 0; i < room; i++) {
		if (name[i] != lit[i])
			return false;
		if (lit[i] == 0)
			return true;
	}
	return false;
}

enum class Walk { Ok, TooDeep, Unexpected };

// One pass over the structure block: the nesting-depth check of fdt_validate and, when ix is
// given, the index. Runs only after fdt_check_full() accepted the blob; anything that check
// should have rejected ends the walk as Unexpected (the caller then publishes nothing and
// checks depth through libfdt) rather than being trusted.
Walk walk_structure(const void *blob, NodeIndex *ix)
{
	const u8 *base = static_cast<const u8 *>(blob);
	const u8 *s = base + fdt_off_dt_struct(blob);
	// libfdt's bounds for structure reads: the struct block (v17) or the blob (v16).
	u64 size = fdt_version(blob) >= 17 ? fdt_size_dt_struct(blob)
					   : u64(fdt_totalsize(blob)) - fdt_off_dt_struct(blob);
	const char *strs = reinterpret_cast<const char *>(base + fdt_off_dt_strings(blob));
	u32 strsize = fdt_size_dt_strings(blob);

	u16 stack[FDT_MAX_DEPTH + 1];
	int depth = -1;
	bool root_done = false;
	bool record = ix != nullptr;
	u32 count = 0;
	// Properties before the first child (libfdt's fdt_getprop sees only those) of the node
	// on top of the stack; `phandle` and `linux,phandle` resolve when they close.
	bool props_open = false;
	bool ph_seen = false, ph_ok = false, lph_seen = false, lph_ok = false;
	u32 ph = 0, lph = 0;
	auto close_props = [&]() {
		if (props_open && record)
			ix->e[stack[depth]].phandle = ph_ok ? ph : lph_ok ? lph : 0;
		props_open = false;
		ph_seen = ph_ok = lph_seen = lph_ok = false;
	};

	for (u64 off = 0;;) {
		if (off % 4 || size < 4 || off > size - 4)
			return Walk::Unexpected;
		u32 tag = be32_at(s + off);
		if (root_done && tag != FDT_END)
			return Walk::Unexpected;
		switch (tag) {
		case FDT_BEGIN_NODE: {
			const u8 *name = s + off + 4;
			const u8 *nul = static_cast<const u8 *>(memchr(name, 0, size - off - 4));
			if (!nul)
				return Walk::Unexpected;
			u64 name_len = u64(nul - name);
			close_props();
			if (++depth > FDT_MAX_DEPTH)
				return Walk::TooDeep;
			// The root must be at offset 0, where DeviceTree::root() and libfdt's path
			// lookups start.
			if (depth == 0 && off != 0)
				return Walk::Unexpected;
			u64 props = (off + 4 + name_len + 1 + 3) & ~u64{3};
			if (record && (count == OF_INDEX_MAX_NODES || name_len > 0xffff || props > ~u32{0}))
				record = false; // too big to index; the walk still checks depth
			if (record) {
				ix->e[count] = IndexEntry{u32(off), u32(props), 0, 0, 0,
							  depth ? stack[depth - 1] : NO_SLOT, 0,
							  u16(name_len), u16(depth)};
				stack[depth] = u16(count++);
			}
			props_open = true;
			off = props;
			break;
		}
		case FDT_END_NODE:
			if (depth < 0)
				return Walk::Unexpected;
			close_props();
			if (record)
				ix->e[stack[depth]].next = u16(count);
			if (--depth < 0)
				root_done = true;
			off += 4;
			break;
		case FDT_PROP: {
			if (depth < 0 || off > size - 12)
				return Walk::Unexpected;
			u32 len = be32_at(s + off + 4), nameoff = be32_at(s + off + 8);
			if (len > size - off - 12 || nameoff >= strsize)
				return Walk::Unexpected;
			if (props_open && record) {
				const char *pn = strs + nameoff;
				u32 room = strsize - nameoff;
				IndexEntry &n = ix->e[stack[depth]];
				if (name_is(pn, room, "compatible")) {
					if (!n.compat) {
						n.compat = u32(off + 12);
						n.compat_len = len;
					}
				} else if (name_is(pn, room, "phandle")) {
					if (!ph_seen) {
						ph_seen = true;
						ph_ok = len == 4;
						ph = ph_ok ? be32_at(s + off + 12) : 0;
					}
				} else if (name_is(pn, room, "linux,phandle")) {
					if (!lph_seen) {
						lph_seen = true;
						lph_ok = len == 4;
						lph = lph_ok ? be32_at(s + off + 12) : 0;
					}
				}
			}
			off = (off + 12 + len + 3) & ~u64{3};
			break;
		}
		case FDT_NOP:
			off += 4;
			break;
		case FDT_END:
			if (!root_done)
				return Walk::Unexpected;
			if (record && count > 0 && g_last_gen != ~u32{0}) {
				ix->count = count;
				ix->size_dt_struct = fdt_size_dt_struct(blob);
				ix->size_dt_strings = fdt_size_dt_strings(blob);
				ix->structs = s;
				ix->strings = strs;
				ix->gen = ++g_last_gen;
				ix->blob = blob;
			}
			return Walk::Ok;
		default:
			return Walk::Unexpected;
		}
	}
}

} // namespace

// Everything that reads the index goes through here (a friend of Node).
struct IndexLookup {
	const NodeIndex *ix;
	u32 slot;

	// The index, when it describes blob at generation gen.
	static const NodeIndex *index_for(const void *blob, u32 gen)
	{
		const NodeIndex &ix = g_index;
		if (gen == 0 || gen != ix.gen || blob != ix.blob ||
		    fdt_size_dt_struct(blob) != ix.size_dt_struct ||
		    fdt_size_dt_strings(blob) != ix.size_dt_strings)
			return nullptr;
		return &ix;
	}
	// Slot of the node at offset off (binary search: slots are in offset order).
	static bool find_slot(const NodeIndex *ix, int off, u32 *slot)
	{
		if (!ix || off < 0)
			return false;
		u32 lo = 0, hi = ix->count;
		while (lo < hi) {
			u32 mid = (lo + hi) / 2;
			if (ix->e[mid].off < u32(off))
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == ix->count || ix->e[lo].off != u32(off))
			return false;
		*slot = lo;
		return true;
	}
	static bool of(const Node &n, IndexLookup *out)
	{
		out->ix = index_for(n.fdt_, n.gen_);
		out->slot = n.slot_;
		return out->ix && n.slot_ < out->ix->count && out->ix->e[n.slot_].off == u32(n.off_);
	}

	const IndexEntry &e() const { return ix->e[slot]; }
	Node node(u32 s) const { return Node(ix->blob, int(ix->e[s].off), ix->gen, s); }
	const char *name() const { return reinterpret_cast<const char *>(ix->structs + e().off + 4); }

	// fdt_getprop_namelen on a valid Node, through the index when it describes the node.
	static const u8 *getprop(const Node &n, const char *prop, usize plen, usize *lenp)
	{
		IndexLookup l;
		if (of(n, &l)) {
			u32 len = 0;
			const u8 *v = l.getprop(prop, plen, &len);
			*lenp = len;
			return v;
		}
		int len = 0;
		const void *v = fdt_getprop_namelen(n.fdt_, n.off_, prop, int(plen), &len);
		*lenp = v && len >= 0 ? usize(len) : 0;
		return v && len >= 0 ? static_cast<const u8 *>(v) : nullptr;
	}

	// fdt_getprop_namelen: the first property of that name before the node's first child.
	const u8 *getprop(const char *prop, usize plen, u32 *lenp) const
	{
		const u8 *p = ix->structs + e().props;
		for (;;) {
			u32 tag = be32_at(p);
			if (tag == FDT_NOP) {
				p += 4;
				continue;
			}
			if (tag != FDT_PROP)
				return nullptr;
			u32 len = be32_at(p + 4);
			const char *pn = ix->strings + be32_at(p + 8);
			usize i = 0;
			while (i < plen && pn[i] == prop[i] && pn[i])
				i++;
			if (i == plen && pn[i] == 0) {
				*lenp = len;
				return p + 12;
			}
			p += 12 + align4(len);
		}
	}

	// libfdt's fdt_nodename_eq_: "name" also matches "name@unit" unless name has an '@'.
	bool name_matches(u32 s, const char *name, usize len) const
	{
		const IndexEntry &c = ix->e[s];
		if (c.name_len < len)
			return false;
		const char *cn = reinterpret_cast<const char *>(ix->structs + c.off + 4);
		if (memcmp(cn, name, len) != 0)
			return false;
		return cn[len] == 0 || (cn[len] == '@' && !memchr(name, '@', len));
	}

	// fdt_path_offset_namelen from the root for an absolute path: the first child matching
	// each component, empty components skipped. False when some component is missing.
	bool path(const char *p, usize len)
	{
		const char *end = p + len;
		slot = 0;
		while (p < end) {
			while (*p == '/') {
				if (++p == end)
					return true;
			}
			const char *q = static_cast<const char *>(memchr(p, '/', usize(end - p)));
			if (!q)
				q = end;
			u32 c = slot + 1, stop = e().next;
			while (c < stop && !name_matches(c, p, usize(q - p)))
				c = ix->e[c].next;
			if (c >= stop)
				return false;
			slot = c;
			p = q;
		}
		return true;
	}

	bool compatible(u32 s, const char *compat, usize clen) const
	{
		const IndexEntry &c = ix->e[s];
		return c.compat && stringlist_contains(reinterpret_cast<const char *>(ix->structs + c.compat),
						       c.compat_len, compat, clen);
	}
};

} // namespace detail

using detail::IndexLookup;

u64 read_number(const u8 *p, u32 ncells)
{
	u64 v = 0;
	for (u32 i = 0; i < ncells; i++)
		v = (v << 32) | be32_at(p + 4 * i);
	return v;
}

namespace {

// The last step of validation: the nesting-depth limit, checked by the same walk that builds
// the index (ix non-null), so validating and indexing read the structure block once.
Result check_depth_and_index(const void *blob, detail::NodeIndex *ix)
{
	detail::Walk w = detail::walk_structure(blob, ix);
	bool too_deep = w == detail::Walk::TooDeep;
	if (w == detail::Walk::Unexpected) {
		// Never expected after fdt_check_full; libfdt decides, as before the index existed.
		int depth = -1; // the root is depth 0
		for (int off = fdt_next_node(blob, -1, &depth); off >= 0 && !too_deep;
		     off = fdt_next_node(blob, off, &depth))
			too_deep = depth > FDT_MAX_DEPTH;
	}
	if (too_deep) {
		pr_err("DTB: nodes nested deeper than %d levels\n", FDT_MAX_DEPTH);
		return Errno::EINVAL;
	}
	return {};
}


// fdt_validate, and with ix the index built by the same walk.
Result validate(const void *blob, usize mapped_size, detail::NodeIndex *ix)
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
	return check_depth_and_index(blob, ix);
}

} // namespace

Result fdt_validate(const void *blob, usize mapped_size) { return validate(blob, mapped_size, nullptr); }

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
	IndexLookup l;
	if (IndexLookup::of(*this, &l))
		return l.name();
	const char *n = fdt_get_name(fdt_, off_, nullptr);
	return n ? n : "<invalid>";
}

Result Node::path(char *buf, usize len) const
{
	if (!valid())
		return Errno::ENOENT;
	IndexLookup l;
	if (IndexLookup::of(*this, &l)) {
		// fdt_get_path's result and rule: "/" for the root, else "/a/b"; ENAMETOOLONG
		// unless the path and its NUL fit. Same as the libfdt branch below.
		usize need = 1;
		for (u32 s = l.slot; s != 0; s = l.ix->e[s].parent)
			need += l.ix->e[s].name_len + usize(1);
		if (l.slot != 0)
			need--; // no trailing '/'
		if (need + 1 > len)
			return Errno::ENAMETOOLONG;
		buf[need] = 0;
		usize end = need;
		for (u32 s = l.slot; s != 0; s = l.ix->e[s].parent) {
			usize n = l.ix->e[s].name_len;
			end -= n;
			memcpy(buf + end, l.ix->structs + l.ix->e[s].off + 4, n);
			buf[--end] = '/';
		}
		buf[0] = '/';
		return {};
	}
	// fdt_get_path's walk from the root, except that the path is assembled from the
	// ancestors' names: libfdt backtracks by scanning for '/', so a '/' inside a (malformed)
	// node name corrupted the paths of every node after it, and the index would disagree.
	int stack[FDT_MAX_DEPTH + 1];
	int depth = 0;
	for (int off = 0; off >= 0 && off <= off_ && depth <= FDT_MAX_DEPTH;
	     off = fdt_next_node(fdt_, off, &depth)) {
		if (depth < 0)
			break;
		stack[depth] = off;
		if (off != off_)
			continue;
		usize need = depth ? 0 : 1;
		for (int d = 1; d <= depth; d++) {
			int n = 0;
			if (!fdt_get_name(fdt_, stack[d], &n) || n < 0)
				return Errno::EINVAL;
			need += usize(n) + 1;
		}
		if (need + 1 > len)
			return Errno::ENAMETOOLONG;
		usize p = 0;
		buf[p] = '/'; // the root alone
		for (int d = 1; d <= depth; d++) {
			int n = 0;
			const char *name = fdt_get_name(fdt_, stack[d], &n);
			buf[p++] = '/';
			memcpy(buf + p, name, usize(n));
			p += usize(n);
		}
		buf[need] = 0;
		return {};
	}
	return Errno::EINVAL;
}

Node Node::parent() const
{
	if (!valid() || off_ == 0)
		return Node();
	IndexLookup l;
	if (IndexLookup::of(*this, &l))
		return l.e().parent == detail::NO_SLOT ? Node() : l.node(l.e().parent);
	int p = fdt_parent_offset(fdt_, off_);
	return p >= 0 ? Node(fdt_, p) : Node();
}

ChildRange Node::children() const { return ChildRange(valid() ? *this : Node()); }

ErrorOr<kstd::span<const u8>> Node::property(const char *prop) const
{
	if (!valid())
		return Errno::ENOENT;
	usize len = 0;
	const u8 *v = IndexLookup::getprop(*this, prop, strlen(prop), &len);
	if (!v)
		return Errno::ENOENT;
	return kstd::span<const u8>(v, len);
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
	if (!valid())
		return false;
	IndexLookup l;
	if (IndexLookup::of(*this, &l))
		return l.compatible(l.slot, compat, strlen(compat));
	int len = 0;
	const void *p = fdt_getprop(fdt_, off_, "compatible", &len);
	return p && len >= 0 &&
	       stringlist_contains(static_cast<const char *>(p), usize(len), compat, strlen(compat));
}

bool Node::is_available() const
{
	auto s = property("status");
	if (s.is_error())
		return valid();
	return prop_equals(s.value().data(), int(s.value().size()), "okay") ||
	       prop_equals(s.value().data(), int(s.value().size()), "ok");
}

bool Node::is_type(const char *type) const
{
	auto s = property("device_type");
	return !s.is_error() && prop_equals(s.value().data(), int(s.value().size()), type);
}

ErrorOr<u32> Node::phandle() const
{
	if (!valid())
		return Errno::ENOENT;
	IndexLookup l;
	u32 ph = IndexLookup::of(*this, &l) ? l.e().phandle : fdt_get_phandle(fdt_, off_);
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
	IndexLookup l;
	if (IndexLookup::of(n_, &l)) {
		// The next sibling is the slot after this subtree, if still inside the parent's.
		u32 next = l.e().next;
		u16 parent = l.e().parent;
		bool sibling = parent != detail::NO_SLOT && next < l.ix->e[parent].next;
		n_ = sibling ? l.node(next) : Node();
		return *this;
	}
	int off = fdt_next_subnode(n_.fdt_, n_.off_);
	n_ = off < 0 ? Node() : Node(n_.fdt_, off);
	return *this;
}

ChildRange::iterator ChildRange::begin() const
{
	if (!parent_.valid())
		return end();
	IndexLookup l;
	if (IndexLookup::of(parent_, &l))
		return iterator(l.slot + 1 < l.e().next ? l.node(l.slot + 1) : Node());
	int off = fdt_first_subnode(parent_.fdt_, parent_.off_);
	return iterator(off < 0 ? Node() : Node(parent_.fdt_, off));
}

CompatibleRange::CompatibleRange(const DeviceTree &tree, const char *compat)
	: blob_(tree.blob_), gen_(tree.gen_), compat_(compat)
{
}

CompatibleRange::iterator &CompatibleRange::iterator::operator++()
{
	n_ = DeviceTree(blob_, gen_).find_compatible(compat_, n_);
	return *this;
}

CompatibleRange::iterator CompatibleRange::begin() const
{
	return iterator(*this, DeviceTree(blob_, gen_).find_compatible(compat_));
}

// ---- DeviceTree -------------------------------------------------------------------------

ErrorOr<DeviceTree> DeviceTree::try_create(const void *blob, usize mapped_size)
{
	// Unpublish first: the walk overwrites the entries an older tree may still point at.
	detail::g_index.blob = nullptr;
	detail::g_index.gen = 0;
	TRY(validate(blob, mapped_size, &detail::g_index));
	return DeviceTree(blob, detail::g_index.blob == blob ? detail::g_index.gen : 0);
}

bool DeviceTree::indexed() const { return blob_ && IndexLookup::index_for(blob_, gen_); }

u32 DeviceTree::total_size() const { return blob_ ? fdt_totalsize(blob_) : 0; }

Node DeviceTree::root() const
{
	IndexLookup l{IndexLookup::index_for(blob_, gen_), 0};
	return l.ix ? l.node(0) : blob_ ? Node(blob_, 0) : Node();
}

// fdt_path_offset_namelen for an absolute path (no alias, len > 0).
Node DeviceTree::abs_path(const char *path, usize len) const
{
	IndexLookup l{IndexLookup::index_for(blob_, gen_), 0};
	if (l.ix)
		return l.path(path, len) ? l.node(l.slot) : Node();
	int off = fdt_path_offset_namelen(blob_, path, int(len));
	return off >= 0 ? Node(blob_, off) : Node();
}

// Absolute-path lookup with alias expansion done here rather than in libfdt, which would
// follow an alias value without checking its NUL terminator or that it is absolute.
Node DeviceTree::resolve_path(const char *path, usize len) const
{
	if (!blob_ || len == 0)
		return Node();
	if (path[0] == '/')
		return len <= OF_MAX_PATH ? abs_path(path, len) : Node();
	const char *slash = static_cast<const char *>(memchr(path, '/', len));
	usize alen = slash ? usize(slash - path) : len;
	Node aliases = abs_path("/aliases", 8);
	if (!aliases.valid())
		return Node();
	usize vlen = 0;
	const char *val = reinterpret_cast<const char *>(IndexLookup::getprop(aliases, path, alen, &vlen));
	if (!val || vlen <= 1 || !memchr(val, 0, vlen) || val[0] != '/')
		return Node();
	char full[OF_MAX_PATH + 1];
	usize vl = strlen(val);
	usize rest = len - alen;
	if (vl + rest > OF_MAX_PATH)
		return Node();
	memcpy(full, val, vl);
	memcpy(full + vl, path + alen, rest);
	return abs_path(full, vl + rest);
}

Node DeviceTree::find_by_path(const char *path) const
{
	return path ? resolve_path(path, strlen(path)) : Node();
}

Node DeviceTree::find_compatible(const char *compat, Node from) const
{
	if (!blob_)
		return Node();
	IndexLookup l{IndexLookup::index_for(blob_, gen_), 0};
	IndexLookup f;
	u32 s = 0;
	if (l.ix && (!from.valid() || (IndexLookup::of(from, &f) && (s = f.slot, true)) ||
		     IndexLookup::find_slot(l.ix, from.offset(), &s))) {
		// Slots are in blob order: the nodes after `from` are the slots after its slot.
		usize clen = strlen(compat);
		for (s = from.valid() ? s + 1 : 0; s < l.ix->count; s++)
			if (l.compatible(s, compat, clen))
				return l.node(s);
		return Node();
	}
	// fdt_node_offset_by_compatible's scan, with the list match shared with the index.
	for (int off = fdt_next_node(blob_, from.valid() ? from.offset() : -1, nullptr); off >= 0;
	     off = fdt_next_node(blob_, off, nullptr))
		if (Node(blob_, off).is_compatible(compat))
			return Node(blob_, off);
	return Node();
}

Node DeviceTree::find_by_phandle(u32 phandle) const
{
	if (!blob_ || phandle == 0 || phandle == ~u32{0})
		return Node();
	IndexLookup l{IndexLookup::index_for(blob_, gen_), 0};
	if (l.ix) {
		for (u32 s = 0; s < l.ix->count; s++)
			if (l.ix->e[s].phandle == phandle)
				return l.node(s);
		return Node();
	}
	int off = fdt_node_offset_by_phandle(blob_, phandle);
	return off >= 0 ? Node(blob_, off) : Node();
}

Node DeviceTree::find_alias(const char *alias) const
{
	if (!alias || !*alias || memchr(alias, '/', strlen(alias)))
		return Node();
	return resolve_path(alias, strlen(alias));
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
	Node n = resolve_path(path, len);
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
	auto visit = [&](Node n, int depth) {
		available[depth] = depth == 0 || (available[depth - 1] && n.is_available());
		if (!available[depth])
			return;
		auto r = n.property("dma-ranges");
		if (r.is_error() || r.value().empty())
			return;
		Node parent = n.parent();
		auto cc = n.child_cells(true);
		auto pcells = (parent.valid() ? parent : n).child_cells(true);
		if (cc.is_error() || pcells.is_error() || cc.value().size == 0)
			return;
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
	};
	IndexLookup l{IndexLookup::index_for(blob_, gen_), 0};
	if (l.ix) {
		for (u32 s = 0; s < l.ix->count; s++)
			visit(l.node(s), l.ix->e[s].depth);
		return max_cpu;
	}
	int depth = -1; // the root is depth 0
	for (int off = fdt_next_node(blob_, -1, &depth); off >= 0 && depth >= 0 && depth <= FDT_MAX_DEPTH;
	     off = fdt_next_node(blob_, off, &depth))
		visit(Node(blob_, off), depth);
	return max_cpu;
}

namespace {
DeviceTree g_boot_tree;
}

DeviceTree boot_tree() { return g_boot_tree; }
void set_boot_tree(DeviceTree t) { g_boot_tree = t; }

} // namespace of
