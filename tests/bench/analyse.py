#!/usr/bin/python3
"""analyse.py --results DIR [--mode quick|full] [--commit C] [--json F] [--table F]

The figures of `make bench` from what the guest recorded (run-vm.sh results
DIR; guest/bench-drive.py wrote DIR/bench-penctld/*): one table on stdout
(and in --table), the same as JSON (--json).  docs/performance.md explains
every figure.  Exit 1 when a figure could not be measured (fewer samples
than asked, a trace that is missing), never for a slow one.

Clocks: everything is converted to the guest's CLOCK_MONOTONIC (µs).  The
HCI trace (btmon.snoop) carries CLOCK_REALTIME; the guest sampled both
clocks together (clock.jsonl) and the mean offset converts it.
"""
import argparse
import json
import math
import os
import re
import struct
import sys
from datetime import datetime, timezone

CONTROL_UUID = "7d1e0002-4c2b-4f6a-9a51-5e3c0d8f1a20"
HEARTBEAT_UUID = "7d1e0006-4c2b-4f6a-9a51-5e3c0d8f1a20"
# btsnoop timestamps: µs since year 0; this is 1970-01-01 in them.
BTSNOOP_EPOCH_US = 0x00DCDDB30F2F8000
# btmon's monitor format: flags = index << 16 | opcode.
MON_COMMAND, MON_EVENT, MON_ACL_TX, MON_ACL_RX = 2, 3, 4, 5
ATT_CID = 4
# LE dynamic channels: here only EATT (bluetoothd 5.66 opens EATT channels
# and sends most ATT traffic over them), ATT PDUs behind a 2-byte SDU length.
LE_DYNAMIC_CID_FIRST = 0x40
ATT_WRITE_REQ, ATT_WRITE_CMD = 0x12, 0x52
HCI_LE_SET_ADV_ENABLE, HCI_LE_SET_EXT_ADV_ENABLE = 0x200A, 0x2039
HCI_LE_CREATE_CONN, HCI_LE_EXT_CREATE_CONN = 0x200D, 0x2043
HCI_EV_DISCONN_COMPLETE, HCI_EV_LE_META = 0x05, 0x3E
LE_CONN_COMPLETE, LE_ENH_CONN_COMPLETE = 0x01, 0x0A


def read_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def read_env(path):
    env = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if "=" in line:
                    k, v = line.strip().split("=", 1)
                    env[k] = v
    return env


# ---- statistics -------------------------------------------------------------------
def percentile(sorted_v, q):
    """Nearest rank: the smallest value with at least q of the samples at or below it."""
    return sorted_v[max(0, math.ceil(q * len(sorted_v)) - 1)]


def stats(values, scale=1e-3):
    """min/median/p95/p99/max of µs values, in ms (scale)."""
    v = sorted(x * scale for x in values if x is not None)
    if not v:
        return {"n": 0}
    return {"n": len(v), "min": v[0], "median": percentile(v, 0.5), "p95": percentile(v, 0.95),
            "p99": percentile(v, 0.99), "max": v[-1]}


# ---- the HCI trace --------------------------------------------------------------
class Hci:
    def __init__(self, path, real_minus_mono_us):
        self.acl = []       # (index, tx, t_mono, att_opcode, att_handle, value)
        self.cmds = []      # (index, t_mono, hci_opcode, params)
        self.events = []    # (index, t_mono, code, params)
        with open(path, "rb") as f:
            data = f.read()
        if data[:8] != b"btsnoop\0":
            raise SystemExit(f"analyse: {path} is not a btsnoop file")
        off = 16
        while off + 24 <= len(data):
            _, incl, flags, _, ts = struct.unpack(">IIIIq", data[off:off + 24])
            pkt = data[off + 24:off + 24 + incl]
            off += 24 + incl
            index, op = flags >> 16, flags & 0xFFFF
            t = ts - BTSNOOP_EPOCH_US - real_minus_mono_us
            if op in (MON_ACL_TX, MON_ACL_RX) and len(pkt) >= 9:
                hdr, = struct.unpack("<H", pkt[0:2])
                if (hdr >> 12) & 0x3 == 0x1:
                    continue  # a continuation fragment: ATT PDUs here fit in one
                l2len, cid = struct.unpack("<HH", pkt[4:8])
                att = pkt[8:8 + l2len]
                if cid >= LE_DYNAMIC_CID_FIRST and len(att) >= 3:
                    sdu_len, = struct.unpack("<H", att[0:2])
                    if sdu_len != len(att) - 2:
                        continue  # a segmented SDU: not a short ATT write
                    att = att[2:]
                elif cid != ATT_CID or not att:
                    continue
                handle = struct.unpack("<H", att[1:3])[0] if len(att) >= 3 else None
                self.acl.append((index, op == MON_ACL_TX, t, att[0], handle, bytes(att[3:])))
            elif op == MON_COMMAND and len(pkt) >= 3:
                self.cmds.append((index, t, struct.unpack("<H", pkt[0:2])[0], bytes(pkt[3:])))
            elif op == MON_EVENT and len(pkt) >= 2:
                self.events.append((index, t, pkt[0], bytes(pkt[2:])))

    def writes(self, index, tx, opcode, handle):
        return [(a[2], a[5]) for a in self.acl
                if a[0] == index and a[1] == tx and a[3] == opcode and a[4] == handle]

    def first_cmd(self, index, opcodes, after, enable=False):
        for c in self.cmds:
            if c[0] == index and c[1] > after and c[2] in opcodes and (not enable or c[3][:1] == b"\x01"):
                return c[1]
        return None

    def first_event(self, index, after, code, sub=None):
        for e in self.events:
            if e[0] == index and e[1] > after and e[2] == code and \
                    (sub is None or e[3][:1] == bytes([sub])):
                # status byte: after the subevent for LE meta, first otherwise
                status = e[3][1] if sub is not None else e[3][0]
                if status == 0:
                    return e[1]
        return None


# ---- the kernel trace ----------------------------------------------------------------
TRACE_LINE = re.compile(r"^\s*(.+?)-(\d+)\s+\[\d+\]\s+\S+\s+(\d+\.\d+):\s+(\w+):\s*(.*)$")
UPROBE_ARGS = re.compile(r'path="([^"]*)" method="([^"]*)"')
EVDEV_ARGS = re.compile(r"sec=(-?\d+) usec=(-?\d+) type=(\d+) code=(\d+) value=(-?\d+)")
EV_KEY, KEY_B = 1, 48


def read_trace(path):
    """GDBus calls (t, pid, path, method), syscalls (t, tid), penctld's
    own probes {event: [t, ...]} and the input events penctld read from the
    foot switch (t, kernel timestamp µs, type, code, value) from the kernel
    trace."""
    calls, syscalls, probes, input_events = [], [], {}, []
    with open(path) as f:
        for line in f:
            m = TRACE_LINE.match(line)
            if not m:
                continue
            pid, t, event, rest = int(m.group(2)), round(float(m.group(3)) * 1e6), m.group(4), m.group(5)
            if event == "gdbus_call":
                a = UPROBE_ARGS.search(rest)
                if a:
                    calls.append((t, pid, a.group(1), a.group(2)))
            elif event == "sys_enter":
                syscalls.append((t, pid))
            elif event == "evdev_event":
                a = EVDEV_ARGS.search(rest)
                if a:
                    input_events.append((t, int(a.group(1)) * 1_000_000 + int(a.group(2)),
                                         int(a.group(3)), int(a.group(4)), int(a.group(5))))
            else:
                probes.setdefault(event, []).append(t)
    return calls, syscalls, probes, input_events


def first_at_or_after(items, t, bound=None, key=lambda x: x[0]):
    for it in items:
        k = key(it)
        if k >= t and (bound is None or k < bound):
            return it
    return None


def value_handle(char_path):
    # BlueZ names a characteristic by its declaration handle (charNNNN, hex);
    # the value attribute follows it.
    return int(char_path.rsplit("char", 1)[1], 16) + 1


# ---- the figures ----------------------------------------------------------------------
def latency(edges, calls, hci, control_path, ctl_handle, pen_events, op, pen_event, cen, pen):
    """One row per edge: (edge, write issued, leaves the central, reaches the pen, motor)."""
    ctl_calls = [c for c in calls if c[2] == control_path and c[3] == "WriteValue"]
    tx = [w for w in hci.writes(cen, True, ATT_WRITE_REQ, ctl_handle) if w[1][:1] == bytes([op])]
    rx = [w for w in hci.writes(pen, False, ATT_WRITE_REQ, ctl_handle) if w[1][:1] == bytes([op])]
    motor = [e for e in pen_events if e["event"] == pen_event]
    rows = []
    for t_edge, bound in edges:
        call = first_at_or_after(ctl_calls, t_edge, bound)
        t_call = call[0] if call else None
        w = first_at_or_after(tx, t_call if t_call else t_edge, bound)
        t_tx = w[0] if w else None
        r = first_at_or_after(rx, t_tx, bound, key=lambda x: x[0]) if w else None
        if r and r[1] != w[1]:
            r = next((x for x in rx if x[0] >= t_tx and x[1] == w[1]), None)
        t_rx = r[0] if r else None
        seq = struct.unpack("<H", w[1][2:4])[0] if w and len(w[1]) >= 4 else None
        m = next((e for e in motor if e["t_us"] >= t_edge and
                  (seq is None or e.get("seq") == seq)), None)
        t_motor = m["t_us"] if m and (bound is None or m["t_us"] < bound + 2_000_000) else None
        rows.append((t_edge, t_call, t_tx, t_rx, t_motor))
    return rows


def split(rows):
    def d(a, b):
        return [r[b] - r[a] if r[a] is not None and r[b] is not None else None for r in rows]
    return {"total": stats(d(0, 4)), "daemon": stats(d(0, 1)), "bus": stats(d(1, 2)),
            "radio": stats(d(2, 3)), "pen": stats(d(3, 4)),
            # per edge: edge, write issued, leaves hci0, reaches hci1, motor (µs)
            "samples": rows}


# penctld's steps that the guest probed (guest/bench-drive.py PENCTLD_PROBES)
STEPS_COUNTED = ("engine_step", "control_properties_changed", "journal_record_emit",
                 "state_store_save", "gdbus_signal")


def daemon_parts(rows, probes, read_probe="pedal_backend_read_events", input_events=None):
    """The daemon's part of each edge, at penctld's own probes: edge -> penctld
    reads the line event (READ_PROBE) -> pen_link_write_control() ->
    WriteValue issued; and how often each counted step ran in between.
    With INPUT_EVENTS (the foot switch's, read_trace()), also edge -> the
    kernel's timestamp of the pedal key's event (the one penctld read
    before the write)."""
    reads = probes.get(read_probe, [])
    wants = probes.get("pen_link_write_control", [])
    keys = [e for e in input_events or [] if e[2] == EV_KEY and e[3] == KEY_B]
    wake, decide, issue, stamp = [], [], [], []
    counts = {k: [] for k in STEPS_COUNTED}
    for r in rows:
        t_edge, t_call = r[0], r[1]
        if t_call is None:
            continue
        t_read = next((t for t in reads if t_edge <= t <= t_call), None)
        key = next((e for e in keys if t_edge <= e[0] <= t_call), None)
        stamp.append(key[1] - t_edge if key else None)
        t_want = next((t for t in reversed(wants) if t_edge <= t <= t_call), None)
        wake.append(t_read - t_edge if t_read is not None else None)
        decide.append(t_want - t_read if t_want is not None and t_read is not None else None)
        issue.append(t_call - t_want if t_want is not None else None)
        for k in STEPS_COUNTED:
            counts[k].append(sum(1 for t in probes.get(k, []) if t_edge <= t <= t_call))
    out = {"edge_to_read": stats(wake), "read_to_write_control": stats(decide),
           "write_control_to_issued": stats(issue),
           "steps_before_write": {k: (sum(v) / len(v) if v else None) for k, v in counts.items()
                                  if probes.get(k)}}
    if input_events is not None:
        out["edge_to_kernel_timestamp"] = stats(stamp)
    return out


def max_gap_ms(times, t0, t1):
    inside = [t for t in times if t0 <= t <= t1]
    if len(inside) < 2:
        return None
    return max(b - a for a, b in zip(inside, inside[1:])) / 1000


def footprint(windows, syscalls, hb_tx, hb_rx):
    out = {}
    for w in windows:
        dur = (w["t1_us"] - w["t0_us"]) / 1e6
        tids = set(w["tids"])
        n_sys = sum(1 for t, pid in syscalls if pid in tids and w["t0_us"] <= t <= w["t1_us"])
        n_hb = sum(1 for t in hb_tx if w["t0_us"] <= t <= w["t1_us"])
        out[w["state"]] = {
            "seconds": round(dur, 2),
            "pss_kb": w["pss_kb"],
            "private_kb": w.get("private_kb"),
            "rss_kb": w.get("rss_kb"),
            "cpu_percent": 100.0 * w["cpu_ticks"] / w["clk_tck"] / dur,
            "switches_per_s": w["switches"] / dur,
            "switches_per_heartbeat": w["switches"] / n_hb if n_hb else None,
            "syscalls_per_s": n_sys / dur if w["syscalls_traced"] else None,
            "syscalls_per_heartbeat": n_sys / n_hb if n_hb and w["syscalls_traced"] else None,
            "heartbeats": n_hb,
            "max_heartbeat_gap_ms": max_gap_ms(hb_rx, w["t0_us"], w["t1_us"]),
            "max_heartbeat_gap_sent_ms": max_gap_ms(hb_tx, w["t0_us"], w["t1_us"]),
            "threads": len(tids),
            "threads_changed": w["threads_changed"],
        }
    return out


def reconnects(rows, t_key, hci, cen, pen):
    out = []
    for r in rows:
        t0, up = r[t_key], r.get("connected_us")
        down = hci.first_event(cen, t0, HCI_EV_DISCONN_COMPLETE)
        base = down if down else t0
        adv = hci.first_cmd(pen, (HCI_LE_SET_ADV_ENABLE, HCI_LE_SET_EXT_ADV_ENABLE), base, enable=True)
        create = hci.first_cmd(cen, (HCI_LE_CREATE_CONN, HCI_LE_EXT_CREATE_CONN), base)
        link = None
        for sub in (LE_CONN_COMPLETE, LE_ENH_CONN_COMPLETE):
            t = hci.first_event(cen, base, HCI_EV_LE_META, sub)
            if t is not None and (link is None or t < link):
                link = t
        out.append({"start_us": t0, "link_down_us": down, "advertising_us": adv,
                    "create_connection_us": create, "link_up_us": link, "connected_us": up,
                    "bluetoothd_active_us": r.get("bluetoothd_active_us")})
    return out


def diffs(rows, a, b):
    return [r[b] - r[a] if r.get(a) is not None and r.get(b) is not None else None for r in rows]


# ---- output -------------------------------------------------------------------------
def fmt(v, digits=1):
    return "-" if v is None else f"{v:.{digits}f}"


def stat_line(name, s, width=44):
    if not s.get("n"):
        return f"{name:<{width}} {0:>4}  (not measured)"
    return (f"{name:<{width}} {s['n']:>4} {s['min']:>8.1f} {s['median']:>8.1f} {s['p95']:>8.1f}"
            f" {s['p99']:>8.1f} {s['max']:>8.1f}")


def latency_rows(L, lat, pedal, event):
    """The press and release rows of one pedal (PEDAL as the table names it,
    EVENT what penctld reads of it)."""
    for key, title in (("press", f"press: {pedal} -> pen motor on"),
                       ("release", f"release: {pedal} -> pen motor off")):
        s = lat[key]
        L.append(stat_line(title, s["total"]))
        L.append(stat_line("  daemon: edge -> Control WriteValue issued", s["daemon"]))
        p = s["daemon_parts"]
        if p.get("edge_to_kernel_timestamp", {}).get("n"):
            L.append(stat_line("    edge -> the event's kernel timestamp", p["edge_to_kernel_timestamp"]))
        if p["edge_to_read"]["n"]:
            L.append(stat_line(f"    edge -> penctld reads the {event} event", p["edge_to_read"]))
            L.append(stat_line("    read -> pen_link_write_control()", p["read_to_write_control"]))
            L.append(stat_line("    pen_link_write_control() -> issued", p["write_control_to_issued"]))
        if p["steps_before_write"]:
            L.append("    before the write, per edge: " + ", ".join(
                f"{k} {v:.1f}" for k, v in p["steps_before_write"].items()))
        L.append(stat_line("  bus: issued -> ATT write leaves hci0", s["bus"]))
        L.append(stat_line("  radio: leaves hci0 -> reaches hci1", s["radio"]))
        L.append(stat_line("  pen: reaches hci1 -> pensim motor", s["pen"]))


def table(r):
    L = []
    h = r["header"]
    L.append(f"penctld benchmark ({h['mode']}): commit {h['commit']}, {h['date']}, "
             f"VM bed (QEMU TCG, 2 vCPUs), DebounceMs={h['debounce_ms']}")
    L.append(f"{'latency, ms (edge = gpio-sim pull written)':<44} {'n':>4} {'min':>8} {'median':>8} "
             f"{'p95':>8} {'p99':>8} {'max':>8}")
    latency_rows(L, r["latency"], "pedal", "line")
    if "latency_evdev" in r:
        L.append(f"{'latency, ms (edge = uinput event written)':<44} {'n':>4} {'min':>8} "
                 f"{'median':>8} {'p95':>8} {'p99':>8} {'max':>8}")
        latency_rows(L, r["latency_evdev"], "USB foot switch", "key")
    L.append("")
    L.append(f"{'footprint (penctld)':<19} {'Pss kB':>7} {'Priv kB':>7} {'CPU %':>6} {'csw/s':>7} "
             f"{'csw/hb':>7} {'sysc/s':>7} {'sysc/hb':>8} {'max hb gap ms':>14}")
    for state in ("no-pen", "pen-idle", "motor-running"):
        f = r["footprint"].get(state)
        if not f:
            L.append(f"{state:<19} (not measured)")
            continue
        L.append(f"{state:<19} {f['pss_kb']:>7} {fmt(f['private_kb'], 0):>7} {f['cpu_percent']:>6.2f} "
                 f"{f['switches_per_s']:>7.1f} "
                 f"{fmt(f['switches_per_heartbeat'], 2):>7} {fmt(f['syscalls_per_s']):>7} "
                 f"{fmt(f['syscalls_per_heartbeat']):>8} {fmt(f['max_heartbeat_gap_ms']):>14}")
    L.append(f"{'max hb gap during the presses':<34} {'':>6} {'':>7} {'':>7} {'':>7} {'':>8} "
             f"{fmt(r['heartbeat_gap_during_presses_ms']):>14}")
    if "latency_evdev" in r:
        L.append(f"{'max hb gap, foot-switch presses':<34} {'':>6} {'':>7} {'':>7} {'':>7} {'':>8} "
                 f"{fmt(r['heartbeat_gap_during_evdev_presses_ms']):>14}")
    L.append("")
    L.append(f"{'other, ms':<44} {'n':>4} {'min':>8} {'median':>8} {'p95':>8} {'p99':>8} {'max':>8}")
    L.append(stat_line("start -> READY=1 (systemd)", r["ready"]))
    d = r["reconnect"]["pen_drop"]
    L.append(stat_line("pen-side drop: link down -> pen-connected", d["total"]))
    L.append(stat_line("  (drop asked -> link down: the pen's side)", d["drop_to_link_down"]))
    L.append(stat_line("  link down -> pen advertising (hci1)", d["link_down_to_advertising"]))
    L.append(stat_line("  advertising -> LE Create Connection (hci0)", d["advertising_to_create"]))
    L.append(stat_line("  create -> link up (hci0)", d["create_to_link_up"]))
    L.append(stat_line("  link up -> pen-connected record", d["link_up_to_connected"]))
    b = r["reconnect"]["bluetoothd_restart"]
    L.append(stat_line("bluetoothd restart -> pen-connected record", b["total"]))
    L.append(stat_line("  bluetoothd active -> pen-connected", b["active_to_connected"]))
    L.append(stat_line("  link up -> pen-connected record", b["link_up_to_connected"]))
    if r["problems"]:
        L.append("")
        L.append("NOT MEASURED: " + "; ".join(r["problems"]))
    return "\n".join(L) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--mode", default="full")
    ap.add_argument("--commit", default="unknown")
    ap.add_argument("--json")
    ap.add_argument("--table")
    a = ap.parse_args()
    d = os.path.join(a.results, "bench-penctld")
    meta = read_env(os.path.join(d, "meta.env"))
    problems = []

    clocks = read_jsonl(os.path.join(d, "clock.jsonl"))
    offsets = [c["real_us"] - c["mono_us"] for c in clocks]
    if not offsets:
        raise SystemExit("analyse: no clock samples")
    offset = round(sum(offsets) / len(offsets))
    hci = Hci(os.path.join(a.results, "btmon.snoop"), offset)
    calls, syscalls, probes, input_events = read_trace(os.path.join(d, "trace.txt"))
    with open(os.path.join(d, "chars.json")) as f:
        chars = json.load(f)
    cen = int(meta.get("penctld_adapter", "hci0")[3:])
    pen = int(meta.get("pen_adapter", "hci1")[3:])
    control_path = next(p for p in chars[CONTROL_UUID] if f"/hci{cen}/" in p)
    hb_path = next(p for p in chars[HEARTBEAT_UUID] if f"/hci{cen}/" in p)
    ctl_handle, hb_handle = value_handle(control_path), value_handle(hb_path)
    pen_events = read_jsonl(os.path.join(a.results, "pen.jsonl"))
    pen_events = pen_events[int(meta.get("pen_record_offset", 0)):]

    def series(presses, asked, what, read_probe, inputs):
        press_edges = [(p["press_us"], p["release_us"]) for p in presses]
        release_edges = [(p["release_us"], presses[i + 1]["press_us"] if i + 1 < len(presses) else None)
                         for i, p in enumerate(presses)]
        lat = {}
        for key, edges, op, ev in (("press", press_edges, 1, "motor-start"),
                                   ("release", release_edges, 0, "motor-stop")):
            rows = latency(edges, calls, hci, control_path, ctl_handle, pen_events, op, ev, cen, pen)
            lat[key] = split(rows)
            lat[key]["daemon_parts"] = daemon_parts(rows, probes, read_probe, inputs)
        for k, v in lat.items():
            for part in ("total", "daemon", "bus", "radio", "pen"):
                s = v[part]
                if s["n"] < asked or asked == 0:
                    problems.append(f"{what}{k} {part}: {s['n']} of {asked} samples")
        return lat

    presses = read_jsonl(os.path.join(d, "presses.jsonl"))
    asked = int(meta.get("presses", 0))
    lat = series(presses, asked, "", "pedal_backend_read_events", None)
    # The USB foot switch (a run before it had none: no evdev_presses).
    evdev_presses = read_jsonl(os.path.join(d, "evdev-presses.jsonl"))
    evdev_asked = int(meta.get("evdev_presses", 0))
    lat_evdev = series(evdev_presses, evdev_asked, "USB foot switch ", "pedal_evdev_read_events",
                       input_events) if "evdev_presses" in meta else None

    hb_tx = [t for t, _ in hci.writes(cen, True, ATT_WRITE_CMD, hb_handle)]
    hb_rx = [t for t, _ in hci.writes(pen, False, ATT_WRITE_CMD, hb_handle)]
    fp = footprint(read_jsonl(os.path.join(d, "footprint.jsonl")), syscalls, hb_tx, hb_rx)
    for state in ("no-pen", "pen-idle", "motor-running"):
        if state not in fp:
            problems.append(f"footprint {state}")
    gap_presses = max_gap_ms(hb_rx, presses[0]["press_us"], presses[-1]["release_us"]) if presses else None
    gap_evdev = max_gap_ms(hb_rx, evdev_presses[0]["press_us"],
                           evdev_presses[-1]["release_us"]) if evdev_presses else None

    ready = read_jsonl(os.path.join(d, "ready.jsonl"))
    ready_s = stats([r["active_enter_us"] - r["exec_main_start_us"] for r in ready])
    if not ready_s["n"]:
        problems.append("start -> READY=1")

    drops = reconnects(read_jsonl(os.path.join(d, "drops.jsonl")), "drop_us", hci, cen, pen)
    restarts = reconnects(read_jsonl(os.path.join(d, "bt-restarts.jsonl")), "restart_us",
                          hci, cen, pen)
    rec = {
        "pen_drop": {
            # From the moment penctld's adapter loses the link: what comes
            # before it is the pen's side (its bluetoothd's disconnect timer).
            "total": stats(diffs(drops, "link_down_us", "connected_us")),
            "asked_to_connected": stats(diffs(drops, "start_us", "connected_us")),
            "drop_to_link_down": stats(diffs(drops, "start_us", "link_down_us")),
            "link_down_to_advertising": stats(diffs(drops, "link_down_us", "advertising_us")),
            "advertising_to_create": stats(diffs(drops, "advertising_us", "create_connection_us")),
            "create_to_link_up": stats(diffs(drops, "create_connection_us", "link_up_us")),
            "link_up_to_connected": stats(diffs(drops, "link_up_us", "connected_us")),
            "samples": drops,
        },
        "bluetoothd_restart": {
            "total": stats(diffs(restarts, "start_us", "connected_us")),
            "active_to_connected": stats(diffs(restarts, "bluetoothd_active_us", "connected_us")),
            "link_up_to_connected": stats(diffs(restarts, "link_up_us", "connected_us")),
            "samples": restarts,
        },
    }
    for name in ("pen_drop", "bluetoothd_restart"):
        s = rec[name]["total"]
        if s["n"] < len(rec[name]["samples"]) or not rec[name]["samples"]:
            problems.append(f"reconnect {name}: {s['n']} of {len(rec[name]['samples'])} reconnected")

    result = {
        "header": {"mode": a.mode, "commit": a.commit,
                   "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                   "debounce_ms": int(meta.get("debounce_ms", 0)), "presses_asked": asked,
                   "evdev_presses_asked": evdev_asked,
                   "window_s": float(meta.get("window_s", 0)),
                   "clock_offset_spread_us": max(offsets) - min(offsets),
                   "control_handle": ctl_handle, "heartbeat_handle": hb_handle},
        "latency": lat,
        "footprint": fp,
        "heartbeat_gap_during_presses_ms": gap_presses,
        "ready": ready_s,
        "reconnect": rec,
        "problems": problems,
    }
    if lat_evdev is not None:
        result["latency_evdev"] = lat_evdev
        result["heartbeat_gap_during_evdev_presses_ms"] = gap_evdev
    text = table(result)
    sys.stdout.write(text)
    if a.table:
        with open(a.table, "w") as f:
            f.write(text)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=1)
            f.write("\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
