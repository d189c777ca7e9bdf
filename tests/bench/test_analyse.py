#!/usr/bin/python3
"""The benchmark's analysis (tests/bench/analyse.py), on the host: the USB
foot switch's part of it.

/trace/evdev-event: the uprobe on pedal_evdev_translate() gives each input
event penctld read with the kernel's timestamp; read_trace() returns them.
/daemon-parts/evdev: the daemon's part of a foot-switch edge is split at the
key event's kernel timestamp and at pedal_evdev_read_events(), not at the
GPIO driver's read; the EV_SYN that follows the key and a key of another
pedal (depth) are not the edge's.
"""
import importlib.util
import os
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def load_analyse():
    spec = importlib.util.spec_from_file_location("analyse", os.path.join(HERE, "analyse.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Lines as the tracefs instance writes them (trace_clock mono, seconds).
TRACE = """\
# tracer: nop
         penctld-301     [001] d....   100.000200: pedal_evdev_read_events: (0x55d0c0a2a090)
         penctld-301     [001] d....   100.000300: evdev_event: (0x55d0c0a2af30) sec=100 usec=40 type=1 code=48 value=1
         penctld-301     [001] d....   100.000310: evdev_event: (0x55d0c0a2af30) sec=100 usec=40 type=0 code=0 value=0
         penctld-301     [001] d....   100.000500: engine_step: (0x55d0c0a13460)
         penctld-301     [001] d....   100.000700: pen_link_write_control: (0x55d0c0a1f000)
         penctld-301     [001] d....   100.001000: gdbus_call: (0x7f00) path="/org/bluez/hci0/dev_X/service0010/char0011" method="WriteValue"
         penctld-301     [001] d....   100.500300: evdev_event: (0x55d0c0a2af30) sec=100 usec=500100 type=1 code=46 value=1
"""


class ReadTrace(unittest.TestCase):
    def test_evdev_events_carry_the_kernel_timestamp(self):
        analyse = load_analyse()
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write(TRACE)
        try:
            calls, _, probes, events = analyse.read_trace(f.name)
        finally:
            os.unlink(f.name)
        self.assertEqual(events[0], (100_000_300, 100_000_040, 1, 48, 1))
        self.assertEqual(len(events), 3)
        # An input event is not one of the counted probes.
        self.assertNotIn("evdev_event", probes)
        self.assertEqual(probes["pedal_evdev_read_events"], [100_000_200])
        self.assertEqual(calls[0][0], 100_001_000)


class DaemonParts(unittest.TestCase):
    def setUp(self):
        self.analyse = load_analyse()

    def test_foot_switch_edge_split_at_kernel_stamp_and_evdev_read(self):
        probes = {"pedal_evdev_read_events": [1_200], "pedal_backend_read_events": [1_100],
                  "pen_link_write_control": [1_700], "engine_step": [1_500]}
        # (t probe, kernel µs, type, code, value): the key, its SYN_REPORT, a depth key.
        events = [(1_300, 1_040, 0, 0, 0), (1_310, 1_050, 1, 48, 1), (1_320, 1_050, 0, 0, 0),
                  (1_330, 1_060, 1, 46, 1)]
        rows = [(1_000, 2_000, None, None, None)]
        p = self.analyse.daemon_parts(rows, probes, "pedal_evdev_read_events", events)
        self.assertEqual(p["edge_to_kernel_timestamp"]["median"], 0.05)
        self.assertEqual(p["edge_to_read"]["median"], 0.2)
        self.assertEqual(p["read_to_write_control"]["median"], 0.5)
        self.assertEqual(p["write_control_to_issued"]["median"], 0.3)
        self.assertEqual(p["steps_before_write"], {"engine_step": 1.0})

    def test_gpio_edge_has_no_kernel_stamp_row(self):
        probes = {"pedal_backend_read_events": [1_100], "pen_link_write_control": [1_700]}
        p = self.analyse.daemon_parts([(1_000, 2_000, None, None, None)], probes)
        self.assertNotIn("edge_to_kernel_timestamp", p)
        self.assertEqual(p["edge_to_read"]["median"], 0.1)

    def test_a_key_event_outside_the_edge_is_not_its_stamp(self):
        probes = {"pedal_evdev_read_events": [1_200], "pen_link_write_control": [1_700]}
        events = [(2_500, 2_400, 1, 48, 1)]  # read after the write: a later edge's
        p = self.analyse.daemon_parts([(1_000, 2_000, None, None, None)], probes,
                                      "pedal_evdev_read_events", events)
        self.assertEqual(p["edge_to_kernel_timestamp"]["n"], 0)


class Table(unittest.TestCase):
    def test_foot_switch_rows_follow_the_gpio_rows(self):
        analyse = load_analyse()
        s = analyse.stats([1000, 2000])
        parts = {"edge_to_read": s, "read_to_write_control": s, "write_control_to_issued": s,
                 "steps_before_write": {}}
        one = {k: s for k in ("total", "daemon", "bus", "radio", "pen")}
        lat = {"press": dict(one, daemon_parts=parts), "release": dict(one, daemon_parts=parts)}
        evdev_parts = dict(parts, edge_to_kernel_timestamp=s)
        lat_evdev = {"press": dict(one, daemon_parts=evdev_parts),
                     "release": dict(one, daemon_parts=evdev_parts)}
        fp = {"pss_kb": 1, "private_kb": 1, "cpu_percent": 0.0, "switches_per_s": 0.0,
              "switches_per_heartbeat": None, "syscalls_per_s": None,
              "syscalls_per_heartbeat": None, "max_heartbeat_gap_ms": None}
        rec = {"pen_drop": {k: s for k in ("total", "drop_to_link_down", "link_down_to_advertising",
                                           "advertising_to_create", "create_to_link_up",
                                           "link_up_to_connected")},
               "bluetoothd_restart": {k: s for k in ("total", "active_to_connected",
                                                     "link_up_to_connected")}}
        r = {"header": {"mode": "quick", "commit": "c", "date": "d", "debounce_ms": 0},
             "latency": lat, "latency_evdev": lat_evdev,
             "footprint": {k: fp for k in ("no-pen", "pen-idle", "motor-running")},
             "heartbeat_gap_during_presses_ms": 1.0, "heartbeat_gap_during_evdev_presses_ms": 2.0,
             "ready": s, "reconnect": rec, "problems": []}
        lines = analyse.table(r).splitlines()
        titles = [l.split("  ")[0] for l in lines if l.startswith(("press:", "release:"))]
        self.assertEqual(titles, ["press: pedal -> pen motor on", "release: pedal -> pen motor off",
                                  "press: USB foot switch -> pen motor on",
                                  "release: USB foot switch -> pen motor off"])
        self.assertTrue(any(l.startswith("latency, ms (edge = uinput event written)") for l in lines))
        self.assertEqual(sum("edge -> the event's kernel timestamp" in l for l in lines), 2)
        self.assertEqual(sum("penctld reads the line event" in l for l in lines), 2)
        self.assertEqual(sum("penctld reads the key event" in l for l in lines), 2)


if __name__ == "__main__":
    unittest.main()
