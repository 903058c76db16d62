# GDB helpers for mmkernel, in the style of Linux's scripts/gdb (lx-dmesg, lx-ps, ...): they read
# the kernel's own data structures through gdb, so they work wherever gdb reads memory: QEMU's
# gdbstub (make debug) and the kernel's stub over a serial line (kgdboc=, a real Pi). Each prints
# the text the kernel's console command for the same state prints:
#
#   lx-dmesg               the log buffer                        (console: dmesg)
#   lx-ps                  the task list                         (console: ps)
#   lx-buddyinfo           free blocks per zone and order        (console: buddyinfo)
#   lx-slabinfo            the slab caches (SLUB)                (console: slabinfo)
#   lx-pgwalk VA [PID]     the page-table walk of an address     (console: pgwalk)
#   lx-page PFN|ADDR       a struct page decoded                 (console: pageinfo)
#   lx-vmas PID            the VMAs of a task                    (console: proc /proc/PID/maps, first columns)
#
# Load with `source tools/gdb/mmkernel.py` (make debug does) after the kernel's symbols
# (kernel.elf). Nothing here writes to the target.
import gdb

# Constants of the kernel's layout (the headers named beside each).
PAGE_SHIFT = 12
VA_BITS = 48                                # arch/arm64/include/asm/memory.h
PAGE_OFFSET = 0xffff000000000000
PTE_ADDR_MASK = ((1 << 48) - 1) & ~0xfff    # arch/arm64/include/asm/pgtable.h
MAX_ORDER = 11                              # mm/mmzone.h
MAX_NUMNODES = 4
ZONES_PGOFF = 64 - 21 - 2 - 2               # mm/page-flags.h: section(21) node(2) zone(2)
NODES_PGOFF = 64 - 21 - 2
PAGE_TYPE_BASE = 0xf0000000
PAGE_MAPCOUNT_RESERVE = -128
PG_TYPES = ((0x80, 'buddy'), (0x200, 'table'), (0x100, 'offline'), (0x400, 'guard'))
SECTION_SIZE_BITS = 27                      # mm/sparse.h
PAGEBLOCK_ORDER = 9
NR_PAGEBLOCK_BITS = 4
PF_KTHREAD = 0x00200000                     # kernel/sched.h
EXIT_ZOMBIE, EXIT_DEAD = 0x20, 0x10
TASK_INTERRUPTIBLE, TASK_UNINTERRUPTIBLE = 1, 2
PF_EXITING = 0x4


def ev(expr):
    return gdb.parse_and_eval(expr)


def sym(*names):
    """A variable by the first of its spellings gdb knows (static, namespaced or not)."""
    for n in names:
        try:
            return ev(n)
        except gdb.error:
            continue
    raise gdb.GdbError('no symbol %s in the loaded kernel' % ' / '.join(names))


def enum_value(name):
    return int(ev(name))


def cstr(v):
    return v.string() if int(v) else ''


def read_u64(addr):
    return int.from_bytes(bytes(gdb.selected_inferior().read_memory(addr, 8)), 'little')


_offsets = {}


def container_of(ptr, typename, member):
    key = (typename, member)
    if key not in _offsets:  # members of anonymous unions too (struct page's views)
        _offsets[key] = int(ev('(unsigned long)&((%s *)0)->%s' % (typename, member)))
    return gdb.Value(int(ptr) - _offsets[key]).cast(gdb.lookup_type(typename).pointer())


def list_for_each_entry(head, typename, member):
    """head: a gdb.Value of list_head (not a pointer)."""
    pos = head['next']
    end = int(head.address)
    while int(pos) != end:
        yield container_of(pos, typename, member)
        pos = pos['next']


def out(text):
    gdb.write(text)


# --- lx-dmesg ---------------------------------------------------------------------------------
class LxDmesg(gdb.Command):
    """Print the kernel log buffer (as the console's dmesg): kernel/printk.cpp's ring of
    level byte + line records, oldest whole line first."""

    def __init__(self):
        super().__init__('lx-dmesg', gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        buf = sym("'kernel/printk.cpp'::log_buf", 'log_buf')
        size = buf.type.sizeof
        nxt = int(sym("'kernel/printk.cpp'::log_next", 'log_next'))
        show_time = bool(sym("'kernel/printk.cpp'::printk_time", 'printk_time'))
        start = nxt - size if nxt > size else 0
        inf = gdb.selected_inferior()
        base = int(buf.address)
        if nxt <= size:
            data = bytes(inf.read_memory(base, nxt))
        else:
            head = nxt % size
            data = bytes(inf.read_memory(base + head, size - head)) + bytes(inf.read_memory(base, head))
        if start > 0:  # overwritten: from the first whole line
            data = data[data.index(b'\n') + 1:]
        text = []
        i = 0
        while i < len(data):
            j = data.find(b'\n', i + 1)
            if j < 0:
                j = len(data) - 1
            line = data[i + 1:j + 1].decode('latin-1')  # skip the level byte
            if not show_time and line.startswith('[') and '] ' in line:
                line = line[line.index('] ') + 2:]
            text.append(line)
            i = j + 1
        out(''.join(text))


# --- tasks ------------------------------------------------------------------------------------
def task_list():
    head = sym('task_list')
    return list(list_for_each_entry(head, 'task_struct', 'tasks'))


def task_state_char(t):
    if int(t['exit_state']) == EXIT_ZOMBIE:
        return 'Z'
    if int(t['exit_state']) == EXIT_DEAD:
        return 'X'
    s = int(t['__state'])
    if s == 0:
        return 'R'
    if s & TASK_INTERRUPTIBLE:
        return 'S'
    if s & TASK_UNINTERRUPTIBLE:
        return 'I' if int(t['flags']) & PF_KTHREAD else 'D'
    return '?'


def find_task(pid):
    for t in task_list():
        if int(t['pid']) == pid:
            return t
    raise gdb.GdbError('no task with pid %d' % pid)


def mm_rss(mm):
    r = mm['rss_stat']
    return int(r[0]) + int(r[1]) + int(r[3])  # MM_FILEPAGES + MM_ANONPAGES + MM_SHMEMPAGES


def console_session_and_pgrp():
    """kernel/tty.cpp's valid_session(): the console's session while its leader lives."""
    con = sym("'(anonymous namespace)::con'", "'kernel/tty.cpp'::con")
    sid, pgrp = int(con['session']), int(con['pgrp'])
    if not sid:
        return 0, 0
    for t in task_list():
        if int(t['tgid']) == sid and int(t['pid']) == sid:
            if not int(t['exit_state']) and not int(t['flags']) & PF_EXITING and int(t['signal']['session']) == sid:
                return sid, pgrp
    return 0, 0


class LxPs(gdb.Command):
    """List the tasks as the console's ps does: pid, ppid, state (s: session leader, +: in the
    console's foreground group), rss in KiB, command (kernel threads in brackets)."""

    def __init__(self):
        super().__init__('lx-ps', gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        session, fg = console_session_and_pgrp()
        lines = ['  PID  PPID STAT    RSS COMMAND\n']
        for t in task_list():
            mm = t['mm']
            rss = mm_rss(mm) * 4 if int(mm) else 0
            stat = task_state_char(t)
            sig = t['signal']
            if int(t['group_leader']) == int(t) and int(sig['session']) == int(t['tgid']):
                stat += 's'
            if fg and int(sig['session']) == session and int(sig['pgrp']) == fg:
                stat += '+'
            kthread = int(t['flags']) & PF_KTHREAD
            ppid = int(t['parent']['pid']) if int(t['parent']) else 0
            comm = t['comm'].string(length=16).split('\0')[0]
            lines.append('%5d %5d %-4s %6d %s%s%s\n' % (int(t['pid']), ppid, stat, rss,
                                                       '[' if kthread else '', comm, ']' if kthread else ''))
        out(''.join(lines))


# --- zones ------------------------------------------------------------------------------------
def populated_zones():
    nodes = sym('node_data_storage')
    online = int(sym('node_states_memory'))
    nzones = enum_value('MAX_NR_ZONES')
    for nid in range(MAX_NUMNODES):
        if not online >> nid & 1:
            continue
        for z in range(nzones):
            zone = nodes[nid]['node_zones'][z]
            if int(zone['present_pages']):
                yield zone


class LxBuddyinfo(gdb.Command):
    """Free blocks per order in every populated zone, as /proc/buddyinfo (console: buddyinfo)."""

    def __init__(self):
        super().__init__('lx-buddyinfo', gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        lines = []
        for z in populated_zones():
            line = 'Node %d, zone %8s ' % (int(z['node']), cstr(z['name']))
            line += ''.join('%6d ' % int(z['free_area'][o]['nr_free']) for o in range(MAX_ORDER))
            lines.append(line + '\n')
        out(''.join(lines))


# --- slabinfo ---------------------------------------------------------------------------------
class LxSlabinfo(gdb.Command):
    """The slab caches as /proc/slabinfo 2.1 prints them (SLUB; console: slabinfo)."""

    def __init__(self):
        super().__init__('lx-slabinfo', gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        try:
            head = ev('SlabCommon<slub::Allocator>::caches')
        except gdb.error:
            raise gdb.GdbError('lx-slabinfo reads SLUB caches; this kernel is not SLAB=slub')
        lines = ['slabinfo - version: 2.1\n',
                 '# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab>'
                 ' : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n']
        for k in list_for_each_entry(head, 'kmem_cache', 'list'):
            s = k.cast(gdb.lookup_type('slub::cache').pointer())
            num_slabs = num_objs = nr_free = 0
            for nid in range(MAX_NUMNODES):
                n = s['node'][nid]
                num_slabs += int(n['nr_slabs'])
                num_objs += int(n['total_objects'])
                for pg in list_for_each_entry(n['partial'], 'page', 'slab_list'):
                    nr_free += int(pg['objects']) - int(pg['inuse'])
            lines.append('%-17s %6d %6d %6d %4d %4d : tunables %4d %4d %4d : slabdata %6d %6d %6d\n' % (
                cstr(k['name']), num_objs - nr_free, num_objs, int(k['size']), int(s['objects']),
                1 << int(s['order']), 0, 0, 0, num_slabs, num_slabs, 0))
        out(''.join(lines))


# --- page tables ------------------------------------------------------------------------------
def table_va(pa):
    """The virtual alias of a table page (arch/arm64/mmu.cpp): image tables at their image
    address, the rest in the linear map."""
    kv = int(sym('kimage_voffset'))
    lo, hi = int(ev('(unsigned long)&_text')) - kv, int(ev('(unsigned long)&_end')) - kv
    if lo <= pa < hi:
        return pa + kv
    return pa - int(sym('memstart_addr')) + int(sym('linear_map_base'))


class LxPgwalk(gdb.Command):
    """lx-pgwalk VA [PID]: walk the page tables for VA, TTBR1's (the kernel's, init_pg_dir) for a
    kernel address, the task's (mm->pgd, what TTBR0 holds while it runs) for a user one; one
    entry per level as Linux's show_pte prints them, then where the address goes."""

    def __init__(self):
        super().__init__('lx-pgwalk', gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        argv = gdb.string_to_argv(arg)
        if not 1 <= len(argv) <= 2:
            raise gdb.GdbError('usage: lx-pgwalk <hex VA> [pid]')
        va = int(argv[0], 16)
        lines = []
        if va < 1 << VA_BITS:
            if len(argv) < 2:
                raise gdb.GdbError('lx-pgwalk: a user address needs a pid')
            mm = find_task(int(argv[1]))['mm']
            if not int(mm):
                raise gdb.GdbError('lx-pgwalk: that task has no user address space')
            pgd_pa = int(mm['pgd']) - int(sym('linear_map_base')) + int(sym('memstart_addr'))
            which = 'user'
        else:
            pgd_pa = int(ev('(unsigned long)&init_pg_dir')) - int(sym('kimage_voffset'))
            which = 'swapper'
        lines.append('%s pgtable: 4k pages, %d-bit VAs, pgdp=%016x\n' % (which, VA_BITS, pgd_pa))
        names = ('pgd', 'pud', 'pmd', 'pte')
        table, parts, lvl = pgd_pa, [], 0
        while True:
            try:
                desc = read_u64(table_va(table) + ((va >> (39 - 9 * lvl)) & 511) * 8)
            except gdb.MemoryError:
                parts.append('(unreadable)')
                lvl = -1
                break
            parts.append('%s=%016x' % (names[lvl], desc))
            if lvl == 0:
                parts.append('p4d=%016x' % desc)
            if lvl == 3 or (desc & 3) != 3:
                break
            table = desc & PTE_ADDR_MASK
            lvl += 1
        lines.append('[%016x] %s\n' % (va, ', '.join(parts)))
        if lvl >= 0:
            mapped = desc & 1 and ((desc & 3) == 3 if lvl == 3 else (desc & 3) == 1)
            if mapped:
                bits = 12 + 9 * (3 - lvl)
                pa = (desc & PTE_ADDR_MASK & ~((1 << bits) - 1)) | (va & ((1 << bits) - 1))
                lines.append('maps to phys %#x (%s)\n' % (pa, {3: '4K page', 2: '2M block'}.get(lvl, '1G block')))
            else:
                lines.append('not mapped\n')
        out(''.join(lines))


# --- struct page ------------------------------------------------------------------------------
def pageflag_names():
    t = gdb.lookup_type('pageflags')
    names = {}
    for f in t.fields():
        if f.name.startswith('PG_'):
            names[f.enumval] = f.name[3:]
    return names


def pfn_migratetype(pfn):
    """mm/mmzone.h's pageblock_word: the section's usage->pageblock_flags bitmap."""
    roots = sym('mem_section_roots')
    ms_size = gdb.lookup_type('mem_section').sizeof
    per_root = 4096 // ms_size
    nr = pfn >> (SECTION_SIZE_BITS - PAGE_SHIFT)
    ms = roots[nr // per_root][nr % per_root]
    idx = ((pfn & ((1 << (SECTION_SIZE_BITS - PAGE_SHIFT)) - 1)) >> PAGEBLOCK_ORDER) * NR_PAGEBLOCK_BITS
    word = int(ms['usage']['pageblock_flags'][idx // 64])
    return (word >> (idx & 63)) & 7


class LxPage(gdb.Command):
    """lx-page PFN: the struct page of a frame as Linux's dump_page prints it (refcount,
    mapcount, mapping, index, the flags by name with node and zone), its page type, and the
    migratetype of its pageblock (console: pageinfo)."""

    def __init__(self):
        super().__init__('lx-page', gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        if not arg.strip():
            raise gdb.GdbError('usage: lx-page <hex pfn | linear-map address expression>')
        try:
            pfn = int(arg.strip(), 16)
        except ValueError:
            pfn = int(ev(arg))  # an expression, e.g. (unsigned long)some_kmalloc_pointer
        if pfn >= PAGE_OFFSET:  # a linear-map address: its frame
            pfn = (pfn - int(sym('linear_map_base')) + int(sym('memstart_addr'))) >> PAGE_SHIFT
        mem_map_ok = int(sym('mem_section_roots'))
        if not mem_map_ok:
            raise gdb.GdbError('lx-page: no memory map yet')
        page_t = gdb.lookup_type('page')
        p = (sym('vmemmap') + pfn).dereference()
        addr = int(sym('vmemmap')) + pfn * page_t.sizeof
        flags = int(p['flags'])
        page_type = int(p['page_type']) & 0xffffffff
        typed = (page_type if page_type < 1 << 31 else page_type - (1 << 32)) < PAGE_MAPCOUNT_RESERVE
        mapcount = 0 if typed else int(p['_mapcount']) + 1
        lines = ['page:%016x refcount:%d mapcount:%d mapping:%016x index:%#x pfn:%#x\n' % (
            addr, int(p['_refcount']), mapcount, int(p['mapping']), int(p['index']), pfn)]
        names = pageflag_names()
        nr = enum_value('__NR_PAGEFLAGS')
        set_names = ''.join('%s|' % names[i] for i in range(nr) if flags >> i & 1)
        zone = flags >> ZONES_PGOFF & 3
        lines.append('flags: %#x(%snode=%d|zone=%d)\n' % (flags, set_names, flags >> NODES_PGOFF & 3, zone))
        if typed:
            kind = next((n for bit, n in PG_TYPES if page_type & (PAGE_TYPE_BASE | bit) == PAGE_TYPE_BASE), 'guard')
            lines.append('page_type: %#x(%s)\n' % (page_type, kind))
        zone_names = sym('zone_names')
        mt_names = sym('migratetype_names')
        mt = pfn_migratetype(pfn)
        lines.append('zone: %s, pageblock migratetype: %s\n' % (cstr(zone_names[zone]),
                                                                 cstr(mt_names[mt]) if mt < 6 else '?'))
        out(''.join(lines))


# --- VMAs -------------------------------------------------------------------------------------
VM_READ, VM_WRITE, VM_EXEC, VM_SHARED, VM_MAYSHARE = 1, 2, 4, 8, 0x80  # mm/mm_struct.h


class LxVmas(gdb.Command):
    """lx-vmas PID: the VMAs of a task in /proc/PID/maps's first columns (range, perms, offset),
    anonymous heap and stack named as Linux names them, files by their dentry name."""

    def __init__(self):
        super().__init__('lx-vmas', gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        argv = gdb.string_to_argv(arg)
        if len(argv) != 1:
            raise gdb.GdbError('usage: lx-vmas <pid>')
        mm = find_task(int(argv[0]))['mm']
        if not int(mm):
            return  # a kernel thread: no VMAs, as /proc/PID/maps is empty
        # The leftmost node of mm_rb, then vm_next in address order.
        node = mm['mm_rb']['rb_node_']
        if not int(node):
            return
        while int(node['rb_left']):
            node = node['rb_left']
        v = container_of(node, 'vm_area_struct', 'vm_rb')
        lines = []
        while int(v):
            f = int(v['vm_flags'])
            perms = ('r' if f & VM_READ else '-') + ('w' if f & VM_WRITE else '-') + \
                    ('x' if f & VM_EXEC else '-') + ('s' if f & (VM_SHARED | VM_MAYSHARE) else 'p')
            off = int(v['vm_pgoff']) << 12 if int(v['vm_file']) else 0
            name = ''
            if int(v['vm_file']):
                try:
                    name = cstr(v['vm_file']['f_path']['dentry']['d_name']['name'])
                except gdb.error:
                    name = '(file)'
            elif int(v['vm_start']) <= int(mm['brk']) and int(v['vm_end']) >= int(mm['start_brk']):
                name = '[heap]'
            elif int(v['vm_start']) <= int(mm['start_stack']) <= int(v['vm_end']):
                name = '[stack]'
            lines.append('%08x-%08x %s %08x %s\n' % (int(v['vm_start']), int(v['vm_end']), perms, off, name))
            v = v['vm_next']
        out(''.join(lines))


for _cmd in (LxDmesg, LxPs, LxBuddyinfo, LxSlabinfo, LxPgwalk, LxPage, LxVmas):
    _cmd()
