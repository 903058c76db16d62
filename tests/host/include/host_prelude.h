// Force-included first in every host translation unit (-include).
//
// kstd's `enum class Errno` spells its enumerators like the C errno macros (Errno::ENOMEM),
// which the host's <errno.h> defines as macros. Parse every standard header that uses those
// macros now, then undefine them: include guards keep them from coming back, and kernel code
// under test sees plain enumerators, exactly as in the freestanding kernel build.
#pragma once

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>
#include <iostream>
#include <sstream>
#include <fstream>
#include <vector>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <algorithm>
#include <random>
#include <functional>
#include <memory>
#include <new>
#include <compare>

#undef EPERM
#undef ENOENT
#undef ESRCH
#undef EINTR
#undef EIO
#undef E2BIG
#undef ENOEXEC
#undef EBADF
#undef EAGAIN
#undef ENOMEM
#undef EACCES
#undef EFAULT
#undef EBUSY
#undef EEXIST
#undef ENODEV
#undef ENOTDIR
#undef EINVAL
#undef ENFILE
#undef EMFILE
#undef ENOTTY
#undef EFBIG
#undef ENOSPC
#undef ESPIPE
#undef ERANGE
#undef ENAMETOOLONG
#undef ENOSYS
#undef ENODATA
#undef EOVERFLOW
#undef EBADMSG
#undef ENOTSUP
#undef ENXIO
#undef ECHILD
#undef EXDEV
#undef EISDIR
#undef EROFS
#undef EPIPE
#undef EDEADLK
#undef ENOTEMPTY
#undef ELOOP
#undef RENAME_NOREPLACE
#undef RENAME_EXCHANGE
#undef RENAME_WHITEOUT
#undef ETIMEDOUT
#undef ELOOP
#undef RENAME_NOREPLACE
#undef RENAME_EXCHANGE
#undef RENAME_WHITEOUT

// fs/fs.h (compiled into the host suite through mm/) defines the kernel's dev_t and SEEK_*
// as Linux's kernel headers do; the host's <sys/types.h>/<cstdio> versions are parsed above.
#undef SEEK_SET
#undef SEEK_CUR
#undef SEEK_END
#undef SEEK_DATA
#undef SEEK_HOLE
#undef PATH_MAX
#undef NAME_MAX
#define dev_t kernel_dev_t
