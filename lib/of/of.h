// A small typed layer over libfdt: the one way mm/, arch/ and drivers read the device tree.
//
// Contract:
// - Nothing here may touch a blob before fdt_validate() accepted it. Everything after that
//   only reads, never writes, and never trusts a length or offset it did not check: every
//   getter returns ErrorOr, with Errno::ENOENT for "absent" and Errno::EINVAL for "present but
//   malformed" (wrong length, missing NUL, bad cells), so a driver can tell the two apart.
// - Node is a cheap value (blob pointer + structure offset), valid as long as the blob is
//   unchanged. A default-constructed or failed lookup gives a Node whose valid() is false;
//   every query on it fails with ENOENT.
// - DeviceTree::try_create also "unflattens" the blob as Linux does after its early scan:
//   one walk records every node (offset, parent, depth, name, phandle, compatible) in a
//   statically sized index, so parent, path, phandle and compatible lookups stop rescanning
//   the structure block. There is one index, for the most recently created tree; Nodes and
//   trees made before it, blobs with more than OF_INDEX_MAX_NODES nodes and Nodes built
//   directly from an offset use libfdt instead, with the same answers. Editing a blob in
//   place invalidates every DeviceTree and Node made from it: call try_create again.
// - Strings and byte spans returned point into the blob; they live as long as the blob.
// - Drivers match hardware by compatible string:
//       for (of::Node n : of::compatible_nodes(tree, "arm,pl011"))
//           if (n.is_available()) probe(n);
//   and read their registers with n.reg() (bus addresses) translated to CPU physical
//   addresses with n.translate_address(bus_addr) (Linux of_translate_address semantics).
// - The kernel's tree (Linux's initial_boot_params) is set once by early_init_dt_scan()
//   after validation; of::boot_tree() returns it (a tree whose valid() is false before that).
#pragma once

#include "kstd/result.h"
#include "kstd/span.h"
#include "kstd/types.h"

namespace of {

// Largest blob accepted (Linux arm64's MAX_FDT_SIZE): the fixmap window is 2 MiB.
inline constexpr usize MAX_FDT_SIZE = SZ_2M;
// Oldest structure version accepted (the first with a strings-block size and boot cpuid).
inline constexpr u32 FDT_MIN_VERSION = 16;
// Deepest node nesting accepted (Linux's unflatten limit FDT_MAX_DEPTH); keeps every walk's
// bookkeeping bounded on hostile input.
inline constexpr int FDT_MAX_DEPTH = 64;
// Largest #address-cells/#size-cells this layer reads into a u64.
inline constexpr u32 OF_MAX_CELLS = 2;
// Value returned for untranslatable addresses in logs (Linux OF_BAD_ADDR).
inline constexpr u64 OF_BAD_ADDR = ~u64{0};
// Nodes the lookup index holds (a BSS array: it is built before any allocator exists). Linux's
// Pi 4 DTB has about 250 nodes, QEMU virt about 60; larger trees work through libfdt.
inline constexpr usize OF_INDEX_MAX_NODES = 1024;

// Checks the header against the mapping (magic, version >= 16 and last_comp_version <= 17,
// totalsize <= mapped_size and <= MAX_FDT_SIZE, every block inside totalsize), the memory
// reservation map's terminator, then libfdt's fdt_check_full() and the nesting depth.
// Each failure prints one "OF: fdt: ..." line naming the field and its value and returns
// EINVAL (ENOEXEC for a bad magic: "not a device tree at all"). blob may be unaligned only
// as libfdt allows (4-byte alignment is required).
[[nodiscard]] Result fdt_validate(const void *blob, usize mapped_size);

struct Cells {
	u32 addr;
	u32 size;
};

struct RegEntry {
	u64 address;
	u64 size;
	constexpr bool operator==(const RegEntry &) const = default;
};

// Big-endian cell array readers (of_read_number); n <= 2.
u64 read_number(const u8 *p, u32 ncells);
inline u32 be32_at(const u8 *p) { return u32(p[0]) << 24 | u32(p[1]) << 16 | u32(p[2]) << 8 | p[3]; }

// An array of (address, size) tuples in a property: `reg`, `alloc-ranges`, a memory node's
// `linux,usable-memory`. Bytes after the last whole entry are ignored (Linux).
class RegArray {
public:
	constexpr RegArray() = default;
	RegArray(const u8 *data, usize len, Cells cells);
	usize size() const { return count_; }
	bool empty() const { return count_ == 0; }
	// Bytes past the last whole entry (non-zero means a malformed property).
	usize tail_bytes() const { return tail_; }
	Cells cells() const { return cells_; }
	RegEntry operator[](usize i) const;

	class iterator {
	public:
		iterator(const RegArray *a, usize i) : a_(a), i_(i) {}
		RegEntry operator*() const { return (*a_)[i_]; }
		iterator &operator++() { ++i_; return *this; }
		bool operator!=(const iterator &o) const { return i_ != o.i_; }
	private:
		const RegArray *a_;
		usize i_;
	};
	iterator begin() const { return iterator(this, 0); }
	iterator end() const { return iterator(this, count_); }

private:
	const u8 *data_ = nullptr;
	usize count_ = 0;
	usize tail_ = 0;
	Cells cells_{0, 0};
};

class ChildRange;
class CompatibleRange;
class DeviceTree;
namespace detail {
struct IndexLookup;
}

class Node {
public:
	constexpr Node() = default;
	// offset must be a node offset libfdt returned for this blob (fdt_next_node at depth >= 0,
	// fdt_path_offset, ...): libfdt trusts it. Such a Node always uses libfdt: only Nodes a
	// DeviceTree hands out know whether the index describes their blob.
	constexpr Node(const void *fdt, int offset) : fdt_(fdt), off_(offset) {}

	bool valid() const { return fdt_ != nullptr && off_ >= 0; }
	int offset() const { return off_; }
	const void *fdt() const { return fdt_; }
	bool operator==(const Node &o) const { return fdt_ == o.fdt_ && off_ == o.off_; }

	// Unit name as in the blob ("memory@40000000"; "" for the root); "<invalid>" otherwise.
	const char *name() const;
	// Full path into buf ("/soc/serial@7e215000"), the ancestors' names joined with '/';
	// ENAMETOOLONG when it does not fit.
	Result path(char *buf, usize len) const;
	Node parent() const;
	ChildRange children() const;

	// Raw value. ENOENT when absent.
	ErrorOr<kstd::span<const u8>> property(const char *prop) const;
	bool has_property(const char *prop) const;
	// NUL-terminated within the property (the first string of a list). EINVAL otherwise.
	ErrorOr<const char *> read_string(const char *prop) const;
	// First cell(s) (Linux of_property_read_u32/u64: longer properties are accepted);
	// EINVAL when shorter than the value.
	ErrorOr<u32> read_u32(const char *prop) const;
	ErrorOr<u64> read_u64(const char *prop) const;
	// A value of exactly ncells cells (1 or 2), e.g. a `size` in #size-cells units.
	ErrorOr<u64> read_cells(const char *prop, u32 ncells) const;
	// True when `compatible` lists compat (exact string match, any position).
	bool is_compatible(const char *compat) const;
	// Linux of_device_is_available: no `status`, or "okay"/"ok".
	bool is_available() const;
	// `device_type` equals type (memory, cpu, ...).
	bool is_type(const char *type) const;
	ErrorOr<u32> phandle() const;

	// #address-cells/#size-cells this node gives its children: absent -> 2/1 (DT spec).
	// #address-cells 0 or > 2 and #size-cells > 2 are rejected with a message naming the
	// node. With allow_size0 false #size-cells 0 is rejected too (memory-like nodes).
	ErrorOr<Cells> child_cells(bool allow_size0 = true) const;
	// This node's `reg`, in its parent's cells; ENOENT when absent, EINVAL when the parent's
	// cells are unusable. Tail bytes are reported once with a message and ignored.
	ErrorOr<RegArray> reg() const;
	// Translates an address of this node's parent bus (a value from this node's `reg`) to a
	// CPU physical address by applying each ancestor bus's `ranges` up to the root: empty
	// `ranges` maps 1:1, a missing one makes the address untranslatable (EINVAL), an address
	// outside every range too (ERANGE). Linux of_translate_address.
	ErrorOr<u64> translate_address(u64 bus_addr) const;
	// reg()[index] with its address translated; ERANGE for a bad index.
	ErrorOr<RegEntry> reg_translated(usize index) const;

private:
	friend class ChildRange;
	friend class CompatibleRange;
	friend class DeviceTree;
	friend struct detail::IndexLookup;
	constexpr Node(const void *fdt, int offset, u32 gen, u32 slot)
		: fdt_(fdt), off_(offset), gen_(gen), slot_(slot)
	{
	}

	const void *fdt_ = nullptr;
	int off_ = -1;
	// Generation of the index this Node was issued under (0: none, use libfdt) and its slot
	// there. A Node only uses the index while the index still has this generation and blob.
	u32 gen_ = 0;
	u32 slot_ = 0;
};

// Direct children in blob order.
class ChildRange {
public:
	explicit ChildRange(Node parent) : parent_(parent) {}
	class iterator {
	public:
		explicit iterator(Node n) : n_(n) {}
		Node operator*() const { return n_; }
		iterator &operator++();
		bool operator!=(const iterator &o) const { return n_.offset() != o.n_.offset(); }
	private:
		Node n_;
	};
	iterator begin() const;
	iterator end() const { return iterator(Node()); }

private:
	Node parent_;
};

// Nodes whose `compatible` lists compat, in blob order (available or not: check
// is_available() before probing).
class CompatibleRange {
public:
	CompatibleRange(const DeviceTree &tree, const char *compat);
	// Self-contained (no pointer back to the range), so it outlives a temporary range.
	class iterator {
	public:
		iterator(const CompatibleRange &r, Node n) : blob_(r.blob_), gen_(r.gen_), compat_(r.compat_), n_(n) {}
		Node operator*() const { return n_; }
		iterator &operator++();
		bool operator!=(const iterator &o) const { return n_.offset() != o.n_.offset(); }
	private:
		const void *blob_;
		u32 gen_;
		const char *compat_;
		Node n_;
	};
	iterator begin() const;
	iterator end() const { return iterator(*this, Node()); }

private:
	const void *blob_;
	u32 gen_;
	const char *compat_;
};

struct StdoutPath {
	Node node;
	// Text after ':' ("115200n8"), "" when none; points into the blob.
	const char *options;
};

// A validated blob. Copyable handle; does not own the memory.
class DeviceTree {
public:
	constexpr DeviceTree() = default;
	// Validates first; the handle is only created for a blob fdt_validate() accepts.
	static ErrorOr<DeviceTree> try_create(const void *blob, usize mapped_size);

	bool valid() const { return blob_ != nullptr; }
	const void *blob() const { return blob_; }
	// True while lookups on this tree go through the node index (see the contract above);
	// answers are the same either way, only their cost differs.
	bool indexed() const;
	u32 total_size() const;

	Node root() const;
	// Absolute path, or an alias name optionally followed by "/rest" (libfdt rules).
	Node find_by_path(const char *path) const;
	// First node matching compat after `from` (an invalid Node starts at the beginning).
	Node find_compatible(const char *compat, Node from = Node()) const;
	CompatibleRange compatible_nodes(const char *compat) const { return CompatibleRange(*this, compat); }
	Node find_by_phandle(u32 phandle) const;
	// /aliases/<name> resolved to its node.
	Node find_alias(const char *alias) const;
	// /chosen (or /chosen@0, which Linux also accepts).
	Node chosen() const;

	// /chosen getters. ENOENT when /chosen or the property is absent.
	ErrorOr<const char *> bootargs() const;
	// stdout-path (or linux,stdout-path), "serial1:115200n8" -> alias -> node + "115200n8".
	// ENOENT when absent or when the path names no node.
	ErrorOr<StdoutPath> stdout_path() const;
	// linux,initrd-start/-end, each a 32- or 64-bit cell value; EINVAL for other lengths or
	// start > end.
	ErrorOr<RegEntry> initrd() const;
	ErrorOr<kstd::span<const u8>> rng_seed() const;
	ErrorOr<u64> kaslr_seed() const;

	// Highest CPU physical address every DMA master can reach, from the `dma-ranges` of
	// all available nodes (Linux of_dma_get_max_cpu_address(NULL)): ~0 when no node limits
	// DMA. Pi 4: 0x3fffffff.
	u64 dma_max_cpu_address() const;

private:
	friend class CompatibleRange;
	friend class CompatibleRange::iterator;
	constexpr DeviceTree(const void *blob, u32 gen) : blob_(blob), gen_(gen) {}
	Node abs_path(const char *path, usize len) const;
	Node resolve_path(const char *path, usize len) const;
	const void *blob_ = nullptr;
	u32 gen_ = 0; // index generation, 0 when the tree is not indexed
};

// The boot tree (set by early_init_dt_scan after validation).
DeviceTree boot_tree();
void set_boot_tree(DeviceTree t);

// Linux-style shorthands over the boot tree for drivers:
//   for (of::Node n : of::of_compatible_nodes("brcm,bcm2835-aux-uart")) ...
//   of::Node gic = of::of_find_compatible("arm,gic-400");
inline Node of_find_compatible(const char *compat, Node from = Node())
{
	return boot_tree().find_compatible(compat, from);
}
inline CompatibleRange of_compatible_nodes(const char *compat)
{
	return boot_tree().compatible_nodes(compat);
}
inline Node of_find_node_by_path(const char *path) { return boot_tree().find_by_path(path); }
inline Node of_find_node_by_phandle(u32 phandle) { return boot_tree().find_by_phandle(phandle); }

} // namespace of
