#!/usr/bin/python3
"""bench-drive.py COMMAND ... -- the guest side of `make bench` (tests/bench).

Each command does one measured thing and appends JSON lines to a file; the
figures are computed afterwards on the host (tests/bench/analyse.py) from
these lines, pensim's motor record, the kernel trace and btmon's HCI trace.
Every time here is CLOCK_MONOTONIC in microseconds, the clock of the journal's
__MONOTONIC_TIMESTAMP, of pensim's t_us and of the kernel trace (trace_clock
mono); `clock` relates it to CLOCK_REALTIME, btmon's clock.

  trace-setup                    tracefs instance with a uprobe on GDBus calls
  trace-save FILE                the instance's trace buffer into FILE
  clock OUT                      one (monotonic, realtime) pair
  ready N OUT                    restart penctld N times: start -> READY=1
  chars OUT                      the pen's characteristic paths by UUID
  footprint STATE SECONDS OUT    penctld's Pss, CPU, switches, syscalls
  presses N SEED PULL OUT        N pedal presses with random hold and rest
  footswitch-presses N SEED DEV GO OUT
                                 a uinput foot switch (its node into DEV);
                                 once GO (a FIFO) is written, N presses as above
  drops N CONTROL OUT            N pen-side link drops, each to reconnected
  bluetoothd-restarts N OUT      N bluetoothd restarts, each to reconnected
"""
import json
import os
import random
import select
import shutil
import subprocess
import sys
import time

TRACEFS = "/sys/kernel/tracing"
INSTANCE = TRACEFS + "/instances/penctl-bench"
UPROBE_GROUP = "penctl_bench"
LIBGIO = "/usr/lib/x86_64-linux-gnu/libgio-2.0.so.0"


def mono_us():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000


def emit(path, **record):
    with open(path, "a") as f:
        f.write(json.dumps(record) + "\n")


def write_file(path, text):
    """One write, without O_TRUNC or a seek: tracefs control files refuse a
    seek to their end (Python's append mode does one), and O_TRUNC on
    uprobe_events would remove every probe."""
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def penctld_pid():
    out = subprocess.run(["systemctl", "show", "-p", "MainPID", "--value", "penctld.service"],
                         capture_output=True, text=True, check=True).stdout.strip()
    return int(out or 0)


# ---- the kernel trace ---------------------------------------------------------
def elf_file_offset(lib, symbol):
    """File offset of SYMBOL's code in LIB (what a uprobe is placed by)."""
    syms = subprocess.run(["readelf", "-W", "--syms", lib], capture_output=True,
                          text=True, check=True).stdout
    vaddr = None
    for line in syms.splitlines():
        f = line.split()
        if len(f) >= 8 and f[7] == symbol and f[3] == "FUNC":
            vaddr = int(f[1], 16)
    if vaddr is None:
        return None
    segs = subprocess.run(["readelf", "-W", "-l", lib], capture_output=True, text=True,
                          check=True).stdout
    for line in segs.splitlines():
        f = line.split()
        if f and f[0] == "LOAD":
            off, va, filesz = int(f[1], 16), int(f[2], 16), int(f[4], 16)
            if va <= vaddr < va + filesz:
                return vaddr - va + off
    raise SystemExit(f"bench-drive: {symbol} of {lib} is in no loaded segment")


# penctld's own steps between a pedal edge and the Control write, each a
# uprobe at the function's entry (a name missing from a later penctld is
# skipped and said): where the daemon's part of a latency goes.
PENCTLD_PROBES = ("pedal_backend_read_events", "pedal_evdev_read_events", "pedal_debouncer_feed",
                  "engine_step", "pen_link_write_control", "control_properties_changed",
                  "journal_record_emit", "state_store_save")
# pedal_evdev_translate(translator, read, const struct input_event *ev, out):
# each input event penctld reads from the foot switch, with the kernel's
# timestamp (CLOCK_MONOTONIC: penctld sets EVIOCSCLOCKID), type and code.
EVDEV_EVENT_ARGS = ("sec=+0(%dx):s64 usec=+8(%dx):s64 type=+16(%dx):u16 code=+18(%dx):u16 "
                    "value=+20(%dx):s32")


def add_uprobe(event, path, symbol, args=""):
    off = elf_file_offset(path, symbol)
    if off is None:
        print(f"bench-drive: no {symbol} in {path}: no {event} probe")
        return False
    try:
        write_file(TRACEFS + "/uprobe_events", f"p:{UPROBE_GROUP}/{event} {path}:{off:#x} {args}\n")
        write_file(INSTANCE + f"/events/{UPROBE_GROUP}/{event}/enable", "1")
    except OSError as e:
        with open(TRACEFS + "/error_log") as f:
            print(f"bench-drive: no uprobe on {path}:{symbol}: {e}; error_log: {f.read()}")
        return False
    return True


def trace_setup():
    if not os.path.exists(TRACEFS + "/uprobe_events"):
        subprocess.run(["mount", "-t", "tracefs", "tracefs", TRACEFS], check=True)
    os.makedirs(INSTANCE, exist_ok=True)
    write_file(INSTANCE + "/trace_clock", "mono")
    write_file(INSTANCE + "/buffer_size_kb", "16384")
    write_file(INSTANCE + "/tracing_on", "1")
    lib = os.path.realpath(LIBGIO)
    # g_dbus_connection_call(connection, bus_name, object_path, interface_name,
    # method_name, ...): object_path is the 3rd argument (rdx), method the 5th
    # (r8); g_dbus_connection_emit_signal(connection, destination, object_path,
    # interface_name, signal_name, ...) the same.
    # The rest still measures without them; the analysis names what it lacks.
    if add_uprobe("gdbus_call", lib, "g_dbus_connection_call",
                  "path=+0(%dx):string method=+0(%r8):string"):
        print(f"trace: uprobe on g_dbus_connection_call in {lib}, clock mono")
    add_uprobe("gdbus_signal", lib, "g_dbus_connection_emit_signal",
               "path=+0(%dx):string signal=+0(%r8):string")
    penctld = shutil.which("penctld") or "/usr/sbin/penctld"
    for symbol in PENCTLD_PROBES:
        add_uprobe(symbol, os.path.realpath(penctld), symbol)
    add_uprobe("evdev_event", os.path.realpath(penctld), "pedal_evdev_translate", EVDEV_EVENT_ARGS)


def trace_save(out):
    write_file(INSTANCE + "/tracing_on", "0")
    with open(INSTANCE + "/trace") as src, open(out, "w") as dst:
        for line in src:
            dst.write(line)


def syscall_trace(tids, on):
    base = INSTANCE + "/events/raw_syscalls/sys_enter/"
    if on:
        write_file(base + "filter", " || ".join(f"common_pid == {t}" for t in tids))
    write_file(base + "enable", "1" if on else "0")


# ---- clocks -------------------------------------------------------------------
def clock(out):
    """The realtime-monotonic offset, from the tightest of 20 readings."""
    best = None
    for _ in range(20):
        m0 = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
        r = time.clock_gettime_ns(time.CLOCK_REALTIME)
        m1 = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
        if best is None or m1 - m0 < best[0]:
            best = (m1 - m0, (m0 + m1) // 2, r)
    emit(out, mono_us=best[1] // 1000, real_us=best[2] // 1000, spread_ns=best[0])


# ---- start -> READY=1 ---------------------------------------------------------
def unit_monotonic(unit, prop):
    out = subprocess.run(["systemctl", "show", "-p", prop, "--value", unit],
                         capture_output=True, text=True, check=True).stdout.strip()
    return int(out or 0)


def ready(n, out):
    for i in range(n):
        # The unit's start limit counts these restarts too: clear it first.
        subprocess.run(["systemctl", "reset-failed", "penctld.service"], check=False)
        subprocess.run(["systemctl", "restart", "penctld.service"], check=True, timeout=60)
        start = unit_monotonic("penctld.service", "ExecMainStartTimestampMonotonic")
        active = unit_monotonic("penctld.service", "ActiveEnterTimestampMonotonic")
        emit(out, i=i, exec_main_start_us=start, active_enter_us=active, pid=penctld_pid())
        time.sleep(1)


# ---- the pen's characteristics ------------------------------------------------
def chars(out):
    raw = subprocess.run(["busctl", "--json=short", "call", "org.bluez", "/",
                          "org.freedesktop.DBus.ObjectManager", "GetManagedObjects"],
                         capture_output=True, text=True, check=True).stdout
    objects = json.loads(raw)["data"][0]
    found = {}
    for path, ifaces in objects.items():
        c = ifaces.get("org.bluez.GattCharacteristic1")
        if c and "/hci" in path and "/dev_" in path:
            found.setdefault(c["UUID"]["data"], []).append(path)
    with open(out, "w") as f:
        f.write(json.dumps(found, indent=1) + "\n")


# ---- footprint ------------------------------------------------------------------
def proc_cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime (fields 14, 15)


def task_switches(pid):
    total = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                v = 0
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        v += int(line.split()[1])
            total[int(tid)] = v
        except FileNotFoundError:
            pass  # a thread that ended while we read
    return total


def memory_kb(pid):
    """Pss (shared pages split among their users: it falls when pensim maps
    the same libraries) and the private pages, from smaps_rollup."""
    m = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            k, _, rest = line.partition(":")
            if k in ("Pss", "Private_Clean", "Private_Dirty", "Rss"):
                m[k] = int(rest.split()[0])
    return m.get("Pss"), m.get("Private_Clean", 0) + m.get("Private_Dirty", 0), m.get("Rss")


def footprint(state, seconds, out):
    pid = penctld_pid()
    tids = sorted(task_switches(pid))
    traced = True
    try:
        syscall_trace(tids, True)
    except OSError as e:
        traced = False
        print(f"bench-drive: no syscall trace ({e})", file=sys.stderr)
    t0, cpu0, sw0 = mono_us(), proc_cpu_ticks(pid), task_switches(pid)
    time.sleep(seconds)
    t1, cpu1, sw1 = mono_us(), proc_cpu_ticks(pid), task_switches(pid)
    if traced:
        syscall_trace(tids, False)
    pss, private, rss = memory_kb(pid)
    # Threads present at both ends; one that came or went is named.
    common = sorted(set(sw0) & set(sw1))
    emit(out, state=state, pid=pid, tids=tids, t0_us=t0, t1_us=t1,
         cpu_ticks=cpu1 - cpu0, clk_tck=os.sysconf("SC_CLK_TCK"),
         switches=sum(sw1[t] - sw0[t] for t in common),
         threads_changed=sorted(set(sw0) ^ set(sw1)), pss_kb=pss, private_kb=private,
         rss_kb=rss, syscalls_traced=traced)


# ---- pedal presses ----------------------------------------------------------------
def pedal_set(pull, value):
    with open(pull, "w") as f:
        t = mono_us()
        f.write(value)
    return t


def press_series(n, seed, down, up, out):
    """Hold and rest are drawn from 0.3..0.8 s (seeded: the same series every
    run) so that the edges fall at every phase of the 5 Hz heartbeat.
    DOWN() and UP() move the foot and return the time they did."""
    rng = random.Random(seed)
    up()
    time.sleep(1.0)
    for i in range(n):
        hold, rest = rng.uniform(0.3, 0.8), rng.uniform(0.3, 0.8)
        t_press = down()
        time.sleep(hold)
        t_release = up()
        emit(out, i=i, press_us=t_press, release_us=t_release, hold_s=round(hold, 4),
             rest_s=round(rest, 4))
        time.sleep(rest)


def presses(n, seed, pull, out):
    press_series(n, seed, lambda: pedal_set(pull, "pull-down"), lambda: pedal_set(pull, "pull-up"),
                 out)


# ---- the USB foot switch ----------------------------------------------------------
def load_footswitch():
    """FootSwitch of tests/integration/test_evdev_uinput.py (raw uinput ioctls,
    the ids of a PCsensor FootSwitch 0c45:7403), as scenario 15 uses it."""
    import importlib.util
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "integration",
                        "test_evdev_uinput.py")
    spec = importlib.util.spec_from_file_location("test_evdev_uinput", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def footswitch_presses(n, seed, dev_out, go, out):
    """The foot switch lives as long as this command: made at once (its node
    written to DEV_OUT), the series when GO is written (penctld configured
    for it, a session open), unplugged when the series is over.  The edge is
    CLOCK_MONOTONIC just before the write of the key event and its
    SYN_REPORT to /dev/uinput (the kernel passes them to penctld's reader
    within that write)."""
    uinput = load_footswitch()
    switch = uinput.FootSwitch()
    if switch.devnode is None:
        raise SystemExit("bench-drive: the uinput foot switch got no event node")
    with open(dev_out, "w") as f:
        f.write(switch.devnode + "\n")
    with open(go) as f:
        f.readline()

    def key(value):
        t = mono_us()
        os.write(switch.fd, uinput._EVENT.pack(0, 0, uinput.EV_KEY, uinput.KEY_B, value) +
                 uinput._EVENT.pack(0, 0, uinput.EV_SYN, uinput.SYN_REPORT, 0))
        return t

    try:
        press_series(n, seed, lambda: key(1), lambda: key(0), out)
    finally:
        switch.unplug()


# ---- reconnects -------------------------------------------------------------------
class Journal:
    """penctld's records as they are written (journalctl -f).

    Read from the pipe's fd, not through a buffered file: journalctl may
    write several records at once, and a readline() would leave all but the
    first in Python's buffer, where select() does not see them (the
    benchmark once waited out a minute for a pen-connected record that had
    arrived with the pen-disconnected one)."""

    ARGV = ["journalctl", "-q", "-f", "-n", "0", "-o", "json", "_SYSTEMD_UNIT=penctld.service"]

    def __init__(self, argv=ARGV):
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE)
        self.fd = self.proc.stdout.fileno()
        self.partial = b""
        self.buf = []

    def take(self, chunk):
        lines = (self.partial + chunk).split(b"\n")
        self.partial = lines.pop()
        for line in lines:
            try:
                j = json.loads(line)
            except ValueError:
                continue
            if "PENCTL_EVENT" in j:
                self.buf.append((j["PENCTL_EVENT"], int(j["__MONOTONIC_TIMESTAMP"])))

    def wait(self, event, after_us, timeout_s):
        """The monotonic time of the first EVENT record logged after AFTER_US."""
        deadline = time.monotonic() + timeout_s
        while True:
            for rec in self.buf:
                if rec[0] == event and rec[1] > after_us:
                    return rec[1]
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                chunk = os.read(self.fd, 65536)
                if not chunk:
                    return None
                self.take(chunk)

    def close(self):
        self.proc.terminate()
        self.proc.wait()
        self.proc.stdout.close()


def drops(n, control, out):
    journal = Journal()
    time.sleep(1.0)
    for i in range(n):
        t0 = mono_us()
        with open(control, "w") as f:
            f.write("disconnect\n")
        down = journal.wait("pen-disconnected", t0, 20)
        up = journal.wait("pen-connected", t0, 60)
        emit(out, i=i, drop_us=t0, disconnected_us=down, connected_us=up)
        # Let the link settle (heartbeats, notifications) before the next drop.
        time.sleep(2.0)
    journal.close()


def bluetoothd_restarts(n, out):
    journal = Journal()
    time.sleep(1.0)
    for i in range(n):
        t0 = mono_us()
        subprocess.run(["systemctl", "restart", "bluetooth.service"], check=True, timeout=60)
        back = unit_monotonic("bluetooth.service", "ActiveEnterTimestampMonotonic")
        up = journal.wait("pen-connected", t0, 60)
        emit(out, i=i, restart_us=t0, bluetoothd_active_us=back, connected_us=up)
        time.sleep(2.0)
    journal.close()


def main(argv):
    if len(argv) < 2:
        raise SystemExit(__doc__)
    cmd, a = argv[1], argv[2:]
    if cmd == "trace-setup":
        trace_setup()
    elif cmd == "trace-save":
        trace_save(a[0])
    elif cmd == "clock":
        clock(a[0])
    elif cmd == "ready":
        ready(int(a[0]), a[1])
    elif cmd == "chars":
        chars(a[0])
    elif cmd == "footprint":
        footprint(a[0], float(a[1]), a[2])
    elif cmd == "presses":
        presses(int(a[0]), int(a[1]), a[2], a[3])
    elif cmd == "footswitch-presses":
        footswitch_presses(int(a[0]), int(a[1]), a[2], a[3], a[4])
    elif cmd == "drops":
        drops(int(a[0]), a[1], a[2])
    elif cmd == "bluetoothd-restarts":
        bluetoothd_restarts(int(a[0]), a[1])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
