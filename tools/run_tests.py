#!/usr/bin/env python3
"""Runs every test tier and ends with one line: `N passed, N failed`.

Tiers:
  host    the doctest suite (ASan+UBSan), one result per test case
  fuzz    a short libFuzzer run over the DT parser (when tests/fuzz provides fuzz-smoke)
  target  QEMU boots: KTAP self-tests (one result per case, plus one per boot for the
          boot-level checks: plan, exit status, no oops, no timeout) and scenario boots that
          expect a specific report (oops, stack overflow, injected failure, piped console)
  sdcard  the Pi SD card images, read back

Every QEMU run has a timeout and says so when it expires. Logs: build/test-logs/.
"""
import argparse
import os
import re
import shlex
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOGS = os.path.join(TOP, 'build', 'test-logs')
QEMU_TIMEOUT = int(os.environ.get('QEMU_TIMEOUT', '180'))

results = []  # (name, ok, detail)


def record(name, ok, detail=''):
    results.append((name, ok, detail))
    if not ok:
        print('FAIL: %s%s' % (name, (' -- ' + detail) if detail else ''), flush=True)


def make(*args, quiet=True):
    cmd = ['make', '--no-print-directory', '-j%d' % (os.cpu_count() or 2)] + list(args)
    r = subprocess.run(cmd, cwd=TOP, capture_output=True, text=True)
    if r.returncode != 0 or not quiet:
        sys.stdout.write(r.stdout[-4000:])
        sys.stdout.write(r.stderr[-4000:])
    return r


def qemu_cmd(board, **vars):
    args = ['-s', 'qemu-cmd', 'BOARD=' + board] + ['%s=%s' % kv for kv in vars.items()]
    r = make(*args)
    if r.returncode != 0:
        return None
    return shlex.split(r.stdout.strip())


def run_qemu(name, cmd, stdin_data=None, timeout=None):
    """Runs QEMU with a timeout (QEMU_TIMEOUT unless given: a guard against a hang, never a
    measure of speed); returns (exit status or None on timeout, output)."""
    timeout = timeout or QEMU_TIMEOUT
    os.makedirs(LOGS, exist_ok=True)
    log = os.path.join(LOGS, name.replace('/', '_') + '.log')
    start = time.time()
    try:
        r = subprocess.run(cmd, cwd=TOP, input=stdin_data if stdin_data is not None else '',
                           capture_output=True, text=True, errors='replace', timeout=timeout)
        status, out = r.returncode, r.stdout + r.stderr
    except subprocess.TimeoutExpired as e:
        out = (e.stdout.decode(errors='replace') if isinstance(e.stdout, bytes) else (e.stdout or ''))
        status = None
        out += '\n*** TIMEOUT: QEMU killed after %d s ***\n' % timeout
    with open(log, 'w') as f:
        f.write(' '.join(shlex.quote(c) for c in cmd) + '\n\n' + out)
    return status, out, time.time() - start


OOPS_PATTERNS = ('Internal error:', 'Kernel panic', 'Unable to handle kernel', 'Bad mode in',
                 'Insufficient stack space', 'UBSAN:', 'BUG: ', 'WARNING: CPU')


def strip_ts(line):
    return re.sub(r'^\[\s*\d+\.\d+\] ', '', line)


def parse_ktap(name, out):
    """Records one result per KTAP case; returns (ok, summary)."""
    lines = [strip_ts(l.rstrip('\r')) for l in out.splitlines()]
    if 'KTAP version 1' not in lines:
        record(name + ': KTAP output', False, 'no "KTAP version 1" header')
        return False
    ok_all = True
    top_plan = None
    suite = None
    suites_seen = 0
    cases_in_suite = 0
    suite_plan = None
    for l in lines:
        m = re.match(r'^1\.\.(\d+)$', l)
        if m and top_plan is None:
            top_plan = int(m.group(1))
            continue
        m = re.match(r'^    # Subtest: (\S+)', l)
        if m:
            suite, cases_in_suite, suite_plan = m.group(1), 0, None
            continue
        m = re.match(r'^    1\.\.(\d+)$', l)
        if m:
            suite_plan = int(m.group(1))
            continue
        m = re.match(r'^    (not ok|ok) \d+ (\S+)(.*)$', l)
        if m and suite:
            cases_in_suite += 1
            good = m.group(1) == 'ok'
            record('%s: %s.%s' % (name, suite, m.group(2)), good, m.group(3).strip())
            ok_all &= good
            continue
        m = re.match(r'^(not ok|ok) \d+ (\S+)', l)
        if m:
            suites_seen += 1
            if m.group(1) != 'ok':
                ok_all = False
                # A suite can fail without a failing case (ledger mismatch).
                record('%s: suite %s' % (name, m.group(2)), False, 'suite reported not ok')
            if suite_plan is not None and cases_in_suite != suite_plan:
                record('%s: suite %s plan' % (name, m.group(2)), False,
                       'planned %d cases, saw %d' % (suite_plan, cases_in_suite))
                ok_all = False
            suite = None
    if top_plan is None or suites_seen != top_plan:
        record(name + ': KTAP plan', False, 'planned %s suites, saw %d' % (top_plan, suites_seen))
        return False
    return ok_all


def ktest_boot(name, board, cmdline='', expect_status=0, **vars):
    cmd = qemu_cmd(board, **vars)
    if cmd is None:
        record(name, False, 'no QEMU command for board')
        return
    status, out, secs = run_qemu(name, cmd + ['-append', 'semihosting ktest=all ' + cmdline])
    cases_ok = parse_ktap(name, out)
    oops = [p for p in OOPS_PATTERNS if p in out]
    problems = []
    if status is None:
        problems.append('timeout after %d s' % QEMU_TIMEOUT)
    elif status != (0 if cases_ok else 1):
        problems.append('exit status %s does not match the KTAP result' % status)
    if oops:
        problems.append('oops text in log: %s' % ', '.join(oops))
    record(name + ': boot', not problems, '; '.join(problems))


# --- Linux 6.1's report shapes, line by line (arch/arm64/kernel/traps.c __die, process.c
# __show_regs, mm/fault.c die_kernel_fault/show_pte, lib/bug.c report_bug, kernel/panic.c __warn,
# lib/dump_stack.c dump_stack_print_info). A shape is a list of line patterns; (pattern, min, max)
# stands for a run of min..max lines. The user-fault shape is checked against Linux's own
# output instead (linux_user_fault below).
SYM = r'[\w.$]+\+0x[0-9a-f]+/0x[0-9a-f]+'
INFO_SHAPE = [r'^CPU: 0 PID: \d+ Comm: swapper/0 (Not tainted|Tainted: [A-Z ]{18}) \S+ #1$',
              r'^Hardware name: linux,dummy-virt \(DT\)$']
REGS_SHAPE = [r'^pstate: [0-9a-f]{8} \([nN][zZ][cC][vV] [dD][aA][iI][fF] [-+]PAN [-+]UAO [-+]TCO [-+]DIT '
              r'[-+]SSBS BTYPE=(--|jc|-c|j-)\)$',
              r'^pc : ' + SYM + '$', r'^lr : ' + SYM + '$', r'^sp : [0-9a-f]{16}$'] + [
    '^' + ' '.join('x%-2d: [0-9a-f]{16}' % r for r in range(top, top - 3, -1)) + '$' for top in range(29, 1, -3)]
TRACE_SHAPE = [r'^Call trace:$', (r'^ ' + SYM + '$', 1, 64)]
CODE_SHAPE = [r'^Code: ([0-9a-f]{8} ){4}\([0-9a-f]{8}\) $', r'^---\[ end trace 0000000000000000 \]---$']
OOPS_SHAPE = [r'^Unable to handle kernel NULL pointer dereference at virtual address 0000000000000000$',
              r'^Mem abort info:$', r'^  ESR = 0x[0-9a-f]{16}$', r'^  EC = 0x25: DABT \(current EL\), IL = 32 bits$',
              r'^  SET = \d, FnV = \d$', r'^  EA = \d, S1PTW = \d$', r'^  FSC = 0x0\d: level \d translation fault$',
              r'^Data abort info:$', r'^  ISV = 0, ISS = 0x[0-9a-f]{8}$', r'^  CM = 0, WnR = 1$',
              r'^\[0000000000000000\] user address but active_mm is swapper$',
              r'^Internal error: Oops: [0-9a-f]{16} \[#1\] SMP$', r'^Modules linked in:$'] + INFO_SHAPE + \
    REGS_SHAPE + TRACE_SHAPE + CODE_SHAPE + [r'^Kernel panic - not syncing: Oops: Fatal exception$']


def kernel_fault_shape(what, fsc, walk):
    """die_kernel_fault for a kernel address: the message, the decoded ESR, show_pte's two lines."""
    return [r'^Unable to handle kernel %s at virtual address [0-9a-f]{16}$' % what] + OOPS_SHAPE[1:6] + \
        [r'^  FSC = 0x[0-9a-f]{2}: %s$' % fsc] + OOPS_SHAPE[7:10] + \
        [r'^swapper pgtable: 4k pages, 48-bit VAs, pgdp=[0-9a-f]{16}$',
         r'^\[[0-9a-f]{16}\] pgd=(?P<p>[0-9a-f]{16}), p4d=(?P=p)' + walk + '$'] + OOPS_SHAPE[11:-1]


BUG_SHAPE = [r'^------------\[ cut here \]------------$', r'^kernel BUG at tests/target/crashtest\.cpp:\d+!$',
             r'^Internal error: Oops - BUG: 00000000f2000800 \[#1\] SMP$', r'^Modules linked in:$'] + INFO_SHAPE + \
    REGS_SHAPE + TRACE_SHAPE + [r'^Code: ([0-9a-f]{8} ){4}\(d4210000\) $'] + CODE_SHAPE[1:] + \
    [r'^Kernel panic - not syncing: Oops - BUG: Fatal exception$']
WARN_SHAPE = [r'^------------\[ cut here \]------------$',
              r'^WARNING: CPU: 0 PID: 0 at tests/target/crashtest\.cpp:\d+ run\+0x[0-9a-f]+/0x[0-9a-f]+$',
              r'^Modules linked in:$'] + INFO_SHAPE + REGS_SHAPE + TRACE_SHAPE + CODE_SHAPE[1:]


def shape_problem(lines, shape):
    """'' when a run of consecutive lines matches shape, else what differs first."""
    first = shape[0]
    starts = [i for i, l in enumerate(lines) if re.search(first, l)]
    if not starts:
        return 'no line matches /%s/' % first
    best = ''
    for start in starts:
        i, ok = start, True
        for item in shape:
            pat, lo, hi = (item, 1, 1) if isinstance(item, str) else item
            n = 0
            while n < hi and i < len(lines) and re.search(pat, lines[i]):
                i, n = i + 1, n + 1
            if n < lo:
                best = 'line %d %r does not match /%s/' % (i - start + 1, lines[i] if i < len(lines) else '<end>', pat)
                ok = False
                break
        if ok:
            return ''
    return best


def scenario(name, board, cmdline, expect_status, patterns, stdin_data=None, extra=None, forbid=(), shape=None,
             **vars):
    cmd = qemu_cmd(board, **vars)
    if cmd is None:
        record(name, False, 'no QEMU command for board')
        return
    cmd = cmd + (extra or []) + ['-append', 'semihosting ' + cmdline]
    status, out, secs = run_qemu(name, cmd, stdin_data)
    problems = []
    if status is None:
        problems.append('timeout')
    elif status != expect_status:
        problems.append('exit status %s, expected %s' % (status, expect_status))
    plain = '\n'.join(strip_ts(l) for l in out.splitlines())
    for p in patterns:
        if not re.search(p, plain, re.M):
            problems.append('missing /%s/' % p)
    for p in forbid:
        if re.search(p, plain, re.M):
            problems.append('unexpected /%s/' % p)
    if shape:
        why = shape_problem(plain.splitlines(), shape)
        if why:
            problems.append('not Linux\'s shape: ' + why)
    record(name, not problems, '; '.join(problems))


def console_session(name, board, cmdline, steps, patterns, expect_status=0, forbid=(), vars=None):
    """A conversation on the console: each step (regex, text) waits until the output printed
    since the previous step matches regex, then types text (or text(match) when callable; a
    (text, True) from it types text and waits for the same step again, to poll with a command).
    What is typed follows what the kernel printed, never a delay, so the outcome does not
    depend on the host's speed."""
    cmd = qemu_cmd(board, **(vars or {}))
    if cmd is None:
        record(name, False, 'no QEMU command for board')
        return
    console_session_cmd(name, cmd + ['-append', 'semihosting ' + cmdline], steps, patterns, expect_status, forbid)


def console_session_cmd(name, cmd, steps, patterns, expect_status=0, forbid=()):
    """console_session on a full QEMU command line (e.g. a Pi with the PL011 on stdio)."""
    import select
    os.makedirs(LOGS, exist_ok=True)
    p = subprocess.Popen(cmd, cwd=TOP, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out, mark, step, problems = '', 0, 0, []
    deadline = time.time() + QEMU_TIMEOUT
    fd = p.stdout.fileno()
    while True:
        m = step < len(steps) and re.search(steps[step][0], out[mark:].replace('\r', ''), re.M)
        if m:
            text, again = steps[step][1], False
            if callable(text):
                text = text(m)
                if isinstance(text, tuple):  # (text, True): type it and wait for the step again
                    text, again = text
            p.stdin.write(text.encode('latin-1'))
            p.stdin.flush()
            mark, step = len(out), step + (0 if again else 1)
            continue
        left = deadline - time.time()
        ready = select.select([fd], [], [], max(0, left))[0] if left > 0 else []
        if not ready:
            problems.append('timeout waiting for /%s/' % steps[step][0] if step < len(steps) else 'timeout')
            p.kill()
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        out += chunk.decode('latin-1')
    status = p.wait()
    with open(os.path.join(LOGS, name.replace('/', '_') + '.log'), 'w') as f:
        f.write(' '.join(shlex.quote(c) for c in cmd) + '\n\n' + out)
    if status != expect_status and not problems:
        problems.append('exit status %s, expected %s' % (status, expect_status))
    if step < len(steps) and not problems:
        problems.append('output ended before /%s/' % steps[step][0])
    plain = '\n'.join(strip_ts(l.rstrip('\r')) for l in out.splitlines())
    problems += ['missing /%s/' % x for x in patterns if not re.search(x, plain, re.M)]
    problems += ['unexpected /%s/' % x for x in forbid if re.search(x, plain, re.M)]
    record(name, not problems, '; '.join(problems))


def loader_boot(name, machine_opts, kernel_addr, dtb_addr, expect_el):
    """Boots the Image at a chosen physical address through a minimal loader stub, the way a
    boot loader other than QEMU's -kernel would (same Image, different load address)."""
    build = os.path.join(TOP, 'build', 'loader-test')
    os.makedirs(build, exist_ok=True)
    dtb = os.path.join(build, name.replace('/', '_') + '.dtb')
    stub = os.path.join(build, 'bootstrap-%x-%x' % (kernel_addr, dtb_addr))
    base = ['qemu-system-aarch64', '-M', 'virt' + machine_opts, '-cpu', 'cortex-a53', '-m', '1G',
            '-nic', 'none', '-display', 'none', '-monitor', 'none', '-no-reboot', '-serial', 'stdio',
            '-semihosting-config', 'enable=on,target=native']
    try:
        subprocess.run(base + ['-machine', 'dumpdtb=' + dtb], check=True, capture_output=True)
        subprocess.run(['fdtput', '-t', 's', dtb, '/chosen', 'bootargs',
                        'semihosting ktest=boot ktest.expect_boot_el=%d' % expect_el], check=True)
        subprocess.run(['clang', '--target=aarch64-none-elf', '-c', '-DDTB_ADDR=%#x' % dtb_addr,
                        '-DKERNEL_ADDR=%#x' % kernel_addr, 'tests/target/bootstrap.S', '-o', stub + '.o'],
                       cwd=TOP, check=True)
        subprocess.run(['ld.lld', '-Ttext=0x40100000', stub + '.o', '-o', stub + '.elf'], check=True)
        subprocess.run(['llvm-objcopy', '-O', 'binary', stub + '.elf', stub + '.bin'], check=True)
    except subprocess.CalledProcessError as e:
        record(name, False, 'could not prepare: %s' % e)
        return
    cmd = base + ['-device', 'loader,file=%s.bin,addr=0x40100000,cpu-num=0' % stub,
                  '-device', 'loader,file=%s,addr=%#x,force-raw=on' % (dtb, dtb_addr),
                  '-device', 'loader,file=build/qemu-virt/Image,addr=%#x,force-raw=on' % kernel_addr]
    status, out, secs = run_qemu(name, cmd)
    cases_ok = parse_ktap(name, out)
    where = 'image loaded at PA %#x' % kernel_addr
    problems = []
    if status != 0 or not cases_ok:
        problems.append('exit status %s' % status)
    if where not in out:
        problems.append('banner does not say "%s"' % where)
    record(name + ': boot', not problems, '; '.join(problems))


# --- memblock at boot: the arrays the DTB and command line imply, computed independently ---

def parse_size(text):
    m = re.match(r'^(\d+|0x[0-9a-fA-F]+)([KMG]?)$', text)
    v = int(m.group(1), 0)
    return v << {'': 0, 'K': 10, 'M': 20, 'G': 30}[m.group(2)]


def merge(ranges, key=lambda r: None):
    """Sorted, with overlapping/adjacent ranges merged when their keys match."""
    out = []
    for r in sorted(ranges):
        if out and r[0] <= out[-1][1] and key(r) == key(out[-1]):
            out[-1] = (out[-1][0], max(out[-1][1], r[1])) + tuple(out[-1][2:])
        else:
            out.append(tuple(r))
    return out


def subtract(ranges, hole_start, hole_end):
    out = []
    for r in ranges:
        s, e = r[0], r[1]
        if e <= hole_start or s >= hole_end:
            out.append(r)
            continue
        if s < hole_start:
            out.append((s, hole_start) + tuple(r[2:]))
        if e > hole_end:
            out.append((hole_end, e) + tuple(r[2:]))
    return out


def dtb_facts(dtb):
    dts = subprocess.run(['dtc', '-q', '-I', 'dtb', '-O', 'dts', os.path.join(TOP, dtb)], capture_output=True,
                         text=True).stdout
    mem = []
    for m in re.finditer(r'memory@[0-9a-f]+ \{(.*?)\};', dts, re.S):
        body = m.group(1)
        reg = [int(x, 16) for x in re.search(r'reg = <([^>]*)>', body).group(1).split()]
        nid = re.search(r'numa-node-id = <(0x[0-9a-f]+)>', body)
        for i in range(0, len(reg) - 3, 4):
            base, size = reg[i] << 32 | reg[i + 1], reg[i + 2] << 32 | reg[i + 3]
            mem.append((base, base + size, int(nid.group(1), 16) if nid else 0))
    initrd = None
    a = re.search(r'linux,initrd-start = <([^>]*)>', dts)
    b = re.search(r'linux,initrd-end = <([^>]*)>', dts)
    if a and b:
        val = lambda t: int(''.join('%08x' % int(x, 16) for x in t.split()), 16)
        initrd = (val(a.group(1)), val(b.group(1)))
    with open(dtb, 'rb') as f:
        totalsize = int.from_bytes(f.read(8)[4:8], 'big')
    return mem, initrd, totalsize


def memblock_boot(name, qemu_extra, cmdline, mem='1G', smp='1'):
    """Boots with memblock=debug and compares the MEMBLOCK dump with the arrays computed here
    from the DTB QEMU passes and the command line (Linux's rules, reimplemented)."""
    cmd = qemu_cmd('qemu-virt', MEM=mem, SMP=smp)
    if cmd is None:
        record(name, False, 'no QEMU command')
        return
    dtb = os.path.join(LOGS, name + '.dtb')
    base = [c for c in cmd]
    mi = base.index('virt') if 'virt' in base else None
    m_arg = base[base.index('-M') + 1]
    dump = base[:]
    dump[dump.index('-M') + 1] = m_arg + ',dumpdtb=' + dtb
    full_cmdline = 'semihosting memblock=debug ktest=boot ' + cmdline
    subprocess.run(dump + qemu_extra + ['-append', full_cmdline], capture_output=True)
    status, out, secs = run_qemu(name, base + qemu_extra + ['-append', full_cmdline])
    plain = [strip_ts(l.rstrip('\r')) for l in out.splitlines()]
    problems = []
    if status != 0:
        problems.append('exit status %s' % status)
    try:
        mem_dt, initrd, fdt_size = dtb_facts(dtb)
    except Exception as e:  # noqa: BLE001 - report, do not crash the runner
        record(name, False, 'cannot read the dumped DTB: %s' % e)
        return
    banner = re.search(r'image loaded at PA (0x[0-9a-f]+); DTB at PA (0x[0-9a-f]+)', out)
    with open(os.path.join(TOP, 'build', 'qemu-virt', 'Image'), 'rb') as f:
        image_size = int.from_bytes(f.read(24)[16:24], 'little')
    if not banner:
        record(name, False, 'no banner')
        return
    load_pa, dtb_pa = int(banner.group(1), 16), int(banner.group(2), 16)

    memory = [(s & ~0xfff, e & ~0xfff, n) for s, e, n in mem_dt]
    for m in re.finditer(r'memmap=(\S+)\$(\S+)', cmdline):
        size, start = parse_size(m.group(1)), parse_size(m.group(2))
        memory = subtract(memory, start, start + size)
    memory = merge(memory, key=lambda r: r[2])
    kernel = (load_pa, load_pa + image_size)
    m = re.search(r'mem=(\S+)', cmdline)
    if m:  # memblock_mem_limit_remove_map, then the kernel image added back (arm64)
        limit, kept, acc = parse_size(m.group(1)), [], 0
        for s, e, n in memory:
            take = min(e - s, max(0, limit - acc))
            if take:
                kept.append((s, s + take, n))
            acc += e - s
        memory = merge(kept + [(kernel[0], kernel[1], 0)], key=lambda r: r[2])
    reserved = [(dtb_pa, dtb_pa + fdt_size), kernel]
    if initrd:
        reserved.append((initrd[0] & ~0xfff, (initrd[1] + 0xfff) & ~0xfff))
    reserved = merge(reserved)

    got_mem = [(int(a, 16), int(b, 16) + 1, int(n)) for a, b, n in re.findall(
        r'^ memory\[0x[0-9a-f]+\]\t\[(0x[0-9a-f]+)-(0x[0-9a-f]+)\], 0x[0-9a-f]+ bytes on node (\d+) flags: 0x0$',
        '\n'.join(plain), re.M)]
    got_res = [(int(a, 16), int(b, 16) + 1) for a, b in re.findall(
        r'^ reserved\[0x[0-9a-f]+\]\t\[(0x[0-9a-f]+)-(0x[0-9a-f]+)\], 0x[0-9a-f]+ bytes( on node \d+)? flags: 0x0$',
        '\n'.join(plain), re.M) and [(x[0], x[1]) for x in re.findall(
        r'^ reserved\[0x[0-9a-f]+\]\t\[(0x[0-9a-f]+)-(0x[0-9a-f]+)\]', '\n'.join(plain), re.M)]]
    fmt = lambda rs: ', '.join('[%#x-%#x)%s' % (r[0], r[1], (' n%d' % r[2]) if len(r) > 2 else '') for r in rs)
    if got_mem != memory:
        problems.append('memory %s, expected %s' % (fmt(got_mem), fmt(memory)))
    if got_res != reserved:
        problems.append('reserved %s, expected %s' % (fmt(got_res), fmt(reserved)))
    record('memblock: ' + name, not problems, '; '.join(problems))


def memory_agreement(name, mem, board='qemu-virt', cmdline='', dtb=None, cma_k=0, patterns=()):
    """The boot log's Memory line, meminfo and buddyinfo agree with each other and with
    memblock (issue 4): total RAM = memblock memory size, available + cma-reserved = MemTotal
    (Linux prints the Memory line before the CMA areas join the buddy), MemFree = the sum of
    buddyinfo's free blocks, and CmaTotal = CmaFree = cma-reserved = cma_k at an idle boot."""
    cmd = qemu_cmd(board, **({'MEM': mem} if mem else {}))
    if cmd is None:
        record(name, False, 'no QEMU command for board')
        return
    if dtb:
        cmd[cmd.index('-dtb') + 1] = dtb
    status, out, secs = run_qemu(name, cmd + ['-append', ('semihosting memblock=debug ' + cmdline).strip()],
                                 'meminfo\nbuddyinfo\npoweroff\n')
    plain = '\n'.join(strip_ts(l.rstrip('\r')) for l in out.splitlines())
    problems = []
    m_mb = re.search(r'^ memory size = (0x[0-9a-f]+) reserved size', plain, re.M)
    m_line = re.search(r'^Memory: (\d+)K/(\d+)K available .* (\d+)K cma-reserved\)$', plain, re.M)
    m_total = re.search(r'^MemTotal:\s+(\d+) kB', plain, re.M)
    m_free = re.search(r'^MemFree:\s+(\d+) kB', plain, re.M)
    m_cma = re.search(r'^CmaTotal:\s+(\d+) kB', plain, re.M)
    m_cma_free = re.search(r'^CmaFree:\s+(\d+) kB', plain, re.M)
    buddy = re.findall(r'^Node \d+, zone\s+\S+((?:\s+\d+)+)\s*$', plain, re.M)
    if status != 0 or not (m_mb and m_line and m_total and m_free and m_cma and m_cma_free and buddy):
        record(name, False, 'missing output (exit %s)' % status)
        return
    memblock_k = int(m_mb.group(1), 16) >> 10
    avail_k, total_k, cma_line_k = int(m_line.group(1)), int(m_line.group(2)), int(m_line.group(3))
    buddy_k = sum(int(c) << o for row in buddy for o, c in enumerate(row.split())) * 4
    if total_k != memblock_k:
        problems.append('Memory line total %dK != memblock memory %dK' % (total_k, memblock_k))
    if avail_k + cma_line_k != int(m_total.group(1)):
        problems.append('Memory line available %dK + %dK cma-reserved != MemTotal %s kB' %
                        (avail_k, cma_line_k, m_total.group(1)))
    if buddy_k != int(m_free.group(1)):
        problems.append('buddyinfo sums to %d kB, MemFree is %s kB' % (buddy_k, m_free.group(1)))
    for what, v in (('cma-reserved', cma_line_k), ('CmaTotal', int(m_cma.group(1))),
                    ('CmaFree', int(m_cma_free.group(1)))):
        if v != cma_k:
            problems.append('%s %d kB, expected %d kB' % (what, v, cma_k))
    for p in patterns:
        if not re.search(p, plain, re.M):
            problems.append('missing /%s/' % p)
    record(name, not problems, '; '.join(problems))


# What make prints when it builds something (the quiet rules' tags, and commands with V=1).
BUILD_TAGS = re.compile(r'^\s*(CXX|AS|LD|OBJCOPY|CPIO|UCC|ULD|GLIBCC|DTC|HOSTCXX|HOSTLD|SDCARD)\s', re.M)


def build_checks():
    """The documentation checks of the build: every parameter documented, every target in
    make help."""
    print('== build and docs', flush=True)
    r = subprocess.run(['python3', 'tools/check_params.py', '--self-test'], cwd=TOP, capture_output=True, text=True)
    record('docs: check_params catches an undocumented and a stale parameter', r.returncode == 0,
           (r.stdout + r.stderr).strip())
    r = subprocess.run(['python3', 'tools/check_params.py'], cwd=TOP, capture_output=True, text=True)
    record('docs: docs/kernel-parameters.md lists every EARLY_PARAM/KERNEL_PARAM', r.returncode == 0,
           (r.stdout + r.stderr).strip())
    # Every .PHONY target of the make database appears in `make help` as "make <target>".
    db = subprocess.run(['make', '-pRrq', '-f', 'Makefile', 'help'], cwd=TOP, capture_output=True, text=True).stdout
    phony = set()
    for m in re.finditer(r'^\.PHONY: (.*)$', db, re.M):
        phony.update(m.group(1).split())
    help_text = make('help').stdout
    missing = sorted(t for t in phony - {'board-files', 'all'} if not re.search(r'make %s\b' % re.escape(t), help_text))
    record('build: make help names every target', bool(phony) and not missing,
           'missing: %s' % ' '.join(missing) if missing else ('' if phony else 'no .PHONY in make -p'))


def second_make_is_noop():
    """Right after a build, a plain `make` builds nothing and touches no file in build/."""
    def stamps():
        out = {}
        for root, _, files in os.walk(os.path.join(TOP, 'build')):
            if os.path.relpath(root, TOP).startswith(os.path.join('build', 'test-logs')):
                continue
            for f in files:
                p = os.path.join(root, f)
                out[p] = os.lstat(p).st_mtime_ns
        return out
    make()  # the default goal once, so that what follows compares two identical builds
    before = stamps()
    r = make()
    after = stamps()
    built = BUILD_TAGS.findall(r.stdout + r.stderr)
    changed = sorted(os.path.relpath(p, TOP) for p in after if before.get(p) != after[p])
    problems = []
    if r.returncode != 0:
        problems.append('exit %d' % r.returncode)
    if built:
        problems.append('it built: %s' % ', '.join(sorted(set(built))))
    if changed:
        problems.append('it changed: %s' % ', '.join(changed[:8]))
    record('build: a second make does nothing', not problems, '; '.join(problems))


# --- the same EL0 binaries on Debian's arm64 Linux 6.1 (tools/setup.sh fetches the Image with
# SETUP_BENCH=1; tools/bench.py boots it the same way) ---

LINUX_IMAGE = os.path.join(TOP, 'build', 'deps', 'linux-image', 'Image')
REPORT_LINES = 17  # the unhandled-exception line, CPU, Hardware name, pstate, pc, lr, sp, 10 x lines


def linux_boot(name, elf, append):
    """Boots Linux on QEMU virt with elf as /init (and /dev/console, so init has a console)."""
    import mkcpio  # tools/mkcpio.py, the tree's one cpio writer
    with open(elf, 'rb') as f:
        prog = f.read()
    initrd = os.path.join(LOGS, re.sub(r'\W+', '_', name) + '.cpio')
    mkcpio.write(initrd, mkcpio.archive({'/init': (0o755, prog)}, {'/dev/console': (0o600, 5, 1)}))
    cmd = ['qemu-system-aarch64', '-M', 'virt', '-cpu', 'cortex-a72', '-m', '1G', '-nic', 'none', '-display', 'none',
           '-serial', 'stdio', '-monitor', 'none', '-no-reboot', '-kernel', LINUX_IMAGE, '-initrd', initrd,
           '-append', 'console=ttyAMA0 rdinit=/init panic=-1 ' + append]
    return run_qemu(name, cmd)


# Dynamically linked glibc programs (user/glibc/dynamic/<name>.c) on Linux as /init, with the
# interpreter and libc.so.6 from the cross sysroot at Debian's paths, as in this kernel's
# initramfs (user/rules.mk).
LINUX_GLIBC_DYNAMIC_PROGRAMS = [('hello', r'^hello_dyn: ok$')]
GLIBC_SYSROOT_LIB = '/usr/aarch64-linux-gnu/lib'


def linux_boot_dynamic(name, elf):
    """linux_boot for a dynamically linked program: its interpreter and libc go in too."""
    import mkcpio
    files = {}
    for dest, src in (('/init', elf), ('/lib/ld-linux-aarch64.so.1', GLIBC_SYSROOT_LIB + '/ld-linux-aarch64.so.1'),
                      ('/lib/aarch64-linux-gnu/libc.so.6', GLIBC_SYSROOT_LIB + '/libc.so.6')):
        with open(src, 'rb') as f:
            files[dest] = (0o755, f.read())
    initrd = os.path.join(LOGS, re.sub(r'\W+', '_', name) + '.cpio')
    mkcpio.write(initrd, mkcpio.archive(files, {'/dev/console': (0o600, 5, 1)}))
    cmd = ['qemu-system-aarch64', '-M', 'virt', '-cpu', 'cortex-a72', '-m', '1G', '-nic', 'none', '-display', 'none',
           '-serial', 'stdio', '-monitor', 'none', '-no-reboot', '-kernel', LINUX_IMAGE, '-initrd', initrd,
           '-append', 'console=ttyAMA0 rdinit=/init panic=-1']
    return run_qemu(name, cmd)


def user_fault_report(out):
    """(comm, the report's lines) of the first "comm[pid]: unhandled exception:" in a log."""
    lines = [strip_ts(l.rstrip('\r')) for l in out.splitlines()]
    for i, l in enumerate(lines):
        m = re.match(r'^(\S+)\[\d+\]: unhandled exception: ', l)
        if m:
            return m.group(1), lines[i:i + REPORT_LINES]
    return None, []


def normalize_report(comm, lines):
    """What legitimately differs between the two kernels: the program's name (/init there),
    the release after "Not tainted", and user stack addresses (Linux randomizes the stack)."""
    out = []
    for l in lines:
        l = re.sub(r'\b%s\b' % re.escape(comm), '<comm>', l)
        l = re.sub(r'(Not tainted|Tainted: [A-Z ]{18}) \S+ #1\b.*$', r'\1 <release> #1', l)
        out.append(re.sub(r'\b0000ffff[0-9a-f]{8}\b', '<stack>', l))
    return out


# User KTAP programs (user/<name>.c) that also run on Debian's Linux as /init.
LINUX_USER_SUITES = ['ktest_proc', 'ktest_futex', 'ktest_tty', 'ktest_signal', 'ktest_fs', 'ktest_fmap', 'ktest_procfs',
                     'ktest_pipe']
# Static glibc programs (user/glibc/<name>.c) run on Linux as /init: (name, line that says ok).
LINUX_GLIBC_PROGRAMS = [('proc', r'^proc: ok$'), ('pthread_counter', r'^pthread_counter: ok$'),
                        ('signals', r'^signals: all passed$'), ('pipes', r'^pipes: ok$')]


def linux_tests():
    if not os.path.exists(LINUX_IMAGE):
        record('linux: Debian\'s Linux Image', False, 'missing %s (tools/setup.sh with SETUP_BENCH=1)'
               % os.path.relpath(LINUX_IMAGE, TOP))
        return
    if make('build/user/ktest_user.elf', 'build/user/null_deref.elf').returncode != 0:
        record('linux: build the user programs', False, 'make failed')
        return
    user = os.path.join(TOP, 'build', 'user')
    # The EL0 suite: every KTAP case must pass on Linux too, and init's exit status (the
    # number of failed suites) must be 0.
    status, out, secs = linux_boot('linux-el0-suite', os.path.join(user, 'ktest_user.elf'), '-- --linux')
    cases_ok = parse_ktap('linux', out)
    problems = []
    if status is None:
        problems.append('timeout after %d s' % QEMU_TIMEOUT)
    if 'Attempted to kill init! exitcode=0x00000000' not in out:
        problems.append('ktest_user did not exit 0 on Linux')
    record('linux: EL0 suite (ktest_user --linux) boot', cases_ok and not problems, '; '.join(problems))
    # The process, signal and thread suites: the same binary as /init on Linux; every case
    # must pass there too (a case that cannot, skips itself on --linux and says why).
    for prog in LINUX_USER_SUITES:
        if make('build/user/%s.elf' % prog).returncode != 0:
            record('linux: build %s' % prog, False, 'make failed')
            continue
        status, out, secs = linux_boot('linux-' + prog, os.path.join(user, prog + '.elf'), '-- --linux')
        cases_ok = parse_ktap('linux-' + prog, out)
        problems = []
        if status is None:
            problems.append('timeout after %d s' % QEMU_TIMEOUT)
        if 'Attempted to kill init! exitcode=0x00000000' not in out:
            problems.append('%s did not exit 0 on Linux' % prog)
        record('linux: %s --linux boot' % prog, cases_ok and not problems, '; '.join(problems))
    for prog, ok_line in LINUX_GLIBC_PROGRAMS:
        elf = os.path.join(user, 'glibc', prog + '.elf')
        if make(os.path.relpath(elf, TOP)).returncode != 0 or not os.path.exists(elf):
            record('linux: build glibc/%s' % prog, False, 'make failed (aarch64-linux-gnu-gcc missing?)')
            continue
        status, out, secs = linux_boot('linux-glibc-' + prog, elf, '')
        plain = '\n'.join(strip_ts(l) for l in out.splitlines())
        problems = []
        if not re.search(ok_line, plain, re.M):
            problems.append('no /%s/' % ok_line)
        if 'Attempted to kill init! exitcode=0x00000000' not in out:
            problems.append('glibc/%s did not exit 0 on Linux' % prog)
        record('linux: static glibc %s runs as on this kernel' % prog, not problems, '; '.join(problems))
    for prog, ok_line in LINUX_GLIBC_DYNAMIC_PROGRAMS:
        elf = os.path.join(user, 'glibc', 'dynamic', prog + '.elf')
        if make(os.path.relpath(elf, TOP)).returncode != 0 or not os.path.exists(elf):
            record('linux: build glibc/dynamic/%s' % prog, False, 'make failed (aarch64-linux-gnu-gcc missing?)')
            continue
        status, out, secs = linux_boot_dynamic('linux-glibc-dynamic-' + prog, elf)
        plain = '\n'.join(strip_ts(l) for l in out.splitlines())
        problems = []
        if not re.search(ok_line, plain, re.M):
            problems.append('no /%s/' % ok_line)
        if 'Attempted to kill init! exitcode=0x00000000' not in out:
            problems.append('glibc/dynamic/%s did not exit 0 on Linux' % prog)
        record('linux: dynamic glibc %s runs as on this kernel' % prog, not problems, '; '.join(problems))
    # The user-fault report: the same program killed on both kernels, compared line by line
    # with Linux's own output (arm64_show_signal + __show_regs; Linux prints it only with
    # debug.exception-trace=1, this kernel always).
    status, theirs, secs = linux_boot('linux-user-fault', os.path.join(user, 'null_deref.elf'),
                                      'sysctl.debug.exception-trace=1')
    cmd = qemu_cmd('qemu-virt')
    ours = run_qemu('virt-user-fault', cmd + ['-append', 'semihosting rdinit=/bin/null_deref'])[1]
    name = 'linux: the user-fault report matches Linux 6.1\'s line by line'
    (c1, a), (c2, b) = user_fault_report(theirs), user_fault_report(ours)
    if len(a) != REPORT_LINES or len(b) != REPORT_LINES:
        record(name, False, 'report not found (Linux: %d lines, this kernel: %d)' % (len(a), len(b)))
        return
    diff = [(x, y) for x, y in zip(normalize_report(c1, a), normalize_report(c2, b)) if x != y]
    record(name, not diff, diff and 'Linux %r, this kernel %r' % diff[0] or '')


def proc_names(text, sep):
    return [l.split(sep)[0] for l in text.splitlines() if l.strip()]


def zoneinfo_shape(text):
    """zoneinfo with numbers and zone names blanked: one shape per zone, populated or not."""
    blocks = re.split(r'^Node \d+, zone\s+\S+\n', text, flags=re.M)[1:]
    return [re.sub(r'\d+', 'N', b) for b in blocks]


def proc_formats(name):
    """The /proc-format console commands (issue 12 items 1, 4, 5): meminfo and vmstat print
    Linux 6.1's fields in its order (tests/linux-6.1, recorded from Debian's 6.1 kernel under
    QEMU virt), as plain console text (no timestamp, not in dmesg), parseable as procps's
    meminfo parser reads it ("Name: value kB", MemTotal as the Memory line's available);
    zoneinfo's per-zone blocks have Linux's shape for populated and empty zones; printk.time=0
    drops the timestamps of the log."""
    ref = os.path.join(TOP, 'tests', 'linux-6.1')
    want_mem = proc_names(open(os.path.join(ref, 'meminfo')).read(), ':')
    want_vm = proc_names(open(os.path.join(ref, 'vmstat')).read(), ' ')
    linux_zi = zoneinfo_shape(open(os.path.join(ref, 'zoneinfo')).read())
    cmd = qemu_cmd('qemu-virt')
    status, out, secs = run_qemu(name, cmd + ['-append', 'semihosting'],
                                 'meminfo\nvmstat\nzoneinfo\ndmesg\npoweroff\n')
    lines = [l.rstrip('\r') for l in out.splitlines()]
    problems = []

    def section(cmdname):
        try:
            i = lines.index('kernel> ' + cmdname)
        except ValueError:
            return None
        j = i + 1
        while j < len(lines) and not lines[j].startswith('kernel> '):
            j += 1
        return lines[i + 1:j]
    mem, vm, zi, dm = section('meminfo'), section('vmstat'), section('zoneinfo'), section('dmesg')
    if status != 0 or None in (mem, vm, zi, dm):
        record(name, False, 'missing output (exit %s)' % status)
        return
    for label, sec in (('meminfo', mem), ('vmstat', vm), ('zoneinfo', zi)):
        stamped = [l for l in sec if re.match(r'^\[\s*\d+\.\d+\] ', l)]
        if stamped:
            problems.append('%s has timestamps: %r' % (label, stamped[0]))
    if any('MemTotal:' in l or l.startswith('nr_free_pages ') or 'per-node stats' in l for l in dm):
        problems.append('/proc output is in dmesg')
    if proc_names('\n'.join(mem), ':') != want_mem:
        problems.append('meminfo fields differ from Linux 6.1: %s' % sorted(set(want_mem) ^ set(proc_names('\n'.join(mem), ':'))))
    if proc_names('\n'.join(vm), ' ') != want_vm:
        problems.append('vmstat fields differ from Linux 6.1: %s' % sorted(set(want_vm) ^ set(proc_names('\n'.join(vm), ' '))))
    # procps's meminfo parser: "Name:" then a number, optionally " kB"; every line must parse.
    values = {}
    for l in mem:
        m = re.match(r'^([A-Za-z0-9_()]+):\s+(\d+)( kB)?$', l)
        if not m:
            problems.append('meminfo line procps cannot parse: %r' % l)
            continue
        values[m.group(1)] = int(m.group(2))
    m_line = re.search(r'^Memory: (\d+)K/(\d+)K available', '\n'.join(strip_ts(l) for l in lines), re.M)
    if not m_line or values.get('MemTotal') != int(m_line.group(1)):
        problems.append('MemTotal %s kB is not the Memory line\'s available' % values.get('MemTotal'))
    if not (0 < values.get('MemFree', 0) <= values.get('MemTotal', 0)):
        problems.append('MemFree %s kB outside (0, MemTotal]' % values.get('MemFree'))
    if values.get('Slab', 0) != values.get('SReclaimable', -1) + values.get('SUnreclaim', -1) or values.get('Slab', 0) == 0:
        problems.append('Slab %s kB is not SReclaimable + SUnreclaim, or 0' % values.get('Slab'))
    # Linux's zones on this machine: DMA populated, the others empty; compare shapes by kind.
    ours = zoneinfo_shape('\n'.join(zi) + '\n')
    lin_pop = [b for b in linux_zi if 'per-node stats' in b or 'pagesets' in b]
    lin_empty = [b for b in linux_zi if 'pagesets' not in b]
    for b in ours:
        if 'pagesets' in b:
            want = lin_pop[0] if 'per-node stats' in b else lin_pop[0][lin_pop[0].index('  pages free'):]
        else:
            want = lin_empty[0]
        if b != want:
            problems.append('a zoneinfo block differs from Linux 6.1\'s shape')
            break
    status, out2, secs = run_qemu(name + ' printk.time=0', cmd + ['-append', 'semihosting printk.time=0'],
                                  'dmesg\npoweroff\n')
    stamped = [l for l in out2.splitlines() if re.match(r'^\[\s*\d+\.\d+\] ', l)]
    if status != 0 or stamped or 'Memory: ' not in out2:
        problems.append('printk.time=0: exit %s, %d timestamped lines' % (status, len(stamped)))
    record(name, not problems, '; '.join(problems))


def host_tests():
    r = make('host-test', quiet=True)
    out = r.stdout + r.stderr
    with open(os.path.join(LOGS, 'host.log'), 'w') as f:
        f.write(out)
    m = re.search(r'test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed', out)
    if not m:
        record('host: suite', False, 'no doctest summary (build failure or crash); see build/test-logs/host.log')
        return
    failed_names = []
    for block in out.split('=' * 79):
        tm = re.search(r'^TEST CASE:\s+(.*)$', block, re.M)
        if tm and re.search(r'ERROR|FATAL|CRASH', block):
            failed_names.append(tm.group(1).strip())
    passed, failed = int(m.group(2)), int(m.group(3))
    for i in range(passed):
        results.append(('host: case %d' % i, True, ''))
    for n in sorted(set(failed_names)) or ['(unnamed)'] * failed:
        record('host: ' + n, False)
    if r.returncode != 0 and failed == 0:
        record('host: suite exit status', False, 'exit %d' % r.returncode)


# --- Debian's busybox as PID 1 (tests/busybox/*.sh), on Linux 6.1 and on this kernel ---------
# The initramfs is tools/mkinitramfs.py's (busybox-static, its applet symlinks) with the
# scripts as /tests/*.sh; PID 1 is busybox's sh running /tests/run.sh, which prints each
# script's output between "=== BEGIN name" and "=== END name status N". Linux's output is
# recorded in tests/linux-6.1/busybox-tests.txt (busybox_record_linux() rewrites it).

BUSYBOX_TESTS = os.path.join(TOP, 'tests', 'busybox')
BUSYBOX_LINUX_RECORD = os.path.join(TOP, 'tests', 'linux-6.1', 'busybox-tests.txt')
BUSYBOX_APPEND = 'rdinit=/bin/sh -- /tests/run.sh'
# syscall numbers (asm-generic/unistd.h) busybox calls, for naming what this kernel lacks.
SYSCALL_NAMES = {17: 'getcwd', 19: 'eventfd2', 20: 'epoll_create1', 23: 'dup', 24: 'dup3', 25: 'fcntl',
                 29: 'ioctl', 34: 'mkdirat', 35: 'unlinkat', 36: 'symlinkat', 37: 'linkat', 38: 'renameat',
                 40: 'mount', 39: 'umount2', 43: 'statfs', 46: 'ftruncate', 48: 'faccessat', 49: 'chdir',
                 50: 'fchdir', 52: 'fchmod', 53: 'fchmodat', 54: 'fchownat', 56: 'openat', 57: 'close',
                 59: 'pipe2', 61: 'getdents64', 62: 'lseek', 63: 'read', 64: 'write', 65: 'readv',
                 66: 'writev', 67: 'pread64', 68: 'pwrite64', 71: 'sendfile', 72: 'pselect6', 73: 'ppoll',
                 78: 'readlinkat', 79: 'newfstatat', 80: 'fstat', 81: 'sync', 82: 'fsync', 88: 'utimensat',
                 142: 'reboot', 160: 'uname', 166: 'umask', 167: 'prctl', 179: 'sysinfo', 222: 'mmap',
                 226: 'mprotect', 233: 'madvise', 260: 'wait4', 261: 'prlimit64', 291: 'statx',
                 293: 'rseq', 439: 'faccessat2'}
# Missing and harmless: glibc probes rseq and carries on without it (as on Linux < 4.18).
SYSCALLS_OPTIONAL = {293}


def busybox_tests_initramfs():
    """build/test-logs/busybox-tests.cpio: busybox-static as tools/mkinitramfs.py builds it, with
    tests/busybox/*.sh as /tests/*.sh; None (and a failed result) when it cannot be built."""
    os.makedirs(LOGS, exist_ok=True)
    out = os.path.join(LOGS, 'busybox-tests.cpio')
    cmd = [sys.executable, os.path.join(TOP, 'tools', 'mkinitramfs.py'), '-o', out]
    for f in sorted(os.listdir(BUSYBOX_TESTS)):
        if f.endswith('.sh'):
            cmd += ['--file', '/tests/%s=%s:644' % (f, os.path.join(BUSYBOX_TESTS, f))]
    r = subprocess.run(cmd, cwd=TOP, capture_output=True, text=True)
    if r.returncode != 0:
        record('busybox: build the test initramfs (tools/mkinitramfs.py)', False,
               (r.stderr or r.stdout).strip()[-500:])
        return None
    return out


# The busybox runs (every script, sh -c 1000 times among them, under TCG) take minutes on
# Linux: their hang guard is wider, so that a loaded host only makes them slower.
BUSYBOX_TIMEOUT = 3 * QEMU_TIMEOUT


def linux_boot_initrd(name, initrd, append, timeout=None):
    """Boots Debian's Linux on QEMU virt with initrd as its initramfs (quiet: only what the
    programs print and the final panic)."""
    cmd = ['qemu-system-aarch64', '-M', 'virt', '-cpu', 'cortex-a72', '-m', '1G', '-nic', 'none', '-display', 'none',
           '-serial', 'stdio', '-monitor', 'none', '-no-reboot', '-kernel', LINUX_IMAGE, '-initrd', initrd,
           '-append', 'console=ttyAMA0 panic=-1 quiet ' + append]
    return run_qemu(name, cmd, timeout=timeout)


KERNEL_LINE = re.compile(r'^\[\s*\d+\.\d+\] ')


def busybox_sections(out):
    """{name: (output lines, exit status)} of run.sh's markers, and whether it got to its end.
    Kernel log lines (timestamped) are left out: they are not the scripts' output."""
    sections, cur, lines = {}, None, []
    done = False
    for l in out.splitlines():
        l = l.rstrip('\r')
        if KERNEL_LINE.match(l):
            continue
        m = re.match(r'^=== BEGIN (\S+)$', l)
        if m:
            cur, lines = m.group(1), []
            continue
        m = re.match(r'^=== END (\S+) status (\d+)$', l)
        if m and cur == m.group(1):
            sections[cur] = (lines, int(m.group(2)))
            cur = None
            continue
        if l == '=== busybox tests: done':
            done = True
        elif cur is not None:
            lines.append(l)
    return sections, done


def busybox_format(sections):
    text = ''
    for n in sorted(sections):
        lines, status = sections[n]
        text += '=== BEGIN %s\n%s=== END %s status %d\n' % (n, ''.join(l + '\n' for l in lines), n, status)
    return text


def busybox_record_linux():
    """Reruns the scripts on Linux and rewrites tests/linux-6.1/busybox-tests.txt."""
    initrd = busybox_tests_initramfs()
    status, out, secs = linux_boot_initrd('linux-busybox-tests', initrd, BUSYBOX_APPEND, timeout=BUSYBOX_TIMEOUT)
    sections, done = busybox_sections(out)
    if not done:
        raise SystemExit('Linux did not finish the busybox tests: see build/test-logs/linux-busybox-tests.log')
    with open(BUSYBOX_LINUX_RECORD, 'w') as f:
        f.write(busybox_format(sections))
    print('%s: %d sections (%.0f s)' % (os.path.relpath(BUSYBOX_LINUX_RECORD, TOP), len(sections), secs))


def busybox_missing_features(out):
    """What this kernel lacks that busybox needed, from its log: the syscalls it reported as not
    implemented (syscall.log_unknown), an init it could not execute. Empty: nothing named."""
    missing = []
    for m in re.finditer(r'\]\s+\S+\[\d+\]: syscall (\d+) not implemented', out):
        n = int(m.group(1))
        what = 'syscall %d (%s)' % (n, SYSCALL_NAMES.get(n, '?'))
        if n not in SYSCALLS_OPTIONAL and what not in missing:
            missing.append(what)
    m = re.search(r'Failed to execute (\S+) \(error (-?\d+)\)', out)
    if m:
        missing.append('exec of %s as init (error %s)' % (m.group(1), m.group(2)))
    return missing


def busybox_tests():
    """The busybox scripts on Linux (every script exits 0, and the output is the recorded one),
    then on this kernel, compared with Linux's script by script. While this kernel lacks a
    feature busybox needs and its log names it (an unimplemented syscall, init not executable),
    this kernel's half is skipped with that reason; anything else that differs is a failure."""
    if not os.path.exists(LINUX_IMAGE):
        record('busybox: Debian\'s Linux Image', False, 'missing %s (tools/setup.sh with SETUP_BENCH=1)'
               % os.path.relpath(LINUX_IMAGE, TOP))
        return
    initrd = busybox_tests_initramfs()
    if not initrd:
        return
    # This kernel unpacks its built-in archive (the test programs) and then the loader's, as
    # Linux does with CONFIG_INITRAMFS_SOURCE: Linux gets the same two archives concatenated,
    # so both kernels walk the same tree.
    both = os.path.join(LOGS, 'busybox-tests-with-builtin.cpio')
    with open(both, 'wb') as w:
        for part in (os.path.join(TOP, 'build', 'initramfs.cpio'), initrd):
            with open(part, 'rb') as r:
                data = r.read()
            w.write(data + b'\0' * (-len(data) % 4))
    status, out, secs = linux_boot_initrd('linux-busybox-tests', both, BUSYBOX_APPEND, timeout=BUSYBOX_TIMEOUT)
    linux, done = busybox_sections(out)
    problems = [] if done else ['run.sh did not finish%s' % (' (timeout)' if status is None else '')]
    problems += ['%s exited %d' % (n, st) for n, (l, st) in sorted(linux.items()) if st != 0]
    if 'Attempted to kill init! exitcode=0x00000000' not in out:
        problems.append('init did not exit 0')
    record('busybox: the scripts run as PID 1 on Linux 6.1', not problems, '; '.join(problems))
    with open(BUSYBOX_LINUX_RECORD) as f:
        recorded = f.read()
    # The recording is of the busybox archive alone: the scripts that count the whole tree
    # (find, ls_bin) see the built-in test programs too here and are compared live below.
    tree = ('find', 'ls_bin')
    rec, _ = busybox_sections(recorded.replace('=== END ', '=== END ') + '=== busybox tests: done\n')
    same = busybox_format({n: v for n, v in linux.items() if n not in tree}) == \
        busybox_format({n: v for n, v in rec.items() if n not in tree})
    record('busybox: Linux 6.1 prints the recorded tests/linux-6.1/busybox-tests.txt', same,
           '' if same else 'differs (build/test-logs/linux-busybox-tests.log); rerun busybox_record_linux() '
           'if the scripts changed')
    # The same scripts on every board (the Pis' console is their UART under QEMU raspi3b/4b).
    for board in BUSYBOX_BOARDS:
        busybox_on_board(board, initrd, linux)


BUSYBOX_BOARDS = ['qemu-virt', 'rpi3b', 'rpi4b']


def busybox_on_board(board, initrd, linux):
    """This kernel's half of busybox_tests() on one board: every script's output and status
    as Linux's, and init's exit 0 at the end."""
    tag = '' if board == 'qemu-virt' else ' on %s' % board
    # 'make qemu-cmd' only prints the command line: on a clean clone the Pi kernels are not
    # built yet when this runs (their own target section comes later).
    if make('kernel', 'BOARD=' + board).returncode != 0:
        record('busybox: build the kernel for %s' % board, False, 'build failed')
        return
    cmd = qemu_cmd(board, INITRD=initrd)
    if cmd is None:
        record('busybox: %s command line' % board, False, 'make qemu-cmd failed')
        return
    if '-append' in cmd:
        i = cmd.index('-append')
        cmd = cmd[:i] + cmd[i + 2:]
    # 'poweroff' for the console monitor, which runs when no init could be started (the
    # scripts' stdin is /dev/null: the typed-ahead line reaches none of them).
    status, out, secs = run_qemu('%s-busybox-tests' % board, cmd + ['-append', 'semihosting syscall.log_unknown ' + BUSYBOX_APPEND],
                                 'poweroff\n', timeout=BUSYBOX_TIMEOUT)
    ours, done = busybox_sections(out)
    missing = busybox_missing_features(out)
    for n in sorted(linux):
        name = 'busybox: %s as on Linux 6.1%s' % (n, tag)
        if n not in ours:
            record(name, False, 'no output%s' % ((' (the kernel lacks %s)' % ', '.join(missing)) if missing else ''))
            continue
        (a, sa), (b, sb) = linux[n], ours[n]
        diff = [(i + 1, x, y) for i, (x, y) in enumerate(zip(a, b)) if x != y]
        detail = ''
        if sa != sb:
            detail = 'exit status %d, Linux %d' % (sb, sa)
        elif diff:
            detail = 'line %d: %r, Linux %r' % (diff[0][0], diff[0][2], diff[0][1])
        elif len(a) != len(b):
            detail = '%d lines, Linux %d' % (len(b), len(a))
        if detail and missing:
            detail += ' (this kernel lacks %s)' % ', '.join(missing)
        record(name, not detail, detail)
    record('busybox: run.sh ends and init exits 0 on this kernel%s' % tag,
           done and 'Attempted to kill init! exitcode=0x00000000' in out and status == 0,
           'status %s%s' % (status, '' if done else ', run.sh did not finish'))
    # Issue 14's "sh -c in a loop 1000 times with the ledger exact at the end": the kernel's own
    # shell runs the script (`run` takes the memory ledger before and after the program and all
    # it started are reaped: free pages, live slab objects, tasks, vmalloc areas).
    scenario('busybox: sh -c 1000 times from the kernel shell, the ledger exact after%s' % tag, board, 'shell', 0,
             [r'^1000 runs of sh -c, 0 wrong exit statuses$', r'^processes before and after: 0 more$',
              r'^/bin/sh: exited with status 0 ', r'^run: ledger exact: \d+ slab objects, \d+ free pages, \d+ tasks$'],
             stdin_data='run /bin/sh /tests/sh_loop.sh\npoweroff\n', forbid=(r'^run: ledger .* changed',),
             INITRD=initrd)


# --- issue 18 items 0 and 5: Linux's console= habits, loglevels, crash output ------------------

def split_at_command(plain, command):
    """(what the console showed before `kernel> command`, the rest) of a log."""
    i = plain.find('kernel> ' + command + '\n')
    return (plain, '') if i < 0 else (plain[:i], plain[i:])


def loglevel_boot(name, cmdline, hidden, shown=()):
    """A boot with a console loglevel: each of `hidden` is absent from what the console showed
    before `dmesg` and present in dmesg's replay of the log; each of `shown` is on the console."""
    cmd = qemu_cmd('qemu-virt')
    if cmd is None:
        record(name, False, 'no QEMU command')
        return
    status, out, secs = run_qemu(name, cmd + ['-append', 'semihosting ' + cmdline], 'meminfo\ndmesg\npoweroff\n')
    plain = '\n'.join(strip_ts(l.rstrip('\r')) for l in out.splitlines()) + '\n'
    console, rest = split_at_command(plain, 'dmesg')
    problems = [] if status == 0 else ['exit status %s' % status]
    if not rest:
        problems.append('no dmesg output (the console shell did not run)')
    if not re.search(r'^MemTotal:\s+\d+ kB$', console, re.M):
        problems.append('meminfo did not print on the console')
    for p in hidden:
        if re.search(p, console, re.M):
            problems.append('/%s/ on the console' % p)
        if not re.search(p, rest, re.M):
            problems.append('/%s/ not in dmesg' % p)
    for p in shown:
        if not re.search(p, console, re.M):
            problems.append('/%s/ not on the console' % p)
    record(name, not problems, '; '.join(problems))


def console_tests_virt():
    """console=, earlycon and the loglevels on QEMU virt (issue 18 item 0)."""
    shell = [r'^kernel> meminfo$', r'^MemTotal:\s+\d+ kB$', r'reboot: Power down \(status 0\)']
    silent = [r'names no device', r'^console: no console device', r'No console: nothing more']
    scenario('virt: console=ttyAMA0,115200n8 is the PL011: boot log and shell', 'qemu-virt',
             'console=ttyAMA0,115200n8', 0,
             [r'\ABooting mmkernel on physical CPU', r'^ttyAMA0 at MMIO 0x9000000 \(clock \d+ Hz, 115200 baud\) is a pl011$',
              r'^printk: console \[ttyAMA0\] enabled$', r'^console \[ttyAMA0\]: receive by interrupt'] + shell,
             stdin_data='meminfo\npoweroff\n', forbid=silent)
    # Bare earlycon: the stdout-path device as Linux's boot console, then the same UART as
    # ttyAMA0 with Linux's lines (the boot console's name is Linux's "pl11").
    scenario('virt: bare earlycon takes the stdout-path UART, then ttyAMA0 replaces it', 'qemu-virt', 'earlycon', 0,
             [r'^earlycon: pl11 at MMIO 0x0000000009000000 \(options \'\'\)$', r'^printk: bootconsole \[pl11\] enabled$',
              r'^printk: console \[ttyAMA0\] enabled$', r'^printk: bootconsole \[pl11\] disabled$',
              r'^console \[ttyAMA0\]: receive by interrupt'] + shell,
             stdin_data='meminfo\npoweroff\n', forbid=silent + [r'^earlycon: .*(no|bad|unknown)'])
    scenario('virt: earlycon=pl011,0x9000000 (and mmio32, options) as Linux\'s', 'qemu-virt',
             'earlycon=pl011,mmio32,0x9000000,115200n8', 0,
             [r'^earlycon: pl11 at MMIO 0x0000000009000000 \(options \'115200n8\'\)$',
              r'^printk: bootconsole \[pl11\] enabled$', r'^ttyAMA0 at MMIO 0x9000000 \(clock \d+ Hz, 115200 baud\)',
              r'^printk: console \[ttyAMA0\] enabled$', r'^console \[ttyAMA0\]: receive by interrupt'] + shell,
             stdin_data='meminfo\npoweroff\n', forbid=silent)
    scenario('virt: earlycon=pl011,0x9000000', 'qemu-virt', 'earlycon=pl011,0x9000000', 0,
             [r'^earlycon: pl11 at MMIO 0x0000000009000000 \(options \'\'\)$',
              r'^printk: console \[ttyAMA0\] enabled$'] + shell, stdin_data='meminfo\npoweroff\n', forbid=silent)
    # A console= naming no device: reported on the DT's console, which stays on.
    scenario('virt: an unknown console= is reported on the DT console, which stays on', 'qemu-virt',
             'console=ttyXYZ9', 0,
             [r'^printk: console \[ttyAMA0\] enabled$',
              r'^console: console=ttyXYZ9 names no device .*; the console stays on ttyAMA0, from /chosen/stdout-path$'] + shell,
             stdin_data='meminfo\npoweroff\n')
    scenario('virt: console=tty1 (no VT here) is reported, the PL011 stays the console', 'qemu-virt',
             'console=tty1 console=ttyXYZ9', 0,
             [r'^console: console=tty1 names no device ', r'^console: console=ttyXYZ9 names no device '] + shell,
             stdin_data='meminfo\npoweroff\n')
    scenario('virt: a bad earlycon= is reported and the DT console stays on', 'qemu-virt', 'earlycon=foo,0x1234', 0,
             [r"^earlycon: unknown driver 'foo'", r'^printk: console \[ttyAMA0\] enabled$'] + shell,
             stdin_data='meminfo\npoweroff\n')
    # loglevel=, quiet, ignore_loglevel as Linux's: the console shows levels below the console
    # loglevel; the log (dmesg) has everything.
    info = r'^Machine model: linux,dummy-virt$'  # pr_info, level 6
    notice = r'^Kernel command line: '             # pr_notice, level 5
    loglevel_boot('virt: loglevel=4 hides info and notice lines from the console, dmesg has them',
                  'loglevel=4', [info, notice])
    loglevel_boot('virt: loglevel=6 shows notice lines, hides info lines', 'loglevel=6', [info], [notice])
    loglevel_boot('virt: quiet is console loglevel 4', 'quiet', [info, notice])
    loglevel_boot('virt: ignore_loglevel prints everything despite quiet', 'quiet ignore_loglevel', [], [info, notice])


def pi_serial_cmd(board, shell_uart):
    """The board's QEMU command with the PL011 (QEMU's first -serial) and the mini UART (the
    second) swapped as needed: shell_uart ('pl011' or 'mini') on stdio, the other one into a
    log file. (command, path of the other UART's log)."""
    cmd = qemu_cmd(board)
    if cmd is None:
        return None, None
    idx = [i for i, c in enumerate(cmd) if c == '-serial']
    other = os.path.join(LOGS, '%s-%s-other-uart.log' % (board, shell_uart))
    if os.path.exists(other):
        os.remove(other)
    first, second = ('mon:stdio', 'file:' + other) if shell_uart == 'pl011' else ('file:' + other, 'mon:stdio')
    cmd[idx[0] + 1], cmd[idx[1] + 1] = first, second
    return cmd, other


def pi_console_boot(name, board, cmdline, shell_uart, patterns, other_patterns=(), other_forbid=(), forbid=(),
                    stdin_data='meminfo\npoweroff\n', dtb=None):
    """A Pi boot with both UARTs captured: the console shell on shell_uart, the other UART's
    output checked too (dtb: another DTB than the board's)."""
    cmd, other = pi_serial_cmd(board, shell_uart)
    if cmd is None:
        record(name, False, 'no QEMU command for board')
        return
    if dtb:
        cmd[cmd.index('-dtb') + 1] = dtb
    status, out, secs = run_qemu(name, cmd + ['-append', ('semihosting ' + cmdline).strip()], stdin_data)
    plain = '\n'.join(strip_ts(l.rstrip('\r')) for l in out.splitlines())
    try:
        with open(other, errors='replace') as f:
            other_plain = '\n'.join(strip_ts(l.rstrip('\r')) for l in f.read().splitlines())
    except OSError:
        other_plain = ''
    problems = [] if status == 0 else ['exit status %s' % status]
    problems += ['missing /%s/' % p for p in patterns if not re.search(p, plain, re.M)]
    problems += ['unexpected /%s/' % p for p in forbid if re.search(p, plain, re.M)]
    problems += ['other UART: missing /%s/' % p for p in other_patterns if not re.search(p, other_plain, re.M)]
    problems += ['other UART: unexpected /%s/' % p for p in other_forbid if re.search(p, other_plain, re.M)]
    record(name, not problems, '; '.join(problems))


# Raspberry Pi OS's cmdline.txt (its console= words and root options as the image ships them).
RPI_OS_CMDLINE = 'console=serial0,115200 console=tty1 root=PARTUUID=xxxxxxxx-02 rootfstype=ext4 fsck.repair=yes rootwait'


def console_tests_pi(board):
    """console= on a Pi (issue 18 item 0). QEMU wires the PL011 (DT alias serial0, ttyAMA0) to
    its first -serial and the mini UART (serial1, ttyS0, the DT's stdout-path) to the second."""
    shell = [r'^kernel> meminfo$', r'^MemTotal:\s+\d+ kB$', r'reboot: Power down \(status 0\)']
    # Without the firmware, serial0 is resolved through the DT's /aliases: the PL011.
    pi_console_boot('%s: Raspberry Pi OS\'s cmdline.txt: serial0 is the PL011, tty1 is reported' % board, board,
                    RPI_OS_CMDLINE, 'pl011',
                    [r'^Booting mmkernel on physical CPU', r'^printk: console \[ttyAMA0\] enabled$',
                     r'^console: console=tty1 names no device .*; the console stays on ttyAMA0$',
                     r'^Kernel command line: semihosting console=serial0,115200 console=tty1 root='] + shell,
                    other_forbid=[r'\S'])
    # Linux's own DTBs have the same aliases (serial0 = the PL011).
    upstream = os.path.join(TOP, 'build', 'deps', 'linux-dtbs',
                            {'rpi3b': 'bcm2837-rpi-3-b.dtb', 'rpi4b': 'bcm2711-rpi-4-b.dtb'}[board])
    if os.path.exists(upstream):
        pi_console_boot('%s: Raspberry Pi OS\'s cmdline.txt with Linux\'s DTB' % board, board, RPI_OS_CMDLINE, 'pl011',
                        [r'^printk: console \[ttyAMA0\] enabled$', r'^console: console=tty1 names no device '] + shell,
                        other_forbid=[r'\S'], dtb=upstream)
    # With quiet, as Linux: no kernel lines on the console, the shell works, dmesg has the log.
    pi_console_boot('%s: Raspberry Pi OS\'s cmdline.txt with quiet: a quiet console and a working shell' % board,
                    board, RPI_OS_CMDLINE + ' quiet', 'pl011',
                    shell + [r'^kernel> dmesg\n(.*\n)*printk: console \[ttyAMA0\] enabled$'],
                    forbid=[r'\A(?:(?!kernel> dmesg).*\n)*printk: console'], other_forbid=[r'\S'],
                    stdin_data='meminfo\ndmesg\npoweroff\n')
    # The firmware rewrites serial0 to its primary UART, the mini UART on a Pi 3/4 with
    # Bluetooth: what the kernel then gets.
    pi_console_boot('%s: the firmware\'s rewrite (console=ttyS0,115200 console=tty1) is the mini UART' % board, board,
                    RPI_OS_CMDLINE.replace('serial0', 'ttyS0'), 'mini',
                    [r'^printk: console \[ttyS0\] enabled$',
                     r'^console: console=tty1 names no device .*; the console stays on ttyS0$'] + shell,
                    other_forbid=[r'\S'])
    # Several console=: every named UART prints the log; the last one is /dev/console (the shell).
    pi_console_boot('%s: console=ttyS0 console=ttyAMA0: both print, the last is the shell\'s' % board, board,
                    'console=ttyS0,115200 console=ttyAMA0,115200n8', 'pl011',
                    [r'^printk: console \[ttyS0\] enabled$', r'^printk: console \[ttyAMA0\] enabled$',
                     r'^console \[ttyAMA0\]: receive by interrupt'] + shell,
                    other_patterns=[r'^Booting mmkernel on physical CPU', r'^printk: console \[ttyAMA0\] enabled$',
                                    r'reboot: Power down \(status 0\)'],
                    other_forbid=[r'kernel>', r'MemTotal'])
    pi_console_boot('%s: console=ttyAMA0 console=serial1: the mini UART is the shell\'s' % board, board,
                    'console=ttyAMA0 console=serial1,115200n8', 'mini',
                    [r'^printk: console \[ttyS0\] enabled$', r'^console \[ttyS0\]: receive by interrupt'] + shell,
                    other_patterns=[r'^Booting mmkernel on physical CPU', r'reboot: Power down \(status 0\)'],
                    other_forbid=[r'kernel>', r'MemTotal'])
    # An unknown name only: the DT's console (stdout-path, the mini UART) stays on and says so.
    pi_console_boot('%s: only unknown console= names: the DT console reports them and stays on' % board, board,
                    'console=tty1 console=ttyXYZ9', 'mini',
                    [r'^printk: console \[ttyS0\] enabled$',
                     r'^console: console=ttyXYZ9 names no device .*; the console stays on ttyS0, from /chosen/stdout-path$'] + shell,
                    other_forbid=[r'\S'])
    scenario('%s: bare earlycon is the stdout-path mini UART (Linux\'s bcm2835aux0)' % board, board, 'earlycon', 0,
             [r'^earlycon: bcm2835aux0 at MMIO 0x00000000[0-9a-f]+ \(options \'115200n8\'\)$',
              r'^printk: console \[ttyS0\] enabled$', r'^printk: bootconsole \[bcm2835aux0\] disabled$'] + shell,
             stdin_data='meminfo\npoweroff\n')
    scenario('%s: panic=1 reboots through the PM watchdog' % board, board, 'crashtest=panic panic=1', 0,
             [r'^Kernel panic - not syncing: crashtest: deliberate panic$', r'^Rebooting in 1 seconds\.\.$',
              r'bcm2835-wdt: watchdog at 0x[0-9a-f]+: restart', r'reboot: Restarting system'],
             forbid=[r'end Kernel panic', r'Power down'])


# What every crash report adds after its call trace (kernel/panic.cpp crash_report_extras).
CRASH_EXTRAS = [r'^NMI backtrace for cpu 0: this CPU, the call trace above$',
                r'^Mem-Info \(/proc/meminfo summary\):$', r'^MemTotal:\s+\d+ kB$', r'^MemFree:\s+\d+ kB$',
                r'^Slab:\s+\d+ kB$', r'^buddyinfo \(/proc/buddyinfo\):$', r'^Node 0, zone\s+DMA(\s+\d+){11}\s*$',
                r'^VMAs of \S+\[\d+\]']
CRASH_REGS = [r'^pstate: [0-9a-f]{8} ', r'^pc : \S+\+0x', r'^lr : ', r'^sp : [0-9a-f]{16}$', r'^x29: [0-9a-f]{16} x28: ',
              r'^Call trace:$']


def crash_tests_virt():
    """Crash output, panic=, oops=panic, panic_on_warn on QEMU virt (issue 18 item 5)."""
    scenario('virt: a panic prints its registers, call trace, every CPU, meminfo, buddyinfo and the VMAs', 'qemu-virt',
             'crashtest=panic', 1,
             [r'^Kernel panic - not syncing: crashtest: deliberate panic\nCPU: 0 PID: 0 Comm: swapper/0 .*\n'
              r'Hardware name: linux,dummy-virt \(DT\)\npstate: [0-9a-f]{8} .*\npc : panic\+0x[0-9a-f]+/0x[0-9a-f]+\n'
              r'lr : run\+0x', r'^Call trace:$', r'^ panic\+0x',
              r'^VMAs of swapper/0\[0\]: none \(a kernel thread has no user address space\)$',
              r'^---\[ end Kernel panic - not syncing: crashtest: deliberate panic \]---$',
              r'reboot: Power down \(status 1\)'] + CRASH_REGS + CRASH_EXTRAS)
    scenario('virt: an oops prints registers, call trace, meminfo, buddyinfo and the VMAs, then panics', 'qemu-virt',
             'crashtest=null', 1,
             CRASH_REGS + CRASH_EXTRAS + [r'^pc : crashtest_null_deref\+0x',
                                          r'^Kernel panic - not syncing: Oops: Fatal exception$'])
    # quiet hid the boot log: the report replays the last lines the console did not show.
    scenario('virt: with quiet, a crash replays the log lines the console hid', 'qemu-virt', 'crashtest=null quiet', 1,
             [r'^---\[ last log lines \(the console showed levels below 4 only\) \]---\n(?:.*\n)*'
              r'Kernel command line: semihosting crashtest=null quiet\n(?:.*\n)*---\[ end of last log lines \]---$',
              r'^Kernel panic - not syncing: Oops: Fatal exception$'] + CRASH_EXTRAS)
    scenario('virt: without quiet no log lines are replayed', 'qemu-virt', 'crashtest=null', 1,
             [r'^Kernel panic - not syncing: Oops: Fatal exception$'], forbid=[r'last log lines'])
    # panic=N: reboot after N seconds (PSCI SYSTEM_RESET; -no-reboot makes QEMU exit 0);
    # negative: at once.
    scenario('virt: panic=1 reboots after a second', 'qemu-virt', 'crashtest=panic panic=1', 0,
             [r'^Kernel panic - not syncing: crashtest: deliberate panic$', r'^Rebooting in 1 seconds\.\.$',
              r'^reboot: Restarting system$'] + CRASH_EXTRAS, forbid=[r'end Kernel panic', r'Power down'])
    scenario('virt: panic=-1 reboots at once', 'qemu-virt', 'crashtest=null panic=-1', 0,
             [r'^Kernel panic - not syncing: Oops: Fatal exception$', r'^reboot: Restarting system$'],
             forbid=[r'Rebooting in', r'end Kernel panic', r'Power down'])
    scenario('virt: a malformed panic= is reported', 'qemu-virt', 'panic=soon ktest=boot', 0,
             [r"Malformed early option 'panic'", r'^# Totals: pass:\d+ fail:0'])
    # An oops in a kernel thread kills the thread (Linux's make_task_dead) and the shell goes
    # on; with oops=panic it panics.
    console_session('virt: an oops in a kernel thread kills it and the kernel carries on', 'qemu-virt', '',
                    [(r'^kernel> $', 'crash kthread\n'), (r'note: crashtest\[\d+\] exited', 'ps\n'),
                     # Polled: the thread is a zombie once it has run its exit.
                     (r'COMMAND\n(?s:.*)^kernel> $',
                      lambda m: 'meminfo\n' if re.search(r'^ +\d+ +1 Z\+? +0 \[crashtest\]$', m.group(0), re.M)
                      else ('ps\n', True)),
                     (r'^kernel> $', 'poweroff\n')],
                    [r'^Unable to handle kernel NULL pointer dereference', r'^CPU: 0 PID: \d+ Comm: crashtest ',
                     r'^Internal error: Oops: [0-9a-f]{16} \[#1\] SMP$', r'^---\[ end trace 0{16} \]---$',
                     r'^VMAs of crashtest\[\d+\]: none', r'^ +\d+ +1 Z\+? +0 \[crashtest\]$', r'^MemTotal:',
                     r'reboot: Power down \(status 0\)'] + CRASH_REGS + CRASH_EXTRAS,
                    forbid=[r'Kernel panic'])
    # The same in a thread with an address space: the report lists its VMAs as /proc's maps.
    console_session('virt: an oops in a thread with an address space lists its VMAs', 'qemu-virt', '',
                    [(r'^kernel> $', 'crash kthread_mm\n'), (r'note: crashtest\[\d+\] exited', 'poweroff\n')],
                    [r'crashtest: VMAs at 0x([0-9a-f]+) \(2 pages, rw-p\), 0x([0-9a-f]+) \(rw-s\), 0x([0-9a-f]+) \(r--p\)$',
                     r'^VMAs of crashtest\[\d+\]:\n[0-9a-f]{12}-[0-9a-f]{12} r--p 00000000 00:00 0 *\n'
                     r'[0-9a-f]{12}-[0-9a-f]{12} rw-s 00000000 [0-9a-f]{2}:[0-9a-f]{2} \d+ +\S+\n'
                     r'([0-9a-f]{12})-([0-9a-f]{12}) rw-p 00000000 00:00 0 *\n',
                     r'^Internal error: Oops: ', r'reboot: Power down \(status 0\)'] + CRASH_EXTRAS,
                    forbid=[r'Kernel panic', r'VMAs of crashtest\[\d+\]: none'])
    console_session('virt: oops=panic makes the same oops panic', 'qemu-virt', 'oops=panic',
                    [(r'^kernel> $', 'crash kthread\n')],
                    [r'^CPU: 0 PID: \d+ Comm: crashtest ', r'^Kernel panic - not syncing: Oops: Fatal exception$',
                     r'reboot: Power down \(status 1\)'] + CRASH_EXTRAS, expect_status=1,
                    forbid=[r'^note: crashtest'])
    # panic_on_warn: the WARN's report (registers), then the panic.
    scenario('virt: panic_on_warn=1 turns a WARN into a panic', 'qemu-virt', 'crashtest=warn panic_on_warn=1', 1,
             [r'^WARNING: CPU: 0 PID: 0 at tests/target/crashtest\.cpp:\d+ run\+0x', r'^pc : run\+0x',
              r'^Kernel panic - not syncing: panic_on_warn set \.\.\.$', r'reboot: Power down \(status 1\)'] + CRASH_EXTRAS,
             forbid=[r'^Type \'help\''])
    scenario('virt: panic_on_warn=0 keeps a WARN a warning', 'qemu-virt', 'crashtest=warn panic_on_warn=0', 0,
             [r'^WARNING: CPU: 0 PID: 0 at tests/target/crashtest\.cpp:\d+ run\+0x', r'^Type \'help\''],
             stdin_data='poweroff\n', forbid=[r'Kernel panic'])


# --- SMP bring-up (issue 15 item 1, arch/arm64/smp.cpp) ------------------------------------------

def smp_ktest_boot(name, board, cpus, cmdline='', **vars):
    """ktest=all with the secondary CPUs online and idle: Linux's bring-up lines (each
    "CPUn: Booted secondary processor <MPIDR> [<MIDR>]" and "smp: Brought up 1 node, N CPUs"),
    no CPU reported as failed, and the whole self-test suite passing beside them."""
    cmd = qemu_cmd(board, **vars)
    if cmd is None:
        record(name, False, 'no QEMU command for board')
        return
    status, out, secs = run_qemu(name, cmd + ['-append', 'semihosting ktest=all ' + cmdline])
    cases_ok = parse_ktap(name, out)
    plain = '\n'.join(strip_ts(l) for l in out.splitlines())
    problems = []
    if status is None:
        problems.append('timeout after %d s' % QEMU_TIMEOUT)
    elif status != 0 or not cases_ok:
        problems.append('self-tests failed (exit status %s)' % status)
    oops = [p for p in OOPS_PATTERNS if p in out]
    if oops:
        problems.append('oops text in log: %s' % ', '.join(oops))
    want = [r'^smp: Bringing up secondary CPUs \.\.\.$',
            r'^smp: Brought up 1 node, %d CPU%s$' % (cpus, '' if cpus == 1 else 's')]
    want += [r'^CPU%d: Booted secondary processor 0x%010x \[0x410fd0[0-9a-f]{2}\]$' % (c, c) for c in range(1, cpus)]
    problems += ['missing /%s/' % w for w in want if not re.search(w, plain, re.M)]
    booted = re.findall(r'^CPU\d+: Booted secondary processor', plain, re.M)
    if len(booted) != cpus - 1:
        problems.append('%d secondaries booted, expected %d' % (len(booted), cpus - 1))
    if re.search(r'failed to come online', plain):
        problems.append('a CPU failed to come online')
    record(name + ': smp boot + ktest=all', not problems, '; '.join(problems))


def smp_timer_ticks(name, board, cpus, **vars):
    """/proc/interrupts (the console's `interrupts`) has a CPUn column per online CPU, and
    every CPU's arch_timer count grows: the command is repeated until each column has moved
    past its first value (polling on the kernel's output, never on a delay)."""
    first = {}

    def check(m):
        counts = [int(x) for x in m.group(1).split()]
        if len(counts) != cpus:
            return 'poweroff 3\n'  # wrong number of columns: fail the run
        if not first:
            first['c'] = counts
            return ('interrupts\n', True)
        if all(b > a for a, b in zip(first['c'], counts)):
            return 'poweroff\n'
        return ('interrupts\n', True)

    header = r'^ +' + ' +'.join('CPU%d' % c for c in range(cpus)) + r' *\r?$'
    console_session(name, board, '', [
        (r'kernel> ', 'interrupts\n'),
        (r'^ *\d+: +((?:\d+ +){%d}) .*arch_timer' % cpus, check)],
        [header, r'^smp: Brought up 1 node, %d CPUs$' % cpus], vars=vars)


def smp_cpu_fails(name, board, patch, cpus_up, failed, **vars):
    """A CPU that never reports is given up after the bounded wait ("CPUn: failed to come
    online") and the others carry on: the board's DTB with `patch` (old, new) applied to its
    source, e.g. a cpu-release-addr no core watches, or a reg no PSCI CPU has."""
    cmd = qemu_cmd(board, **vars)
    if cmd is None:
        record(name, False, 'no QEMU command for board')
        return
    os.makedirs(LOGS, exist_ok=True)
    base = os.path.join(LOGS, name.replace('/', '_').replace(' ', '_').replace(':', ''))
    if '-dtb' in cmd:
        dtb = cmd[cmd.index('-dtb') + 1]
    else:  # virt: the DTB QEMU would generate for this command line
        dtb = base + '.orig.dtb'
        m = cmd.index('-M')
        dump = cmd[:m + 1] + [cmd[m + 1] + ',dumpdtb=' + dtb] + cmd[m + 2:]
        subprocess.run(dump, cwd=TOP, capture_output=True, timeout=QEMU_TIMEOUT)
    dts = subprocess.run(['dtc', '-q', '-I', 'dtb', '-O', 'dts', os.path.join(TOP, dtb)], capture_output=True,
                         text=True).stdout
    old, new = patch
    if dts.count(old) != 1:
        record(name, False, 'DTS does not contain %r exactly once' % old)
        return
    out_dtb = base + '.dtb'
    subprocess.run(['dtc', '-q', '-I', 'dts', '-O', 'dtb', '-o', out_dtb], input=dts.replace(old, new),
                   text=True, check=True)
    if '-dtb' in cmd:
        cmd[cmd.index('-dtb') + 1] = out_dtb
    else:
        cmd += ['-dtb', out_dtb]
    status, out, secs = run_qemu(name, cmd + ['-append', 'semihosting ktest=smp'], 'poweroff\n')
    plain = '\n'.join(strip_ts(l) for l in out.splitlines())
    want = [r'^CPU%d: failed to come online$' % failed, r'^smp: Brought up 1 node, %d CPUs$' % cpus_up,
            r'^ok \d+ smp$']
    problems = ['missing /%s/' % w for w in want if not re.search(w, plain, re.M)]
    if status != 0:
        problems.append('exit status %s' % status)
    oops = [p for p in OOPS_PATTERNS if p in out]
    if oops:
        problems.append('oops text in log: %s' % ', '.join(oops))
    record(name, not problems, '; '.join(problems))


def smp_tests(boards=('qemu-virt', 'rpi3b', 'rpi4b')):
    """Issue 15 item 1: every enable method and interrupt controller, on every board."""
    if 'qemu-virt' in boards:
        # PSCI CPU_ON through hvc (entered at EL1) and smc (virtualization=on: entered at EL2,
        # /psci method "smc"), with GICv2 and GICv3: each conduit and each GIC once (the
        # whole suite per boot; the other two pairings add time, not paths: the conduit and
        # the GIC's per-CPU setup do not depend on each other).
        smp_ktest_boot('smp-virt-gicv2-el1', 'qemu-virt', 4, 'ktest.expect_boot_el=1', SMP='4')
        smp_ktest_boot('smp-virt-gicv3-el2', 'qemu-virt', 4, 'ktest.expect_boot_el=2', SMP='4', CPU='cortex-a53',
                       VIRT_OPTS=',gic-version=3,virtualization=on')
        scenario('smp-virt: nosmp keeps the secondaries parked', 'qemu-virt', 'nosmp', 0,
                 [r'^smp: Brought up 1 node, 1 CPU$', r'^online: 1 of 4 possible$'],
                 stdin_data='cpus\npoweroff\n', forbid=[r'Booted secondary', r'failed to come online'], SMP='4')
        scenario('smp-virt: maxcpus=2 brings up one secondary', 'qemu-virt', 'maxcpus=2', 0,
                 [r'^CPU1: Booted secondary processor 0x0000000001 ', r'^smp: Brought up 1 node, 2 CPUs$',
                  r'^CPU1: MPIDR 0x0000000001 MIDR 0x410fd083 online, psci$',
                  r'^CPU2: MPIDR 0x0000000002 MIDR unknown offline, psci$',
                  r'^processor\t: 1$', r'^CPU part\t: 0xd08$', r'^BogoMIPS\t: 125\.00$'],
                 stdin_data='cpus\nproc cpuinfo\npoweroff\n',
                 forbid=[r'^CPU[23]: Booted', r'failed to come online', r'^processor\t: [23]$'], SMP='4')
        scenario('smp-virt: SMP=1 (the default) has one CPU', 'qemu-virt', '', 0,
                 [r'^smp: Brought up 1 node, 1 CPU$'], stdin_data='poweroff\n', forbid=[r'Booted secondary'])
        smp_timer_ticks('smp-virt: every CPU\'s timer ticks (GICv2)', 'qemu-virt', 4, SMP='4')
        smp_timer_ticks('smp-virt: every CPU\'s timer ticks (GICv3)', 'qemu-virt', 4, SMP='4',
                        VIRT_OPTS=',gic-version=3')
        # CPU_ON refused (no CPU has MPIDR 7): reported, the others come up.
        smp_cpu_fails('smp-virt: a CPU PSCI cannot start is reported', 'qemu-virt',
                      ('reg = <0x02>;', 'reg = <0x07>;'), 3, 2, SMP='4')
    for board in ('rpi3b', 'rpi4b'):
        if board not in boards:
            continue
        # Spin-table release from QEMU's own boot stub; the BCM2836 local controller on the
        # Pi 3, the GIC-400 on the Pi 4.
        smp_ktest_boot('smp-%s' % board, board, 4, 'ktest.expect_boot_el=2')
        scenario('smp-%s: maxcpus=2 and the cpus command' % board, board, 'maxcpus=2', 0,
                 [r'^smp: Brought up 1 node, 2 CPUs$', r'^CPU1: MPIDR 0x0000000001 MIDR 0x410fd0[0-9a-f]{2} online, spin-table$',
                  r'^CPU3: MPIDR 0x0000000003 MIDR unknown offline, spin-table$',
                  r'^processor\t: 1$'],
                 stdin_data='cpus\nproc cpuinfo\npoweroff\n', forbid=[r'failed to come online', r'^processor\t: [23]$'])
        smp_timer_ticks('smp-%s: every CPU\'s timer ticks' % board, board, 4)
        # CPU 2's release address is one no core watches: the wait ends, the rest come up.
        smp_cpu_fails('smp-%s: a CPU that never arrives is given up' % board, board,
                      ('cpu-release-addr = <0x00 0xe8>;', 'cpu-release-addr = <0x00 0x800>;'), 3, 2)


def run_all():
    ap = argparse.ArgumentParser()
    ap.add_argument('--target-only', action='store_true')
    ap.add_argument('--boards', default='qemu-virt,rpi3b,rpi4b',
                    help='comma-separated: qemu-virt, rpi3b, rpi4b (default: all three)')
    args = ap.parse_args()
    os.makedirs(LOGS, exist_ok=True)
    t0 = time.time()

    if not args.target_only:
        print('== layers', flush=True)
        r = make('check-layers', quiet=True)
        out = r.stdout + r.stderr
        record('layers: check-layers catches a violation of each rule', 'self-test: ok' in out,
               '' if 'self-test: ok' in out else out.strip())
        record('layers: the tree follows the one-way include layering', r.returncode == 0 and 'check-layers: ok' in out,
               '' if r.returncode == 0 else out.strip())
        build_checks()
        print('== host tests', flush=True)
        host_tests()
        if make('-n', 'fuzz-smoke').returncode == 0:
            print('== fuzz smoke', flush=True)
            r = make('fuzz-smoke')
            record('fuzz: dt memory parser smoke run', r.returncode == 0,
                   '' if r.returncode == 0 else 'see output above')

    print('== building the kernel', flush=True)
    r = make('kernel', 'BOARD=qemu-virt')
    if r.returncode != 0:
        record('build: kernel', False, 'build failed')
    else:
        second_make_is_noop()
        boards = args.boards.split(',') if args.target_only else ['qemu-virt', 'rpi3b', 'rpi4b']
        if 'qemu-virt' in boards:
            print('== target: qemu-virt', flush=True)
            ktest_boot('virt-a72-el1', 'qemu-virt', 'ktest.expect_boot_el=1', CPU='cortex-a72')
            ktest_boot('virt-a53-el2', 'qemu-virt', 'ktest.expect_boot_el=2', CPU='cortex-a53',
                       VIRT_OPTS=',virtualization=on')
            ktest_boot('virt-gicv3-el1', 'qemu-virt', 'ktest.expect_boot_el=1', CPU='cortex-a72',
                       VIRT_OPTS=',gic-version=3')
            ktest_boot('virt-gicv3-el2', 'qemu-virt', 'ktest.expect_boot_el=2', CPU='cortex-a53',
                       VIRT_OPTS=',gic-version=3,virtualization=on')
            smp_tests(('qemu-virt',))
            scenario('virt: failing test makes QEMU exit 1', 'qemu-virt', 'ktest=all ktest.inject_failure', 1,
                     [r'^    not ok 1 injected_failure$', r'^not ok \d+ ktest_self$',
                      r'^    Expected injected_three == 4, but$', r'^        injected_three == 3$'])
            scenario('virt: oops names the faulting function', 'qemu-virt', 'crashtest=null', 1,
                     [r'Unable to handle kernel NULL pointer dereference at virtual address 0000000000000000',
                      r'EC = 0x25: DABT \(current EL\)', r'FSC = 0x0\d: level \d translation fault',
                      r'WnR = 1', r'^pc : crashtest_null_deref\+0x', r'^Call trace:',
                      r'^ run\+0x', r'Kernel panic - not syncing: Oops: Fatal exception',
                      r'^CPU: 0 PID: 0 Comm: swapper/0 Tainted: G      D {11}\S+ #1$'], shape=OOPS_SHAPE)
            scenario('virt: oops for an unmapped kernel address walks the swapper tables', 'qemu-virt',
                     'crashtest=paging', 1, [r'^pc : crashtest_paging\+0x'],
                     shape=kernel_fault_shape('paging request', r'level [123] translation fault',
                                              r'(, pud=[0-9a-f]{16}(, pmd=[0-9a-f]{16})?)?'))
            scenario('virt: oops for a store to rodata says write to read-only memory', 'qemu-virt',
                     'crashtest=rodata', 1, [r'^pc : crashtest_rodata\+0x'],
                     shape=kernel_fault_shape('write to read-only memory', r'level 3 permission fault',
                                              r', pud=[0-9a-f]{16}, pmd=[0-9a-f]{16}, pte=[0-9a-f]{16}'))
            scenario('virt: BUG() reports as Linux\'s arm64 BUG', 'qemu-virt', 'crashtest=bug', 1,
                     [r'^pc : run\+0x'], shape=BUG_SHAPE)
            scenario('virt: WARN_ON() reports as Linux\'s __warn and continues', 'qemu-virt', 'crashtest=warn', 0,
                     [r'^pc : run\+0x', r'^Type \'help\''], stdin_data='poweroff\n', shape=WARN_SHAPE)
            scenario('virt: stack overflow is reported', 'qemu-virt', 'crashtest=stack', 1,
                     [r'Insufficient stack space to handle exception!', r'^Task stack:\s+\[0x',
                      r'^Overflow stack: \[0x', r'^pc : crashtest_recurse\+0x',
                      r'Kernel panic - not syncing: kernel stack overflow'])
            scenario('virt: sleeping in atomic context is reported and refused', 'qemu-virt', '', 0,
                     [r'^BUG: scheduling while atomic: init/1/0x00000001, IRQs on$', r'WARNING: CPU',
                      r'crashtest: schedule\(\) in atomic context refused, task still running',
                      r'reboot: Power down \(status 0\)'], stdin_data='crash sleep_atomic\npoweroff\n')
            # Random fault injection (10% of slab and page allocations, reclaiming ones included)
            # over the EL0 suites and hostile programs: programs may fail or die, the kernel
            # must not, and `run` must find every page back after each.
            progs = ['/init', '/bin/ktest_proc', '/bin/null_deref', '/bin/mprotect_ro', '/bin/efault_kptr',
                     '/bin/stack_overflow', '/bin/fpregs', '/bin/glibc/proc', '/bin/glibc/malloc_stress']
            scenario('virt: 10% random fault injection over the EL0 programs: no kernel fault, every page back',
                     'qemu-virt', '', 0, [r'^failslab: interval 1 probability 10 ', r'FAULT_INJECTION: forcing a failure',
                                          r'^kernel> fault_inject off', r'^page allocator check: 0 inconsistencies$',
                                          r'reboot: Power down \(status 0\)'],
                     stdin_data='fault_inject failslab 1,10,0,-1 ignore-gfp-wait=0\n'
                                'fault_inject fail_page_alloc 1,10,0,-1 ignore-gfp-wait=0 min-order=0\n' +
                                ''.join('run %s\n' % p for p in progs) + 'fault_inject off\ncheck\npoweroff\n',
                     forbid=(r'^run: ledger .* changed',) +
                     tuple(re.escape(p) for p in OOPS_PATTERNS))
            # A fork bomb in 128 MiB, each process writing 256 KiB: fork runs out of memory
            # (ENOMEM) or tasks (EAGAIN), faults that find no memory kill their task, and then
            # everything is reaped: the kernel stays up and `run` finds every page back.
            scenario('virt: a fork bomb bounded by memory leaves the kernel up and every page back', 'qemu-virt', '',
                     0, [r'fork_bomb: \d+ processes, then fork returned -1[12]: ok',
                         r'/bin/fork_bomb: exited with status 0', r'reboot: Power down \(status 0\)'],
                     stdin_data='run /bin/fork_bomb\npoweroff\n',
                     forbid=(r'^run: ledger .* changed',) + tuple(re.escape(p) for p in OOPS_PATTERNS), MEM='128M')
            scenario('virt: piped console input runs commands', 'qemu-virt', '', 0,
                     [r'^kernel> help$', r'^  dmesg\s+print the kernel log buffer',
                      r'reboot: Power down \(status 0\)'], stdin_data='help\npoweroff\n')
            # The console tty (kernel/tty.h): a program reads a line the line discipline edited
            # and echoed (the typeahead is processed by the read that takes it, after its prompt).
            scenario('virt: a program reads an edited line from the console tty', 'qemu-virt', '', 0,
                     [r'^kernel> run /bin/tty_line$', r'^tty_line: ready, pid \d+$', r'^helx\x08 \x08lo world$',
                      r"^tty_line: got 12 bytes: 'hello world'$", r'^/bin/tty_line: exited with status 0 ',
                      r'^kernel> kill 99999$', r'^kill: \(99999\) - No such process$',
                      r'^kill: FOO: invalid signal specification$', r'^    1     0 [RS]s\+ +0 \[init\]$',
                      r'reboot: Power down \(status 0\)'],
                     stdin_data='run /bin/tty_line\nhelx\x7flo world\nkill 99999\nkill 1 FOO\nps\npoweroff\n')
            # ^C and ^\\ typed while a program reads: SIGINT/SIGQUIT to the foreground process
            # group (the program's own), the shell's prompt back; ^C at the prompt: a new prompt.
            console_session('virt: ^C and ^\\ on the console kill the foreground program', 'qemu-virt', '',
                            [(r'^kernel> $', 'run /bin/tty_line\n'), (r'^tty_line: ready', '\x03'),
                             (r'^kernel> $', 'run /bin/tty_line\n'), (r'^tty_line: ready', '\x1c'),
                             (r'^kernel> $', 'abc\x03'), (r'^kernel> $', 'ps\n'), (r'^kernel> $', 'poweroff\n')],
                            [r'^\^C/bin/tty_line: killed by signal 2 ', r'^\^\\/bin/tty_line: killed by signal 3 ',
                             r'^kernel> abc\^C$', r'^    1     0 [RS]s\+ +0 \[init\]$', r'reboot: Power down \(status 0\)'],
                            # No user process left behind (kernel threads such as [oom_reaper] stay).
                            forbid=[r'tty_line: got', r'^run: ledger .* changed', r'^ +[2-9]\d* +\d+ +\S+ +\d+ +[^\[]'])
            # `kill PID [SIG]` on a process left running in the background (reparented to PID 1):
            # ps lists it, SIGTERM ends it, and ps (polled: it dies when it next runs) no more.
            console_session('virt: the console\'s kill signals a background process', 'qemu-virt', '',
                            [(r'^kernel> $', 'run /bin/tty_bg\n'),
                             # The child may print before or after the prompt comes back.
                             (r'tty_bg: child (\d+) spinning', lambda m: 'ps\nkill %s\n' % m.group(1)),
                             (r'^kernel> kill \d+\n(?s:.*)^kernel> $', 'ps\n'),
                             (r'COMMAND\n(?s:.*)^kernel> $',
                              lambda m: ('ps\n', True) if re.search(r'tty_bg$', m.group(0), re.M) else 'poweroff\n')],
                            [r'^ +(\d+) +1 [RS] +\d+ tty_bg$', r'^    1     0 Rs\+ +0 \[init\]\n(?: +\d+ +\d+ \S+ +\d+ \[[^\]]+\]\n)*kernel> poweroff$',
                             r'reboot: Power down \(status 0\)'],
                            forbid=[r'^kill: '])
            # Linux's first two lines, console name, /proc/interrupts and kernel_page_tables layouts
            # and W+X line (init/version.c, printk.c, kernel/irq/proc.c, arch/arm64/mm/ptdump.c).
            scenario('virt: banner first; console, interrupts and ptdump as Linux prints them', 'qemu-virt', '', 0,
                     [r'\ABooting mmkernel on physical CPU 0x0000000000 \[0x[0-9a-f]{8}\]\n'
                      r'mmkernel version 0\.1\.0-g[0-9a-f]+(-dirty)? \(\S+@\S+\) \(.*clang version [\d.]+, LLD [\d.]+\) '
                      r'#1 SMP PREEMPT \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d UTC \d{4}\n',
                      r'^printk: console \[ttyAMA0\] enabled$',
                      r'^ {11}CPU0 {7}$', r'^  1: {6,}\d+ {5}GIC-0  27 Level     arch_timer$',
                      r'^  2: {6,}\d+ {5}GIC-0  33 Level     uart-pl011$', r'^Err: {10}0$',
                      r'^---\[ Linear Mapping start \]---$',
                      r'^0xffff000000000000-0x[0-9a-f]{16} {3}[ \d]{8}\d[KMG] PMD       RW NX SHD AF        BLK UXN    MEM/NORMAL$',
                      r'^0x[0-9a-f]{16}-0x[0-9a-f]{16} {3}[ \d]{8}\d[KMG] PTE       ro x  SHD AF            UXN    MEM/NORMAL$',
                      r'^---\[ vmemmap end \]---$', r'^0x[0-9a-f]{16}-0x0000000000000000 {3}[ \d]{8}\d[KMGT] P4D$',
                      r'^Checked W\+X mappings: passed, no W\+X pages found$'],
                     stdin_data='interrupts\nptdump\npoweroff\n', forbid=[r'W\+X mappings: FAILED'])
            loader_boot('virt-el3-load-0x40600000', ',secure=on,virtualization=on', 0x40600000, 0x44000000, 3)
            scenario('virt: overflow of a vmalloc\'ed task stack is reported', 'qemu-virt', 'crashtest=vmap_stack', 1,
                     [r'crashtest: task crashtest-vmap on stack \[0x[0-9a-f]{16}\.\.0x[0-9a-f]{16}\]',
                      r'Insufficient stack space to handle exception!', r'^Task stack:\s+\[0x',
                      r"kernel stack overflow in task crashtest-vmap: SP [0-9a-f]+ is below its vmalloc'ed stack \[0x[0-9a-f]{16}\.\.0x[0-9a-f]{16}\]",
                      r'FAR [0-9a-f]+ is in the guard region', r'^pc : crashtest_recurse\+0x',
                      r'Kernel panic - not syncing: kernel stack overflow'])
            scenario('virt: stack protector catches a smashed frame', 'qemu-virt', 'crashtest=stackprot', 1,
                     [r'Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: crashtest_stackprot\+0x'])
            print('== target: UBSan kernel', flush=True)
            if make('kernel', 'UBSAN=1').returncode != 0:
                record('build: UBSAN=1 kernel', False, 'build failed')
            else:
                ktest_boot('virt-ubsan', 'qemu-virt', '', UBSAN='1')
                scenario('virt-ubsan: UBSan reports and continues', 'qemu-virt', 'crashtest=ubsan ktest=boot', 0,
                         [r'^UBSAN: shift-out-of-bounds in tests/target/crashtest.cpp:\d+:\d+$',
                          r'^shift exponent 40 is too large for 32-bit type .int.$',
                          r'^at crashtest_ubsan_shift\+0x', r'^# Totals: pass:\d+ fail:0'], UBSAN='1')
            print('== target: SLOB kernel', flush=True)
            if make('kernel', 'SLAB=slob').returncode != 0:
                record('build: SLAB=slob kernel', False, 'build failed')
            else:
                ktest_boot('virt-slob', 'qemu-virt', '', SLAB='slob')
            print('== target: memblock from the device tree', flush=True)
            initrd = os.path.join(LOGS, 'initrd.bin')
            with open(initrd, 'wb') as f:
                f.write(bytes(range(256)) * 1200)
            numa = ['-object', 'memory-backend-ram,id=m0,size=512M', '-object', 'memory-backend-ram,id=m1,size=512M',
                    '-numa', 'node,memdev=m0,cpus=0', '-numa', 'node,memdev=m1,cpus=1']
            memblock_boot('virt-128M', [], '', mem='128M')
            memblock_boot('virt-1G', [], '', mem='1G')
            memblock_boot('virt-4G', [], '', mem='4G')
            memblock_boot('virt-16G', [], '', mem='16G')
            memblock_boot('virt-numa', numa, '', mem='1G', smp='2')
            memblock_boot('virt-memmap-hole', [], 'memmap=64M$0x50000000 memmap=1M$0x7ff00000', mem='1G')
            memblock_boot('virt-mem-limit', [], 'mem=256M', mem='1G')
            memblock_boot('virt-initrd', ['-initrd', initrd], '', mem='1G')
            scenario('virt: memmap= removing all RAM panics clearly', 'qemu-virt', 'memmap=1G$0x40000000', 1,
                     [r'^OF: fdt: No memory left after memmap=/mem=$', r'Kernel panic - not syncing: '])
            scenario('virt: malformed mem= is reported and ignored', 'qemu-virt', 'mem=junk ktest=boot', 0,
                     [r"Malformed early option 'mem'", r'^# Totals: pass:\d+ fail:0'])
            print('== target: user programs', flush=True)
            scenario('virt: rdinit= runs init with the words after -- as arguments', 'qemu-virt',
                     'rdinit=/init -- --expect-argc=2', 0,
                     [r'^Run /init as init process$', r'^# Totals: pass:\d+ fail:0 ',
                      r'^Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000000$',
                      r'reboot: Power down \(status 0\)'])
            # PID 1 is the program itself, as on Linux: its end is the kernel's, with its status.
            scenario('virt: init killed by a signal powers off with 128 + the signal', 'qemu-virt',
                     'rdinit=/bin/null_deref', 139,
                     [r'^null_deref\[1\]: unhandled exception: ',
                      r'^Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b$',
                      r'reboot: Power down \(status 139\)'])
            scenario('virt: static glibc malloc stress runs unmodified', 'qemu-virt', '', 0,
                     [r'^malloc_stress: ok \d+ bytes checked', r'^/bin/glibc/malloc_stress: exited with status 0',
                      r'^Hello from static glibc|^/bin/glibc/hello: exited with status 0'],
                     stdin_data='run /bin/glibc/hello\nrun /bin/glibc/malloc_stress\npoweroff\n',
                     forbid=[r'^run: ledger .* changed', r'not implemented'])  # glibc's rseq probe: quiet, as Linux
            scenario('virt: syscall.log_unknown=1 logs an unimplemented syscall', 'qemu-virt', 'syscall.log_unknown=1', 0,
                     [r'^hello\[\d+\]: syscall 293 not implemented \(-ENOSYS\)$', r'^/bin/glibc/hello: exited with status 0'],
                     stdin_data='run /bin/glibc/hello\npoweroff\n')
            scenario('virt: an -initrd from the loader replaces the built-in initramfs', 'qemu-virt',
                     'rdinit=/bin/efault_kptr', 0,
                     [r'^Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000000$'],
                     extra=['-initrd', 'build/initramfs.cpio'])
            # Linux's choice of init (kernel/main.cpp): a loader archive's /init runs by default
            # (here the built-in archive passed as -initrd, whose /init is the EL0 suite); a
            # missing rdinit= is dropped quietly and the default list is tried; `shell` keeps
            # the console monitor.
            scenario('virt: a loader initramfs\'s /init is PID 1 without rdinit=', 'qemu-virt', '', 0,
                     [r'^Run /init as init process$', r'^# Totals: pass:\d+ fail:0 ',
                      r'^Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000000$'],
                     extra=['-initrd', 'build/initramfs.cpio'], forbid=[r'^Type \'help\''])
            scenario('virt: no init found falls back to the kernel shell', 'qemu-virt', 'rdinit=/no/such/init', 0,
                     [r'^No working init found\.  Try passing init= option to kernel\.', r'^Type \'help\'',
                      r'reboot: Power down \(status 0\)'],
                     stdin_data='poweroff\n', extra=['-initrd', 'build/initramfs.cpio'],
                     forbid=[r'^Run /init as init process$', r'Failed to execute'])
            scenario('virt: the shell parameter keeps the kernel shell as PID 1', 'qemu-virt', 'shell rdinit=/init', 0,
                     [r'^Kernel shell requested \(shell\): no init program started$', r'^kernel> ps$',
                      r'^\s+1\s.*\binit\b', r'reboot: Power down \(status 0\)'],
                     stdin_data='ps\npoweroff\n', extra=['-initrd', 'build/initramfs.cpio'],
                     forbid=[r'as init process$'])
            scenario('virt: a failing init= is reported and the kernel shell runs', 'qemu-virt', 'init=/bin', 0,
                     [r'^Requested init /bin failed \(error -13\)\.$', r'^Type \'help\''],
                     stdin_data='poweroff\n')
            print('== target: the same EL0 programs on Debian\'s Linux', flush=True)
            subprocess.run(['tools/setup.sh'], cwd=TOP, env=dict(os.environ, SETUP_BENCH='1'))
            linux_tests()
            print('== target: Debian\'s busybox as PID 1, on Linux and this kernel', flush=True)
            busybox_tests()
            print('== target: page allocator configurations', flush=True)
            memory_agreement('virt: Memory line, meminfo, buddyinfo and memblock agree (1G)', '1G')
            memory_agreement('virt: Memory line, meminfo, buddyinfo and memblock agree (4G)', '4G')
            # cma= as Linux's: a 32 MiB default area below the end of ZONE_DMA, in the buddy.
            memory_agreement('virt: cma=32M is a CMA area in the buddy; the figures agree', '1G',
                             cmdline='cma=32M', cma_k=32768,
                             patterns=[r'^cma: Reserved 32 MiB at 0x00000000[4-7][0-9a-f]{7}$'])
            memory_agreement('virt: cma=16M@0x60000000 is a fixed CMA area', '1G',
                             cmdline='cma=16M@0x60000000', cma_k=16384,
                             patterns=[r'^cma: Reserved 16 MiB at 0x0000000060000000$'])
            ktest_boot('virt-cma-32M', 'qemu-virt', 'cma=32M', MEM='1G')
            scenario('virt: a cma= this kernel cannot read is reported and changes nothing', 'qemu-virt',
                     'cma=64M,nomerge ktest=boot', 0,
                     [r'^cma: cma=64M,nomerge: expected nn\[KMG\]', r"Malformed early option 'cma'",
                      r' 0K cma-reserved\)$', r'^# Totals: pass:\d+ fail:0'])
            # Linux 6.1 arm64 zones: no DT DMA limit, so ZONE_DMA is the first 4 GiB.
            scenario('virt: zones as Linux 6.1 lays them out (4G)', 'qemu-virt', 'ktest=boot', 0,
                     [r'^  DMA      \[mem 0x0000000040000000-0x00000000ffffffff\]$', r'^  DMA32    empty$',
                      r'^  Normal   \[mem 0x0000000100000000-0x000000013fffffff\]$'], MEM='4G')
            proc_formats('virt: meminfo/vmstat/zoneinfo in Linux 6.1\'s fields and format, plain console text')
            sysrq_tests('qemu-virt')
            ktest_boot('virt-4G-memmap-hole', 'qemu-virt', 'memmap=256M$0x80000000', MEM='4G')
            ktest_boot('virt-debug-pagealloc', 'qemu-virt', 'debug_pagealloc=on', MEM='512M')
            # kstrtobool's other spelling: the allocator and the linear map read one parsed flag.
            ktest_boot('virt-debug-pagealloc-y', 'qemu-virt', 'debug_pagealloc=y', MEM='512M')
            ktest_boot('virt-page-poison', 'qemu-virt', 'page_poison=1', MEM='512M')
            ktest_boot('virt-no-grouping', 'qemu-virt', 'page_alloc.grouping=off', MEM='512M')
            loader_boot('virt-el2-load-0x40280000', ',virtualization=on', 0x40280000, 0x48000000, 2)
            print('== target: console= and loglevels, crash output (issue 18)', flush=True)
            console_tests_virt()
            crash_tests_virt()
            kgdb_tests()

        # The Raspberry Pis: the same kernel, the project's DTBs, the console on the mini UART
        # (QEMU's second -serial, see board/rpi3b/board.mk).
        pi_names = {'rpi3b': 'Raspberry Pi 3 Model B', 'rpi4b': 'Raspberry Pi 4 Model B'}
        # Linux's own DTBs (from Debian's linux-image-*-arm64-unsigned, see tools/setup.sh).
        upstream_dtbs = {'rpi3b': 'bcm2837-rpi-3-b.dtb', 'rpi4b': 'bcm2711-rpi-4-b.dtb'}

        def pi_ktest_boot(name, board, kernel=None, dtb=None, cmdline='', pl011_console=False):
            """ktest=all on a Pi with another kernel8.img and/or DTB than the board's, or with
            the PL011 (QEMU's first -serial) as the console."""
            cmd = qemu_cmd(board)
            if cmd is None:
                record(name + ': boot', False, 'no QEMU command for board')
                return
            if pl011_console:
                i = cmd.index('null')
                cmd[i], cmd[i + 2] = cmd[i + 2], cmd[i]
            if kernel:
                cmd[cmd.index('-kernel') + 1] = kernel
            if dtb:
                cmd[cmd.index('-dtb') + 1] = dtb
            status, out, secs = run_qemu(name, cmd + ['-append', (cmdline + ' semihosting ktest=all').strip()])
            cases_ok = parse_ktap(name, out)
            oops = [p for p in OOPS_PATTERNS if p in out]
            problems = []
            if status != 0 or not cases_ok:
                problems.append('exit status %s' % status)
            if oops:
                problems.append('oops text in log: %s' % ', '.join(oops))
            record(name + ': boot', not problems, '; '.join(problems))

        for board in ('rpi3b', 'rpi4b'):
            if board not in boards:
                continue
            print('== target: %s' % board, flush=True)
            if make('kernel', 'BOARD=' + board).returncode != 0:
                record('build: kernel BOARD=%s' % board, False, 'build failed')
                continue
            ktest_boot(board, board, 'ktest.expect_boot_el=2')
            sysrq_tests(board)  # on the PL011 (console=serial0): the mini UART sees no BREAK
            smp_tests((board,))
            scenario('%s: shell prompt and commands on the mini UART' % board, board, '', 0,
                     [r'^printk: console \[ttyS0\] enabled$', r'^kernel> interrupts$', r' arch_timer$', r'  ttyS0$',
                      r'^' + pi_names[board], r'^cma/linux,cma: \(default\)$', r'^  count:         16384$',
                      r'reboot: Power down \(status 0\)'],
                     stdin_data='interrupts\nboard\ncma\npoweroff\n')
            # The mini UART has no loopback: the runner types the character the test waits for.
            scenario('%s: console receive interrupt (typed input)' % board, board,
                     'ktest=serial ktest.console_rx=K', 0, [r'^    ok \d+ console_rx_interrupt_fires$'],
                     stdin_data='K')
            scenario('%s: reboot through the PM watchdog' % board, board, '', 0,
                     [r'bcm2835-wdt: watchdog at 0x[0-9a-f]+: restart', r'reboot: Restarting system'],
                     stdin_data='reboot\n')
            kgdb_pi_tests(board)
            # console=serial0: the PL011 as console, pins GPIO14/15 on ALT0, its RX interrupt
            # through ARMCTRL (Pi 3) or the GIC (Pi 4), tested by loopback.
            pi_ktest_boot('%s-pl011-console' % board, board, cmdline='console=serial0', pl011_console=True)
            console_tests_pi(board)
            upstream = os.path.join(TOP, 'build', 'deps', 'linux-dtbs', upstream_dtbs[board])
            # The DT's 64 MiB linux,cma pool is in the buddy (CmaTotal 65536 kB as on Linux).
            memory_agreement('%s: the linux,cma pool is in the buddy; the figures agree' % board, None,
                             board=board, cma_k=65536,
                             patterns=[r'^cma: Reserved memory: created CMA memory pool at 0x[0-9a-f]{16}, size 64 MiB$',
                                       # Linux 6.1: a 30-bit ZONE_DMA (dma-ranges) covers the 960 MiB.
                                       r'^  DMA      \[mem (0x)?0{16,18}-0x000000003bffffff\]$', r'^  DMA32    empty$'])
            memory_agreement('%s: cma=32M replaces the DT\'s default pool' % board, None, board=board,
                             cmdline='cma=32M', cma_k=32768,
                             patterns=[r'^cma: Reserved memory: bypass linux,cma node, using cmdline CMA params instead$',
                                       r'^OF: reserved mem: node linux,cma compatible matching fail$'])
            if os.path.exists(upstream):
                memory_agreement('%s: Linux\'s DTB: the linux,cma pool is in the buddy' % board, None,
                                 board=board, dtb=upstream, cma_k=65536)
                pi_ktest_boot('%s-linux-dtb' % board, board, dtb=upstream)
            else:  # tools/setup.sh extracts them; missing means the setup is broken
                record('%s: boot with Linux\'s DTB' % board, False, 'missing %s' % os.path.relpath(upstream, TOP))

            # The SD card: build, read back (tools/check_sdcard.py's KTAP), then boot exactly the
            # kernel8.img, DTB and cmdline.txt extracted from the image.
            r = make('sdcard', 'BOARD=' + board)
            ktap = os.path.join(TOP, 'build', board, 'sdcard-check.ktap')
            if r.returncode != 0 or not os.path.exists(ktap):
                record('%s: sdcard image' % board, False, 'make sdcard failed')
                continue
            with open(ktap) as f:
                for line in f:
                    m = re.match(r'^(not ok|ok) \d+ - (.*)$', line.strip())
                    if m:
                        record('%s: sdcard: %s' % (board, m.group(2)), m.group(1) == 'ok')
            files = os.path.join(TOP, 'build', board, 'sdcard-files')
            dtbs = sorted(f for f in os.listdir(files) if f.endswith('.dtb'))
            with open(os.path.join(files, 'kernel8.img'), 'rb') as a, \
                    open(os.path.join(TOP, 'build', board, 'kernel8.img'), 'rb') as b:
                record('%s: sdcard kernel8.img is the kernel just built' % board, a.read() == b.read())
            if len(dtbs) != 1:
                record('%s: sdcard boot' % board, False, 'not exactly one DTB on the card: %s' % dtbs)
                continue
            with open(os.path.join(files, 'cmdline.txt')) as f:
                cmdline = f.read().strip()
            pi_ktest_boot('%s-sdcard' % board, board, kernel=os.path.join(files, 'kernel8.img'),
                          dtb=os.path.join(files, dtbs[0]), cmdline=cmdline)

        # Two cards in one machine must not share a disk identifier (Linux's PARTUUID).
        imgs = [os.path.join(TOP, 'build', b, 'sdcard.img') for b in ('rpi3b', 'rpi4b')]
        if all(b in boards for b in ('rpi3b', 'rpi4b')) and all(os.path.exists(i) for i in imgs):
            ids = []
            for i in imgs:
                with open(i, 'rb') as f:
                    ids.append(f.read(512)[440:444].hex())
            record('sdcard: the rpi3b and rpi4b images have distinct disk identifiers', ids[0] != ids[1],
                   'both %s' % ids[0])

    summary_and_exit(t0)


def summary_and_exit(t0):
    passed = sum(1 for r in results if r[1])
    failed = len(results) - passed
    if failed:
        print('\nFailed tests:')
        for n, ok, d in results:
            if not ok:
                print('  %s%s' % (n, (' -- ' + d) if d else ''))
    print('(%.0f s; logs in build/test-logs/)' % (time.time() - t0))
    print('%d passed, %d failed' % (passed, failed))
    sys.exit(1 if failed else 0)


def main():
    # A defect of the runner itself (an exception in some section) is a failed test, and the
    # run still ends with its summary line.
    t0 = time.time()
    try:
        run_all()
    except Exception:
        import traceback
        traceback.print_exc()
        record('run_tests.py itself: an exception stopped the run', False,
               traceback.format_exc().strip().splitlines()[-1])
        summary_and_exit(t0)


# --- Magic SysRq (issue 18 item 3, kernel/sysrq.cpp, docs/sysrq.md) -----------------------------
# QEMU's stdio mux (-serial mon:stdio) turns Ctrl-A b into a BREAK on the console UART (the
# PL011's UARTDR.BE); the key follows. One BREAK per step: the model queues a BREAK even when
# its receive FIFO is full, so the next one is typed only once the last key was read (its
# output started).
SYSRQ_BREAK = '\x01b'
SYSRQ_HELP = (r'^sysrq: HELP : loglevel\(0-9\) reboot\(b\) crash\(c\) terminate-all-tasks\(e\) debug\(g\) kill-all-tasks\(i\) '
              r'show-backtrace-all-active-cpus\(l\) show-memory-usage\(m\) poweroff\(o\) show-registers\(p\) sync\(s\) '
              r'show-task-states\(t\) show-blocked-tasks\(w\) kernel-monitor\(x\) $')
SYSRQ_REGS = [r'^CPU: 0 PID: \d+ Comm: sysrq_spin Not tainted \S+ #1$', r'^Hardware name: .* \(DT\)$',
              r'^pstate: [0-9a-f]{8} \(.*\)$', r'^pc : \S+$', r'^lr : \S+$', r'^sp : [0-9a-f]{16}$',
              r'^x2 : [0-9a-f]{16} x1 : [0-9a-f]{16} x0 : [0-9a-f]{16}$']


def sysrq_cmd(board, cmdline):
    """The board's QEMU command with the PL011 on stdio (the Pis' console=serial0)."""
    cmd = qemu_cmd(board)
    if cmd is None:
        return None
    if board != 'qemu-virt':
        i = cmd.index('null')
        cmd[i], cmd[i + 2] = cmd[i + 2], cmd[i]
        cmdline = 'console=serial0 ' + cmdline
    return cmd + ['-append', 'semihosting ' + cmdline]


def sysrq_tests(board='qemu-virt'):
    """Magic SysRq: each key from a BREAK on the console while /bin/sysrq_spin spins at EL0 (its
    vfork parent asleep in D), the mask rules, /proc/sysrq-trigger and /proc/sys/kernel/sysrq
    from a user program, and the keys that end the machine (c, b, o) in boots of their own."""
    tag = {'qemu-virt': 'virt'}.get(board, board)
    spin = [(r'^kernel> $', 'run /bin/sysrq_spin\n'), (r'^sysrq_spin: child spinning$', SYSRQ_BREAK)]
    cmd = sysrq_cmd(board, 'sysrq_always_enabled')
    if cmd is None:
        record('%s: SysRq' % tag, False, 'no QEMU command for board')
        return
    # Every key in one boot. Each step waits for the start of the last key's output; the
    # handler runs to its end in the interrupt before the next BREAK is taken, so the log keeps
    # the keys' outputs in order, which the patterns below check.
    steps = spin[:1] + [(spin[1][0], SYSRQ_BREAK + 'h'),
                        (r'sysrq: HELP : ', SYSRQ_BREAK + 'p'),
                        (r'sysrq: Show Regs\n', SYSRQ_BREAK + 'w'),
                        (r'sysrq: Show Blocked State\n', SYSRQ_BREAK + 't'),
                        (r'sysrq: Show State\n', SYSRQ_BREAK + 'l'),
                        (r'sysrq: Show backtrace of all active CPUs\n', SYSRQ_BREAK + 'm'),
                        (r'sysrq: Show Memory\n', SYSRQ_BREAK + 's'),
                        (r'sysrq: Emergency Sync\n', SYSRQ_BREAK + '0'),
                        (r'sysrq: Loglevel set to 0\n', SYSRQ_BREAK + 'm'),
                        (r'sysrq: Show Memory\n', SYSRQ_BREAK + '7'),
                        (r'sysrq: Loglevel set to 7\n', SYSRQ_BREAK + 'x'),
                        (r'^mon> $', 'ps\n'), (r'^mon> $', 'run /init\n'), (r'^mon> $', 'go\n'),
                        (r'^Leaving the kernel monitor\n', SYSRQ_BREAK + 'e'),
                        (r'^kernel> $', 'run /bin/sysrq_spin\n'),
                        (r'^sysrq_spin: child spinning$', SYSRQ_BREAK + 'i'),
                        # The vfork child may still be dying when the shell is back: poll ps.
                        (r'^kernel> $', 'ps\n'),
                        (r'COMMAND\n(?s:.*)^kernel> $',
                         lambda m: ('ps\n', True) if 'sysrq_spin' in m.group(0) else 'poweroff\n')]
    task = r'task:%s +state:%s(?:  running task    )? stack:0 +pid:\d+ +ppid:\d+ +flags:0x[0-9a-f]{8}'
    patterns = [
        SYSRQ_HELP,
        r'^sysrq: Show Regs\n' + r'\n'.join(SYSRQ_REGS[:6]) + r'\n(x\d.*\n){9}' + SYSRQ_REGS[6],
        # w: exactly the vfork parent (D), with its kernel stack, and nothing else.
        r'^sysrq: Show Blocked State\n' + task % ('sysrq_spin', 'D') + r'\nCall trace:\n(?: \S+\n)*'
        r' wait_for_completion_killable\+0x[0-9a-f]+/0x[0-9a-f]+\n(?: \S+\n)*sysrq: Show State$',
        # t: every task (PID 1's shell waits for the program), each with a trace.
        r'^sysrq: Show State\n' + task % ('init', '[ISD]') + r'\nCall trace:\n(?: \S+\n)* cmd_run\+',
        r'^' + task % ('oom_reaper', 'I') + r'\nCall trace:\n',
        r'^' + task % ('sysrq_spin', 'D') + r'\nCall trace:\n',
        r'^' + task % ('sysrq_spin', '[RS]') + r'\nCall trace:\n',
        r'^sysrq: Show backtrace of all active CPUs\nsysrq: CPU0:\n' + r'\n'.join(SYSRQ_REGS[:2]),
        r'^sysrq: Show Memory\nMem-Info:\n', r'^Node 0 DMA free:\d+kB ', r'^Node 0 DMA: (\d+\*\d+kB (\([UMEHCI]+\) )?){11}= \d+kB$',
        r'^\d+ pages RAM\n0 pages HighMem/MovableOnly\n\d+ pages reserved\n\d+ pages cma reserved$',
        r'^sysrq: Emergency Sync\nEmergency Sync complete$',
        # 0: the header still shows (the loglevel is raised for it), show_mem's lines do not.
        r'^sysrq: Changing Loglevel\nsysrq: Loglevel set to 0\nsysrq: Show Memory\nsysrq: Changing Loglevel\n'
        r'sysrq: Loglevel set to 7$',
        r'^sysrq: Entering the kernel monitor\nKernel monitor on CPU0 \(current: sysrq_spin, pid \d+\); the machine is stopped\.$',
        r'^mon> ps\n  PID  PPID STAT    RSS COMMAND\n    1     0 \S+ +0 \[init\]\n(.*\n)*? +\d+ +\d+ D\S* +\d+ sysrq_spin$',
        r'^mon> run /init\nrun: not available in the monitor',
        r'^sysrq: Terminate All Tasks\n(.*\n)*?/bin/sysrq_spin: killed by signal 15 ',
        r'^sysrq: Kill All Tasks\n(.*\n)*?/bin/sysrq_spin: killed by signal 9 ',
        r'^kernel> ps\n  PID  PPID STAT    RSS COMMAND\n    1     0 \S+ +0 \[init\]\n    2     1 \S+ +0 \[oom_reaper\]\nkernel> poweroff$',
        r'reboot: Power down \(status 0\)']
    console_session_cmd('%s: SysRq: each key from a running user program that spins, with the expected output' % tag,
                  cmd, steps, patterns,
                  forbid=[r'Oops', r'WARNING', r'This sysrq operation is disabled'])

    # Linux's mask rules with Debian's default 438: the BREAK still arms SysRq, a key whose
    # group is off is refused, one whose group is on runs; /proc/sysrq-trigger ignores the mask;
    # kernel.sysrq=0 makes the key after a BREAK ordinary input (here: the 'h' of "help").
    cmd = sysrq_cmd(board, '')
    steps = [(r'^kernel> $', 'proc sys/kernel/sysrq\n'), (r'^438\n(?s:.*)^kernel> $', SYSRQ_BREAK + 'm'),
             (r'This sysrq operation is disabled\.\n', SYSRQ_BREAK + 's'),
             (r'Emergency Sync complete\n', 'run /bin/sysrq_spin -t m\n'),
             # The monitor from process context: the writer stops inside its write.
             (r'^kernel> $', 'run /bin/sysrq_spin -t x\n'), (r'^mon> $', 'go\n'),
             (r'^kernel> $', 'proc sys/kernel/sysrq 0\n'), (r'^kernel> $', 'proc sys/kernel/sysrq\n'),
             (r'^0\n(?s:.*)^kernel> $', SYSRQ_BREAK + 'help\n'),
             (r'^kernel> $', 'proc sys/kernel/sysrq 1\n'),
             (r'^kernel> $', SYSRQ_BREAK + 'm'), (r'pages cma reserved\n', 'poweroff\n')]
    ts = r'(?:\[[ \d.]+\] )?'  # a log line printed after the prompt keeps its timestamp
    patterns = [r'^kernel> ' + ts + r'sysrq: This sysrq operation is disabled\.$',
                r'^sysrq: Emergency Sync\nEmergency Sync complete$',
                r'^sysrq: Show Memory\nMem-Info:\n(.*\n)*?\d+ pages cma reserved\n(.*\n)*?sysrq_spin: wrote m to /proc/sysrq-trigger$',
                r'^sysrq: Entering the kernel monitor\nKernel monitor on CPU0 \(current: sysrq_spin, pid \d+\); '
                r'the machine is stopped\.\n.*\nmon> go\nLeaving the kernel monitor\nsysrq_spin: wrote x to /proc/sysrq-trigger$',
                r'^kernel> proc sys/kernel/sysrq\n0\nkernel> help\n(  \S+ +\S.*\n){5,}kernel> proc sys/kernel/sysrq 1$',
                r'^kernel> proc sys/kernel/sysrq 1\nkernel> ' + ts + r'sysrq: Show Memory\nMem-Info:$',
                r'reboot: Power down \(status 0\)']
    console_session_cmd('%s: SysRq: kernel.sysrq 438 refuses m and takes s; /proc/sysrq-trigger ignores the mask; 0 makes the key input' % tag,
                  cmd, steps, patterns, forbid=[r'sysrq: HELP', r'Oops'])

    # Linux's sysctl.<path>= on the command line: kernel.sysrq=8 is DUMP alone.
    steps = [(r'^kernel> $', 'proc sys/kernel/sysrq\n'), (r'^8\n(?s:.*)^kernel> $', SYSRQ_BREAK + 's'),
             (r'This sysrq operation is disabled\.\n', SYSRQ_BREAK + 'm'), (r'pages cma reserved\n', 'poweroff\n')]
    console_session_cmd('%s: SysRq: sysctl.kernel.sysrq=8 on the command line enables m and not s' % tag,
                  sysrq_cmd(board, 'sysctl.kernel.sysrq=8'), steps,
                  [r'^kernel> ' + ts + r'sysrq: This sysrq operation is disabled\.$', r'^sysrq: Show Memory\nMem-Info:$'],
                  forbid=[r'Emergency Sync', r'Unknown kernel command line'])

    # The keys that end the machine, each as the last key of its own boot.
    for key, what, expect, status in (
            ('c', 'crash: a NULL dereference oops', [r'^sysrq: Trigger a crash$',
              r'^Unable to handle kernel NULL pointer dereference at virtual address 0000000000000000$',
              r'^Internal error: Oops: [0-9a-f]{16} \[#1\] SMP$', r'^pc : \S*sysrq_handle_crash\+0x',
              r'^Call trace:\n \S*sysrq_handle_crash\+0x[0-9a-f]+/0x[0-9a-f]+\n(?: \S+\n)* \S*handle_irq_with_regs\+',
              r'^Kernel panic - not syncing: Oops: Fatal exception in interrupt$'], 1),
            ('b', 'reboot at once', [r'^sysrq: Resetting$'], 0),
            ('o', 'power off', [r'^sysrq: Power Off$', r'reboot: Power down \(status 0\)'], 0)):
        console_session_cmd('%s: SysRq-%s from a spinning program: %s' % (tag, key, what), sysrq_cmd(board, 'sysrq_always_enabled'),
                      spin[:1] + [(spin[1][0], SYSRQ_BREAK + key)], expect, expect_status=status,
                      forbid=[r'^kernel> (?!run)'])



# --- the kernel's GDB stub (kernel/debug/, issue 18) -------------------------------------------

class Stream:
    """Bytes from a file descriptor, read as they come; wait(regex) returns the match in what
    arrived since the last mark (or None at the deadline or end of stream). No delays: every
    step waits for what the kernel printed."""

    def __init__(self, fd, deadline):
        self.fd, self.deadline, self.buf, self.mark = fd, deadline, b'', 0

    def wait(self, pattern, flags=0):
        import select
        rx = re.compile(pattern, flags) if isinstance(pattern, bytes) else re.compile(pattern.encode('latin-1'), flags)
        while True:
            m = rx.search(self.buf, self.mark)
            if m:
                self.mark = m.end()
                return m
            left = self.deadline - time.time()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                return None
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                chunk = b''
            if not chunk:
                return None
            self.buf += chunk


def rsp_packet(data):
    body = data.encode('latin-1') if isinstance(data, str) else data
    return b'$' + body + b'#%02x' % (sum(body) & 0xff)


def kgdb_gdb_session(name, board='qemu-virt', tty='ttyAMA1'):
    """gdb-multiarch on the kernel's second UART (kgdboc=ttyAMA1 kgdbwait): break, continue, bt,
    info registers, x/16gx on a linear-map page, step, a watchpoint on a write, info threads,
    detach; then the self-tests run to the end and pass."""
    import tempfile
    cmd = qemu_cmd(board)
    if cmd is None:
        record(name, False, 'no QEMU command for board')
        return
    tmp = tempfile.mkdtemp(prefix='kgdb-')
    sock = os.path.join(tmp, 'kgdb.sock')
    # virt: a second PL011 (QEMU's second -serial, ttyAMA1); the Pis: the PL011 (QEMU's first
    # -serial, null otherwise) beside the mini UART console.
    chardev = ['-chardev', 'socket,id=kgdb,path=%s,server=on,wait=off' % sock]
    if 'null' in cmd:
        cmd = [c if c != 'null' else 'chardev:kgdb' for c in cmd] + chardev
    else:
        cmd = cmd + chardev + ['-serial', 'chardev:kgdb']
    cmd += ['-append', 'semihosting kgdboc=%s kgdbwait ktest=all' % tty]
    script = os.path.join(tmp, 'session.gdb')
    with open(script, 'w') as f:
        f.write('\n'.join([
            'set pagination off', 'set confirm off', 'set remotetimeout %d' % QEMU_TIMEOUT,
            'target remote | %s %s' % (os.path.join(TOP, 'tools', 'gdb', 'unix_pipe.py'), sock),
            'break kgdb_test_target', 'continue', 'bt', 'info registers', 'x/16gx kgdb_test_page', 'step',
            'watch kgdb_test_watch', 'continue', 'info threads', 'delete',
            # The make debug helpers work over the kernel's stub too.
            'source %s' % os.path.join(TOP, 'tools', 'gdb', 'mmkernel.py'), 'lx-ps', 'lx-buddyinfo',
            'lx-pgwalk ffff800008000000', 'lx-page (unsigned long)kgdb_test_page', 'lx-dmesg', 'detach', '']))
    os.makedirs(LOGS, exist_ok=True)
    p = subprocess.Popen(cmd, cwd=TOP, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    con = Stream(p.stdout.fileno(), time.time() + QEMU_TIMEOUT)
    problems, gdb_out = [], ''
    if not con.wait(r'KGDB: Waiting for connection from remote gdb on ' + tty):
        problems.append('the kernel did not wait for gdb (kgdbwait)')
    else:
        try:
            g = subprocess.run(['gdb-multiarch', '-nx', '-batch', '-x', script,
                                os.path.join(TOP, 'build', board, 'kernel.elf')],
                               cwd=TOP, capture_output=True, text=True, timeout=QEMU_TIMEOUT)
            gdb_out = g.stdout + g.stderr
        except subprocess.TimeoutExpired as e:
            gdb_out = (e.stdout or b'').decode(errors='replace') if isinstance(e.stdout, bytes) else (e.stdout or '')
            problems.append('gdb timed out')
    con.wait(r'reboot: Power down \(status \d+\)|Kernel panic')
    try:
        status = p.wait(timeout=max(1, con.deadline - time.time()))
    except subprocess.TimeoutExpired:
        p.kill()
        status = p.wait()
        problems.append('QEMU did not end')
    out = con.buf.decode('latin-1')
    with open(os.path.join(LOGS, name.replace('/', '_').replace(' ', '_') + '.log'), 'w') as f:
        f.write(' '.join(shlex.quote(c) for c in cmd) + '\n\n' + out + '\n\n--- gdb ---\n' + gdb_out)
    expect = [r'^Breakpoint 1 at 0x[0-9a-f]+: file kernel/debug/kgdb_test\.cpp',
              r'hit Breakpoint 1, kgdb_test_target \(n=(n@entry=)?20\)',
              r'^#1  0x[0-9a-f]+ in ktest_kgdb_session_target ', r'^#\d+ +0x[0-9a-f]+ in kernel_init \(\)',
              r'^x0 +0x14 +20$', r'^pc +0xffff8000[0-9a-f]{8} +0xffff8000[0-9a-f]{8} <kgdb_test_target',
              r'^cpsr +0x[0-9a-f]+ +\[ .*EL=1', r'^fpcr +0x',
              r'^0xffff0000[0-9a-f]{8}:\t0x0123456789abcdef\t0x0022446688aaccee$',
              r'^0xffff0000[0-9a-f]{8}:\t0x0f2d4b6987a5c3e1\t0x0e2c4a6886a4c2e0$',
              r'^Hardware watchpoint 2: kgdb_test_watch$', r'hit Hardware watchpoint 2: kgdb_test_watch',
              r'^Old value = 0$', r'^New value = 1$',
              r'Thread 32769 \(\[swapper/0\] \(pid 0, ', r'Thread 1 \(\[init\] \(pid 1, R, on CPU 0 now\)\) kgdb_test_target',
              r'Thread 2 \(\[oom_reaper\] \(pid 2, ', r'^\[Inferior 1 \(Remote target\) detached\]$',
              r'^  PID  PPID STAT    RSS COMMAND\n    1     0 R\S*  +0 \[init\]$', r'^Node 0, zone +\w+( +\d+){11} $',
              r'^maps to phys 0x[0-9a-f]+ \(4K page\)$', r'^page:fffffc[0-9a-f]{10} refcount:[1-9]',
              r'^flags: 0x[0-9a-f]+\(([a-z_0-9]+\|)*slab\|', r'^zone: \w+, pageblock migratetype: Unmovable$',
              r'^\[ *\d+\.\d+\] Booting mmkernel on physical CPU', r'KGDB: Entering KGDB \(kgdbwait\)']
    problems += ['gdb printed no /%s/' % x for x in expect if not re.search(x, gdb_out, re.M)]
    # The step moved to another line of kgdb_test_target.
    hit = re.search(r'hit Breakpoint 1, kgdb_test_target .* at kernel/debug/kgdb_test\.cpp:(\d+)', gdb_out)
    stepped = re.search(r'\t0x0e2c4a6886a4c2e0\n(\d+)\t', gdb_out)
    if not hit or not stepped or hit.group(1) == stepped.group(1):
        problems.append('step did not move to the next line')
    plain = '\n'.join(strip_ts(l.rstrip('\r')) for l in out.splitlines())
    for x in [r'^KGDB: Registered I/O driver kgdboc on %s$' % tty, r'^KGDB: gdb detached; the kernel continues$',
              r'^    ok \d+ session_target$', r'^# Totals: pass:\d+ fail:0 ']:
        if not re.search(x, plain, re.M):
            problems.append('console: missing /%s/' % x)
    oops = [x for x in OOPS_PATTERNS if x in out]
    if oops:
        problems.append('oops text on the console: %s' % ', '.join(oops))
    if status != 0:
        problems.append('exit status %s' % status)
    parse_ktap(name, out)
    record(name, not problems, '; '.join(problems))


def kgdb_raw_rsp(name, board='qemu-virt', tty='ttyAMA0'):
    """Raw remote-protocol packets on the console's own UART (the `gdb` console command,
    kgdboc style): good ones answered, bad ones (checksum, truncated, overlong, unknown, bad
    arguments, unmapped memory) get GDB's error replies or the empty reply; then D, and the
    console works again."""
    import socket
    import tempfile
    cmd = qemu_cmd(board)
    if cmd is None:
        record(name, False, 'no QEMU command for board')
        return
    tmp = tempfile.mkdtemp(prefix='kgdb-')
    sock = os.path.join(tmp, 'console.sock')
    cmd = [c if c != 'mon:stdio' else 'unix:%s,server=on,wait=on' % sock for c in cmd]
    cmd += ['-append', 'semihosting']
    p = subprocess.Popen(cmd, cwd=TOP, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    s = None
    for _ in range(QEMU_TIMEOUT * 10):  # QEMU creates the socket before it starts the machine
        if os.path.exists(sock) or p.poll() is not None:
            break
        time.sleep(0.1)
    problems, log = [], []
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sock)
    except OSError as e:
        problems.append('cannot connect to the console: %s' % e)
        s = None
    con = Stream(s.fileno(), time.time() + QEMU_TIMEOUT) if s else None

    def send(data):
        s.sendall(data.encode('latin-1') if isinstance(data, str) else data)

    def expect(what, pattern):
        m = con.wait(pattern)
        log.append('%s: %s' % (what, 'ok' if m else 'NO /%s/' % pattern))
        if not m:
            problems.append('%s: no /%s/' % (what, pattern if isinstance(pattern, str) else pattern.decode()))
        return m

    def reply(what, packet, pattern):
        """Sends a well-formed packet; expects '+' then a reply matching pattern (its data), acks it."""
        send(rsp_packet(packet))
        m = expect(what, rb'\+\$(' + pattern + rb')#([0-9a-f]{2})')
        if m:
            body = m.group(1)
            if int(m.group(m.lastindex), 16) != sum(body) & 0xff:
                problems.append('%s: reply checksum wrong' % what)
            send('+')
        return m

    if con and expect('prompt', rb'kernel> '):
        send('gdb\r')
        if expect('stub', rb'KGDB: Waiting for connection from remote gdb on ' + tty.encode() + rb'\.\.\.'):
            reply('?', '?', rb'T05thread:[0-9a-f]+;')
            send('$g#00')
            expect('bad checksum', rb'-')
            reply('after a NAK', '?', rb'T05thread:[0-9a-f]+;')
            send('$m0,4')  # truncated: the next '$' starts over
            reply('truncated then ?', '?', rb'T05thread:[0-9a-f]+;')
            send('$' + 'a' * 5000 + '#%02x' % (ord('a') * 5000 & 0xff))
            expect('overlong', rb'\+\$E07#[0-9a-f]{2}')
            send('+')
            reply('unknown command', 'Qfoo', rb'')
            reply('unknown v command', 'vMustReplyEmpty', rb'')
            reply('qSupported', 'qSupported:multiprocess+;swbreak+', rb'PacketSize=1000;qXfer:features:read\+')
            reply('target description', 'qXfer:features:read:target.xml:0,200',
                  rb'm<\?xml version="1\.0"\?>[^#]*org\.gnu\.gdb\.aarch64\.core[^#]*')
            reply('unknown annex', 'qXfer:features:read:foo.xml:0,200', rb'E00')
            m = reply('registers', 'g', rb'[0-9a-f]{%d}[0-9a-fx]*' % (2 * (33 * 8 + 4)))
            pc = None
            if m:
                pc_hex = m.group(1)[32 * 16:33 * 16].decode()
                pc = int(''.join(reversed([pc_hex[i:i + 2] for i in range(0, 16, 2)])), 16)
            if pc:
                m = reply('read pc', 'm%x,4' % pc, rb'[0-9a-f]{8}')
                if m:  # the same word written back: the text-alias path, harmlessly
                    word = m.group(1).decode()
                    reply('write text', 'M%x,4:%s' % (pc, word), rb'OK')
                    reply('read it back', 'm%x,4' % pc, word.encode())
                reply('hardware breakpoint', 'Z1,%x,4' % pc, rb'OK')
                reply('remove it', 'z1,%x,4' % pc, rb'OK')
                reply('software breakpoint', 'Z0,%x,4' % pc, rb'OK')
                reply('remove it', 'z0,%x,4' % pc, rb'OK')
            reply('unmapped user address', 'm0,8', rb'E14')
            reply('non-canonical address', 'm800000000000,10', rb'E14')
            reply('unmapped kernel address', 'mffff7ffffffff000,10', rb'E14')
            reply('write to unmapped', 'M0,2:abcd', rb'E14')
            reply('bad hex', 'mzz,4', rb'E22')
            reply('short G', 'G00', rb'E22')
            reply('register past the last', 'p99', rb'E22')
            reply('register x0', 'p0', rb'[0-9a-f]{16}')
            reply('software breakpoint outside text', 'Z0,0,4', rb'E22')
            reply('remove a breakpoint never set', 'z0,%x,4' % (pc or 0), rb'E02')
            reply('unsupported breakpoint type', 'Z9,0,4', rb'')
            reply('watchpoint the hardware cannot express', 'Z2,1003,9', rb'E22')
            reply('threads', 'qfThreadInfo', rb'm[0-9a-f]+(,[0-9a-f]+)*')
            reply('threads end', 'qsThreadInfo', rb'l')
            reply('no such thread', 'T7fff0000', rb'E22')
            reply('vCont?', 'vCont?', rb'vCont;c;C;s;S')
            reply('bad vCont', 'vCont;q', rb'E22')
            reply('detach', 'D', rb'OK')
            expect('detached', rb'KGDB: gdb detached; the kernel continues')
            expect('prompt back', rb'kernel> ')
            send('poweroff\r')
            expect('power off', rb'reboot: Power down \(status 0\)')
    try:
        status = p.wait(timeout=QEMU_TIMEOUT)
    except subprocess.TimeoutExpired:
        p.kill()
        status = p.wait()
        problems.append('QEMU did not end')
    out = (con.buf if con else b'').decode('latin-1') + (p.stdout.read() or b'').decode('latin-1')
    with open(os.path.join(LOGS, name.replace('/', '_').replace(' ', '_') + '.log'), 'w') as f:
        f.write(' '.join(shlex.quote(c) for c in cmd) + '\n\n' + '\n'.join(log) + '\n\n' + out)
    oops = [x for x in OOPS_PATTERNS if x in out]
    if oops:
        problems.append('oops text on the console: %s' % ', '.join(oops))
    if status != 0:
        problems.append('exit status %s' % status)
    record(name, not problems, '; '.join(problems))


def kgdb_pi_tests(board):
    """The same on a Pi: gdb on the PL011 (kgdboc=ttyAMA0) beside the mini UART console, and raw
    packets on the mini UART console itself."""
    kgdb_gdb_session('%s: gdb-multiarch over kgdboc=ttyAMA0 (PL011): break, bt, registers, x, step, watch, '
                     'threads, detach' % board, board, 'ttyAMA0')
    kgdb_raw_rsp('%s: raw GDB packets on the mini UART console: bad ones get error replies' % board, board, 'ttyS0')


def kgdb_tests():
    print('== target: the kernel\'s GDB stub', flush=True)
    kgdb_gdb_session('virt: gdb-multiarch over kgdboc=ttyAMA1: break, bt, registers, x, step, watch, threads, detach')
    kgdb_raw_rsp('virt: raw GDB packets on the console UART: good ones answered, bad ones get error replies')
    kgdb_gdb_helpers('virt: make debug\'s gdb helpers (tools/gdb/mmkernel.py) print what the console prints')
    # SysRq-g (a BREAK then g) stops in the stub on the console's UART; D lets the kernel go on.
    console_session('virt: SysRq-g enters the GDB stub, D carries on', 'qemu-virt', 'sysrq_always_enabled',
                    [(r'^kernel> $', SYSRQ_BREAK + 'g'),
                     (r'KGDB: Waiting for connection from remote gdb on ttyAMA0\.\.\.', '$D#44'),
                     (r'\$OK#9a', '+'), (r'', '\n'), (r'kernel> $', 'poweroff\n')],
                    [r'sysrq: DEBUG', r'KGDB: gdb detached; the kernel continues', r'reboot: Power down \(status 0\)'])
    # With kgdboc= an oops stops in the stub with SIGSEGV (die() -> kgdb_handle_oops) before the
    # task is killed; after D the oops report ends and the console carries on.
    console_session('virt: an oops with kgdboc= stops in the GDB stub (SIGSEGV), D carries on', 'qemu-virt',
                    'kgdboc=ttyAMA0',
                    [(r'^kernel> $', 'crash kthread\n'), (r'KGDB: Oops: entering the debugger', '$?#3f'),
                     (r'\$T0bthread:[0-9a-f]+;#[0-9a-f]{2}', '+$D#44'), (r'\$OK#9a', '+'), (r'', '\n'),
                     (r'kernel> $', 'poweroff\n')],
                    [r'^Internal error: Oops', r'KGDB: gdb detached; the kernel continues',
                     r'reboot: Power down \(status 0\)'])
    # A kgdboc= naming no UART is reported and changes nothing (no wait, the boot goes on); the
    # console's gdb command with a bad name says so and the console carries on.
    scenario('virt: kgdboc= naming no UART is reported and the boot goes on', 'qemu-virt',
             'kgdboc=ttyAMA7 ktest=boot', 0,
             [r'^KGDB: kgdboc=ttyAMA7 names no UART in the device tree$', r"^Malformed kernel option 'kgdboc'",
              r'^# Totals: pass:\d+ fail:0 '], forbid=[r'Waiting for connection'])
    scenario('virt: the console\'s gdb command with an unknown UART', 'qemu-virt', '', 0,
             [r'^KGDB: kgdboc=ttyXYZ names no UART in the device tree$', r'^\(status 1\)$',
              r'reboot: Power down \(status 0\)'], stdin_data='gdb ttyXYZ\npoweroff\n',
             forbid=[r'Waiting for connection'])


def kgdb_gdb_helpers(name, board='qemu-virt'):
    """tools/gdb/mmkernel.py under QEMU's gdbstub: gdb stops in each console command (a
    breakpoint where it starts printing), runs its lx- twin on the same state, and the two
    texts must be equal: ps, buddyinfo, slabinfo, dmesg, the page walk of kernel text, a
    linear-map block and a user page, a struct page, and a task's VMAs."""
    import tempfile
    cmd = qemu_cmd(board)
    if cmd is None:
        record(name, False, 'no QEMU command for board')
        return
    tmp = tempfile.mkdtemp(prefix='kgdb-')
    sock = os.path.join(tmp, 'gdb.sock')
    cmd = cmd + ['-gdb', 'unix:%s,server=on,wait=off' % sock, '-S', '-append', 'semihosting']
    # Each console command, the function gdb stops in while it runs, and the lx- twin.
    steps = [('ps', "'(anonymous namespace)::cmd_ps'", 'lx-ps'),
             ('buddyinfo', 'show_buddyinfo', 'lx-buddyinfo'),
             ('slabinfo', "'slabinfo_show(seq_file*)'", 'lx-slabinfo'),
             ('dmesg', 'dmesg_dump', 'lx-dmesg'),
             ('pgwalk ffff800008000000', "'(anonymous namespace)::cmd_pgwalk'", 'lx-pgwalk ffff800008000000'),
             ('pgwalk ffff000000c70000', "'(anonymous namespace)::cmd_pgwalk'", 'lx-pgwalk ffff000000c70000'),
             ('pgwalk 201000 4', "'(anonymous namespace)::cmd_pgwalk'", 'lx-pgwalk 201000 4'),
             ('pgwalk ffff800000000000', "'(anonymous namespace)::cmd_pgwalk'", 'lx-pgwalk ffff800000000000'),
             ('pageinfo 40200', "'(anonymous namespace)::cmd_pageinfo'", 'lx-page 40200'),
             ('pageinfo 60000', "'(anonymous namespace)::cmd_pageinfo'", 'lx-page 60000'),  # a free buddy block
             ('proc /proc/4/maps', 'show_maps_of', 'lx-vmas 4')]
    script = os.path.join(tmp, 'helpers.gdb')
    lines = ['set pagination off', 'set confirm off', 'set width 0',
             'source %s' % os.path.join(TOP, 'tools', 'gdb', 'mmkernel.py'),
             'target remote | %s %s' % (os.path.join(TOP, 'tools', 'gdb', 'unix_pipe.py'), sock)]
    for i, (_, where, lx) in enumerate(steps):
        lines += ['tbreak %s' % where, 'continue', 'echo ===begin %d\\n' % i, lx, 'echo ===end %d\\n' % i]
    lines += ['continue', '']
    with open(script, 'w') as f:
        f.write('\n'.join(lines))
    # The console is QEMU's stdin: everything typed at once, read by the shell in order (the
    # machine runs only while gdb continues it, so each command meets its breakpoint).
    typed = 'run /bin/tty_bg\n' + ''.join(c + '\n' for c, _, _ in steps) + 'poweroff\n'
    os.makedirs(LOGS, exist_ok=True)
    p = subprocess.Popen(cmd, cwd=TOP, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    p.stdin.write(typed.encode())
    p.stdin.flush()
    problems = []
    for _ in range(QEMU_TIMEOUT * 10):
        if os.path.exists(sock) or p.poll() is not None:
            break
        time.sleep(0.1)
    try:
        g = subprocess.run(['gdb-multiarch', '-nx', '-batch', '-x', script, os.path.join(TOP, 'build', board, 'kernel.elf')],
                           cwd=TOP, capture_output=True, text=True, timeout=QEMU_TIMEOUT)
        gdb_out = g.stdout + g.stderr
    except subprocess.TimeoutExpired as e:
        gdb_out = (e.stdout or b'').decode(errors='replace') if isinstance(e.stdout, bytes) else (e.stdout or '')
        problems.append('gdb timed out')
    try:
        out, _ = p.communicate(timeout=QEMU_TIMEOUT)
        out = out.decode('latin-1')
    except subprocess.TimeoutExpired:
        p.kill()
        out = p.communicate()[0].decode('latin-1')
        problems.append('QEMU did not end')
    with open(os.path.join(LOGS, name.replace('/', '_').replace(' ', '_') + '.log'), 'w') as f:
        f.write(' '.join(shlex.quote(c) for c in cmd) + '\n\n' + out + '\n\n--- gdb ---\n' + gdb_out)
    # The background child announces itself whenever it first runs: before or after a prompt.
    console = re.sub(r'tty_bg: child \d+ spinning\n', '', out.replace('\r', ''))
    if not re.search(r'^ +4 +1 R\+? +\d+ tty_bg$', console, re.M):
        problems.append('tty_bg is not pid 4: the user-address steps name the wrong task')
    for i, (c, _, lx) in enumerate(steps):
        m = re.search(r'===begin %d\n(.*?)===end %d\n' % (i, i), gdb_out, re.S)
        # The command's output: from its echoed line to the next prompt.
        k = re.search(r'^kernel> %s\n(.*?)(?=^kernel> )' % re.escape(c), console, re.S | re.M)
        if not m or not k:
            problems.append('%s: no %s output' % (c, 'gdb' if not m else 'console'))
            continue
        theirs, ours = k.group(1), m.group(1)
        if c.startswith('proc '):  # maps: gdb prints range, perms, offset and the anonymous names
            theirs = ''.join('%s %s %s %s\n' % (l.split()[0], l.split()[1], l.split()[2],
                                                 l.split()[5] if len(l.split()) > 5 and l.split()[5].startswith('[') else '')
                             for l in theirs.splitlines() if l.strip())
            ours = ''.join('%s %s %s %s\n' % (l.split()[0], l.split()[1], l.split()[2],
                                               l.split()[3] if len(l.split()) > 3 and l.split()[3].startswith('[') else '')
                           for l in ours.splitlines() if l.strip())
        if theirs != ours or not ours.strip():
            a, b = theirs.splitlines(), ours.splitlines()
            diff = next((j for j in range(max(len(a), len(b))) if j >= len(a) or j >= len(b) or a[j] != b[j]), 0)
            problems.append('%s vs %s differ at line %d: console %r, gdb %r' % (
                c, lx, diff + 1, a[diff] if diff < len(a) else None, b[diff] if diff < len(b) else None))
    if 'Python Exception' in gdb_out:
        problems.append('a helper raised: ' + re.search(r'Python Exception.*', gdb_out).group(0))
    if p.returncode != 0:
        problems.append('exit status %s' % p.returncode)
    record(name, not problems, '; '.join(problems))


if __name__ == '__main__':
    main()
