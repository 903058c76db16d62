// newc cpio reader (see cpio.h). Offsets are checked against the buffer before every read;
// sizes come from 8 hex digits so they are below 2^32 and sums of them cannot overflow a u64.
#include "lib/cpio.h"
#include "lib/parse.h"

#include "core/printk.h"
#include "kstd/string.h"
#include "kstd/util.h"

namespace cpio {

namespace {

enum Field { INO, MODE, UID, GID, NLINK, MTIME, FILESIZE, DEVMAJOR, DEVMINOR, RDEVMAJOR,
	     RDEVMINOR, NAMESIZE, CHECK, NR_FIELDS };
const char *const field_names[NR_FIELDS] = {"c_ino", "c_mode", "c_uid", "c_gid", "c_nlink",
	"c_mtime", "c_filesize", "c_devmajor", "c_devminor", "c_rdevmajor", "c_rdevminor",
	"c_namesize", "c_check"};

constexpr char TRAILER[] = "TRAILER!!!";

Error bad(usize off, const char *what, const char *detail = "")
{
	pr_warn("cpio: entry at offset %zu: %s%s\n", off, what, detail);
	return Errno::EINVAL;
}


} // namespace

ErrorOr<bool> Reader::next(Entry &out)
{
	const u8 *b = buf_.data();
	const usize size = buf_.size();
	for (;;) {
		if (done_)
			return false;
		usize pos = pos_;
		if (pos >= size) {
			if (pos == 0)
				return bad(0, "empty archive");
			return bad(pos, "archive ends without a TRAILER!!! entry");
		}
		if (size - pos < CPIO_HEADER_SIZE)
			return bad(pos, "truncated header");
		bool crc = false;
		if (memcmp(b + pos, "070701", 6) == 0)
			crc = false;
		else if (memcmp(b + pos, "070702", 6) == 0)
			crc = true;
		else
			return bad(pos, "bad magic (not newc 070701/070702)");

		u32 v[NR_FIELDS];
		for (int i = 0; i < NR_FIELDS; i++) {
			u32 x = 0;
			for (int d = 0; d < 8; d++) {
				int h = kstd::hex_digit_value(b[pos + 6 + i * 8 + d]);
				if (h < 0)
					return bad(pos, "non-hex digit in ", field_names[i]);
				x = x << 4 | u32(h);
			}
			v[i] = x;
		}
		if (v[NAMESIZE] == 0 || v[NAMESIZE] > CPIO_NAME_MAX)
			return bad(pos, "c_namesize out of range [1, 4096]");
		usize name_off = pos + CPIO_HEADER_SIZE;
		if (size - name_off < v[NAMESIZE])
			return bad(pos, "name runs past the end of the archive");
		const char *name = reinterpret_cast<const char *>(b + name_off);
		usize name_len = v[NAMESIZE] - 1;
		if (name[name_len] != 0 || memchr(name, 0, name_len) != nullptr)
			return bad(pos, "name is not a NUL-terminated string of c_namesize bytes");
		usize data_off = kstd::align_up(name_off + v[NAMESIZE], 4);
		if (data_off > size || size - data_off < v[FILESIZE])
			return bad(pos, "c_filesize runs past the end of the archive");
		usize next = kstd::align_up(data_off + v[FILESIZE], 4);

		if (name_len == sizeof(TRAILER) - 1 && memcmp(name, TRAILER, name_len) == 0) {
			// Another archive may follow after NUL padding (Linux's initramfs does the same).
			usize p = kstd::min(next, size);
			while (p < size && b[p] == 0)
				p++;
			if (p == size) {
				done_ = true;
				return false;
			}
			if ((p & 3) != 0)
				return bad(p, "concatenated archive is not 4-byte aligned");
			pos_ = p;
			continue;
		}
		if (crc) {
			u32 sum = 0;
			for (usize i = 0; i < v[FILESIZE]; i++)
				sum += b[data_off + i];
			if (sum != v[CHECK])
				return bad(pos, "070702 checksum mismatch for ", name);
		}
		out = Entry{name, name_len, v[INO], v[MODE], v[UID], v[GID], v[NLINK], v[MTIME],
			    v[DEVMAJOR], v[DEVMINOR], kstd::span<const u8>(b + data_off, v[FILESIZE]), pos,
			    v[RDEVMAJOR], v[RDEVMINOR]};
		// Padding cut short at the end of the buffer leaves pos_ beyond it: the next call
		// then reports the missing trailer.
		pos_ = next;
		return true;
	}
}

Result validate(kstd::span<const u8> archive)
{
	Reader r(archive);
	Entry e;
	while (TRY(r.next(e)))
		;
	return {};
}

namespace {

// Yields the characters of normalize_path()'s result one by one, without a buffer.
class NormIter {
public:
	NormIter(const char *p, usize len) : p_(p), len_(len)
	{
		for (;;) {
			if (i_ < len_ && p_[i_] == '/')
				i_++;
			else if (i_ + 1 < len_ && p_[i_] == '.' && p_[i_ + 1] == '/')
				i_ += 2;
			else if (i_ + 1 == len_ && p_[i_] == '.')
				i_++;
			else
				break;
		}
	}
	// The next character, or 0 at the end.
	char next()
	{
		if (i_ >= len_ || p_[i_] == 0)
			return 0;
		char c = p_[i_++];
		if (c != '/')
			return c;
		while (i_ < len_ && p_[i_] == '/')
			i_++;
		return i_ >= len_ || p_[i_] == 0 ? 0 : '/';
	}

private:
	const char *p_;
	usize len_;
	usize i_ = 0;
};

bool same_path(const char *a, usize alen, const char *b, usize blen)
{
	NormIter x(a, alen), y(b, blen);
	for (;;) {
		char c = x.next();
		if (c != y.next())
			return false;
		if (c == 0)
			return true;
	}
}

} // namespace

ErrorOr<usize> normalize_path(const char *path, usize len, char *out, usize size)
{
	NormIter it(path, len);
	usize n = 0;
	for (char c = it.next(); c; c = it.next()) {
		if (n + 1 >= size)
			return Errno::ENAMETOOLONG;
		out[n++] = c;
	}
	if (size == 0)
		return Errno::ENAMETOOLONG;
	out[n] = 0;
	return n;
}

ErrorOr<Entry> find(kstd::span<const u8> archive, const char *path)
{
	usize path_len = strlen(path);
	if (path_len >= CPIO_NAME_MAX)
		return Errno::ENAMETOOLONG;
	Reader r(archive);
	Entry e, found{};
	bool hit = false;
	while (TRY(r.next(e))) {
		if (same_path(e.name, e.name_len, path, path_len)) {
			found = e;
			hit = true;
		}
	}
	if (!hit)
		return Errno::ENOENT;
	// newc stores a hard-linked file's data once, with the last of its names.
	if (found.is_reg() && found.nlink > 1 && found.data.size() == 0) {
		Reader r2(archive);
		while (TRY(r2.next(e)))
			if (e.is_reg() && e.ino == found.ino && e.devmajor == found.devmajor &&
			    e.devminor == found.devminor && e.data.size() > 0)
				found.data = e.data;
	}
	return found;
}

} // namespace cpio
