// Symbolic names for Errno values, for logs and test failure messages ("ENOMEM", as Linux's
// %pe prints them).
#include "kstd/result.h"

const char *errno_name(Errno e)
{
	switch (e) {
#define E(name)            \
	case Errno::name:      \
		return #name;
		E(OK)
		E(EPERM)
		E(ENOENT)
		E(ESRCH)
		E(EINTR)
		E(EIO)
		E(E2BIG)
		E(ENOEXEC)
		E(EBADF)
		E(EAGAIN)
		E(ENOMEM)
		E(EACCES)
		E(EFAULT)
		E(EBUSY)
		E(EEXIST)
		E(ENODEV)
		E(ENOTDIR)
		E(EINVAL)
		E(ENFILE)
		E(EMFILE)
		E(ENOTTY)
		E(EFBIG)
		E(ENOSPC)
		E(ESPIPE)
		E(ERANGE)
		E(ENAMETOOLONG)
		E(ENOSYS)
		E(ENODATA)
		E(EOVERFLOW)
		E(EBADMSG)
		E(ENOTSUP)
		E(ENXIO)
		E(ECHILD)
		E(EXDEV)
		E(EISDIR)
		E(EROFS)
		E(EPIPE)
		E(EDEADLK)
		E(ENOTEMPTY)
		E(ELOOP)
		E(ETIMEDOUT)
#undef E
	}
	// Not an enumerator: a raw number cast to Errno (e.g. from a syscall argument).
	return "E?";
}
