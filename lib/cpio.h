// newc cpio archives (the initramfs format): a reader over an archive held in memory.
//
// Layout (Linux's Documentation/driver-api/early-userspace/buffer-format.rst): each entry is a
// 110-byte ASCII header, magic "070701" (or "070702": with a checksum of the data bytes)
// followed by 13 fields of 8 hex digits; then namesize bytes of name including its NUL,
// padded so the data starts 4-byte aligned; then filesize bytes of data, padded to 4. The
// entry named "TRAILER!!!" ends an archive. Like Linux's initramfs unpacker, the reader accepts
// several archives concatenated, with NUL padding between them.
//
// The reader never reads outside the buffer it was given: every field is checked (hex digits
// only, name NUL-terminated with no NUL inside, namesize within [1, CPIO_NAME_MAX], data and
// padding inside the buffer). Errors are EINVAL for a malformed archive, each with one pr_warn
// line naming the field and its offset, and ENOENT when a looked-up path is absent.
#pragma once

#include "kstd/result.h"
#include "kstd/span.h"
#include "kstd/types.h"

namespace cpio {

inline constexpr usize CPIO_HEADER_SIZE = 110;
inline constexpr u32 CPIO_NAME_MAX = 4096; // PATH_MAX, with the NUL

// st_mode file types (Linux's S_IF* values).
inline constexpr u32 S_IFMT = 0170000;
inline constexpr u32 S_IFREG = 0100000;
inline constexpr u32 S_IFDIR = 0040000;
inline constexpr u32 S_IFLNK = 0120000;

struct Entry {
	const char *name; // points into the archive; NUL-terminated, namesize - 1 bytes long
	usize name_len;
	u32 ino;
	u32 mode;
	u32 uid;
	u32 gid;
	u32 nlink;
	u32 mtime;
	u32 devmajor;
	u32 devminor;
	kstd::span<const u8> data; // file contents (a symlink's target)
	usize offset; // of the header in the archive, for messages
	u32 rdevmajor = 0; // a device node's device number
	u32 rdevminor = 0;

	bool is_reg() const { return (mode & S_IFMT) == S_IFREG; }
	bool is_dir() const { return (mode & S_IFMT) == S_IFDIR; }
	bool is_symlink() const { return (mode & S_IFMT) == S_IFLNK; }
	bool is_special() const
	{
		u32 t = mode & S_IFMT;
		return t == 0020000 || t == 0060000 || t == 0010000 || t == 0140000;
	}
};

// Walks the entries of an archive in order. The trailer is not returned as an entry.
//   cpio::Reader r(archive);
//   cpio::Entry e;
//   while (TRY(r.next(e))) use(e);
class Reader {
public:
	explicit Reader(kstd::span<const u8> archive) : buf_(archive) {}
	// true with `out` filled, false at the end of the last archive, or an error (the reader
	// then stays at the bad entry and returns the same error again).
	ErrorOr<bool> next(Entry &out);

private:
	kstd::span<const u8> buf_;
	usize pos_ = 0;
	bool done_ = false;
};

// Checks the whole archive: every header, name and data span, and that it ends with a trailer.
Result validate(kstd::span<const u8> archive);

// Finds `path` ("/init", "init", "./bin/x" and "bin//x" are the same path; a trailing "/" is
// ignored). Path comparison works on normalised names on both sides; "." and ".." components
// are not resolved. When the same path appears more than once the last entry wins, as when
// Linux unpacks it. A hard-linked regular file whose data was stored with another name of the
// same inode (newc stores it once, with the last link) is returned with that data.
// ENOENT when absent; EINVAL when the archive is malformed anywhere up to the match.
ErrorOr<Entry> find(kstd::span<const u8> archive, const char *path);

// The canonical form used by find(): no leading "/" or "./", no repeated or trailing "/".
// Writes at most `size` bytes including the NUL; returns the length or ENAMETOOLONG.
ErrorOr<usize> normalize_path(const char *path, usize len, char *out, usize size);

} // namespace cpio
