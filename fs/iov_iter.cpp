// Data movement for read/write (Linux's lib/iov_iter.c reduced to user iovecs and one kernel
// buffer). User copies stop at the first fault: the iterator then reports the bytes moved.
#include <asm/uaccess.h>

#include "fs/fs.h"
#include "kstd/string.h"
#include "mm/page_alloc.h"

void iov_iter_kernel(iov_iter *i, bool dest, void *buf, usize len)
{
	*i = {};
	i->user = false;
	i->dest = dest;
	i->kbuf = static_cast<u8 *>(buf);
	i->count = len;
}

void iov_iter_user(iov_iter *i, bool dest, const iovec_user *iov, unsigned long nr_segs, usize count)
{
	*i = {};
	i->user = true;
	i->dest = dest;
	i->iov = iov;
	i->nr_segs = nr_segs;
	i->count = count;
}

void iov_iter_truncate(iov_iter *i, usize n)
{
	if (i->count > n)
		i->count = n;
}

// Moves up to n bytes between kernel memory k and the iterator (to_iter: into it).
static usize iterate(iov_iter *i, void *k, usize n, bool to_iter)
{
	if (n > i->count)
		n = i->count;
	if (!i->user) {
		if (to_iter)
			memcpy(i->kbuf, k, n);
		else
			memcpy(k, i->kbuf, n);
		i->kbuf += n;
		i->count -= n;
		return n;
	}
	usize done = 0;
	u8 *kp = static_cast<u8 *>(k);
	while (done < n && i->nr_segs) {
		const iovec_user &v = i->iov[0];
		usize avail = v.iov_len - i->iov_offset;
		if (!avail) {
			i->iov++;
			i->nr_segs--;
			i->iov_offset = 0;
			continue;
		}
		usize c = n - done < avail ? n - done : avail;
		void *u = reinterpret_cast<void *>(v.iov_base + i->iov_offset);
		usize left = to_iter ? copy_to_user(u, kp + done, c) : copy_from_user(kp + done, u, c);
		usize moved = c - left;
		done += moved;
		i->iov_offset += moved;
		i->count -= moved;
		if (left)
			break;
	}
	return done;
}

usize copy_to_iter(const void *src, usize n, iov_iter *i) { return iterate(i, const_cast<void *>(src), n, true); }
usize copy_from_iter(void *dst, usize n, iov_iter *i) { return iterate(i, dst, n, false); }
usize copy_page_to_iter(page *p, usize offset, usize n, iov_iter *i)
{
	return copy_to_iter(static_cast<u8 *>(page_address(p)) + offset, n, i);
}
usize copy_page_from_iter(page *p, usize offset, usize n, iov_iter *i)
{
	return copy_from_iter(static_cast<u8 *>(page_address(p)) + offset, n, i);
}
