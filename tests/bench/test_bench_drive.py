#!/usr/bin/python3
"""The benchmark driver's own defects (tests/system/guest/bench-drive.py), on the host.

/reconnect/records-in-one-read: journalctl may hand two records over in one
read (pen-disconnected and pen-connected flushed together); both must be
seen at once, not the second one only when a later record wakes the reader.
"""
import importlib.util
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
DRIVER = os.path.join(HERE, "..", "system", "guest", "bench-drive.py")


def load_driver():
    spec = importlib.util.spec_from_file_location("bench_drive", DRIVER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def record(event, mono_us):
    return '{"PENCTL_EVENT": "%s", "__MONOTONIC_TIMESTAMP": "%d"}' % (event, mono_us)


class JournalReader(unittest.TestCase):
    def setUp(self):
        self.drive = load_driver()

    def journal_printing(self, text):
        """A Journal whose journalctl is a process that writes TEXT in one
        write and then stays silent (as journalctl -f does between records)."""
        script = "import os, sys, time; os.write(1, sys.argv[1].encode()); time.sleep(30)"
        return self.drive.Journal([sys.executable, "-c", script, text])

    def test_records_in_one_read(self):
        journal = self.journal_printing(record("pen-disconnected", 100) + "\n" +
                                        record("pen-connected", 200) + "\n")
        try:
            self.assertEqual(journal.wait("pen-disconnected", 0, 5), 100)
            t0 = time.monotonic()
            self.assertEqual(journal.wait("pen-connected", 0, 5), 200)
            self.assertLess(time.monotonic() - t0, 1.0)
        finally:
            journal.close()

    def test_a_record_split_across_reads_is_whole(self):
        script = ("import os, time; os.write(1, b'{\"PENCTL_EVENT\": \"pen-con'); "
                  "time.sleep(0.2); os.write(1, b'nected\", \"__MONOTONIC_TIMESTAMP\": \"7\"}\\n'); "
                  "time.sleep(30)")
        journal = self.drive.Journal([sys.executable, "-c", script])
        try:
            self.assertEqual(journal.wait("pen-connected", 0, 5), 7)
        finally:
            journal.close()

    def test_nothing_is_none_after_the_timeout(self):
        journal = self.journal_printing(record("pen-disconnected", 100) + "\n")
        try:
            self.assertIsNone(journal.wait("pen-connected", 0, 0.3))
        finally:
            journal.close()


if __name__ == "__main__":
    unittest.main()
