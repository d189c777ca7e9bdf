#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
'''penctl report end to end: the PDF made from a recorded journal export
(tests/fixtures/report/clinic.export) holds every fact of the session as
text (pdftotext) and draws its plot (pixels of a pdftoppm rendering); a
generated 3-hour session with hundreds of stops lays out without overflow
or overlap; chairs are told apart; penctl's records only.

Usage: test_report_pdf.py PENCTL_REPORT PENCTL FIXTURES_DIR'''

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

REPORT, PENCTL, FIXTURES = (os.path.abspath(a) for a in sys.argv[1:4])
del sys.argv[1:4]
sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, FIXTURES)
from fake_journalctl import read_export  # noqa: E402

SESSION = 'S-0124-0007'
JOURNAL_REMOTE = '/lib/systemd/systemd-journal-remote'
# cli/penctl_report_page.h, _plot.[ch]: A4, 42 pt margins, the time axis from 46 pt
# in to 4 pt short of the right margin; its colours.
PAGE_W = 595.276
PAGE_H = 841.89
PLOT_X0 = 42 + 46
PLOT_X1 = PAGE_W - 42 - 4
LIMIT_RGB = (0xd6, 0x27, 0x28)
BAND_RGB = (0xb3, 0xe0, 0xad)
DEPTH_RGB = (0x1f, 0x5f, 0xbf)
NORMAL_STOPS = ('pedal-released', 'pedal-latched-off', 'session-stopped')


def flat(text):
    '''One line; a word wrapped after its hyphen ("pen-" / "fault") joined.'''
    return re.sub(r'(\w)- (?=\w)', r'\1-', ' '.join(text.split()))


def session_records(path, session):
    return [{k.decode(): v.decode() for k, v in r.items()} for r in read_export(path)
            if r.get(b'PENCTL_SESSION') == session.encode()
            and r.get(b'_SYSTEMD_UNIT') == b'penctld.service']


def read_ppm(path):
    with open(path, 'rb') as f:
        data = f.read()
    m = re.match(rb'P6\s+(\d+)\s+(\d+)\s+(\d+)\s', data)
    width, height = int(m.group(1)), int(m.group(2))
    return width, height, data[m.end():]


def near(pixel, rgb, tolerance=24):
    return sum(abs(a - b) for a, b in zip(pixel, rgb)) <= tolerance


class ReportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix='penctl-report-test-')
        bindir = os.path.join(cls.tmp, 'bin')
        os.makedirs(bindir)
        shutil.copy(os.path.join(FIXTURES, 'fake_journalctl.py'), os.path.join(bindir, 'journalctl'))
        os.chmod(os.path.join(bindir, 'journalctl'), 0o755)
        cls.argv_file = os.path.join(cls.tmp, 'journalctl.argv')
        cls.env = dict(os.environ, PATH=bindir + ':/usr/bin:/bin', TZ='UTC', LC_ALL='C.UTF-8',
                       FAKE_JOURNALCTL_ARGV=cls.argv_file)
        cls.clinic = os.path.join(FIXTURES, 'clinic.export')
        for kind in ('short', 'long'):
            with open(os.path.join(cls.tmp, kind + '.export'), 'wb') as f:
                subprocess.run(['/usr/bin/python3', os.path.join(FIXTURES, 'make_sessions.py'),
                                kind], stdout=f, check=True)
        cls.pdf = os.path.join(cls.tmp, 'clinic.pdf')
        cls.png = os.path.join(cls.tmp, 'clinic.png')
        # Through penctl, as a person types it.
        rc, out, err = cls.run_report(PENCTL, 'report', '--file', cls.clinic, '--session',
                                      SESSION, '-o', cls.pdf, '--png', cls.png)
        assert rc == 0, err
        cls.text = cls.pdftotext(cls.pdf)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def run_report(cls, program, *args, env=None):
        open(cls.argv_file, 'w', encoding='utf-8').close()
        p = subprocess.run([program, *args], env=env or cls.env, capture_output=True,
                           text=True, timeout=120, cwd=cls.tmp)
        return p.returncode, p.stdout, p.stderr

    @staticmethod
    def pdftotext(pdf, *options):
        return subprocess.run(['pdftotext', '-layout', *options, pdf, '-'], check=True,
                              capture_output=True, text=True).stdout

    @staticmethod
    def pages(pdf):
        info = subprocess.run(['pdfinfo', pdf], check=True, capture_output=True,
                              text=True).stdout
        return int(re.search(r'^Pages:\s+(\d+)', info, re.M).group(1))

    def journalctl_argv(self):
        with open(self.argv_file, encoding='utf-8') as f:
            return f.read().split('\n')

    # ---- the facts ----

    def test_header_names_who_where_and_with_what(self):
        text = flat(self.text)
        for fact in ('Saturday 24 January 2026', '10:30:05 to 10:38:20', 'chair-3',
                     'alice (role aesthetician)', 'face', 'C-1042', 'F4:12:FA:6C:0B:21',
                     'a1b2c3d4e5f60718', f'{SESSION} (ended)'):
            self.assertIn(fact, text)

    def test_summary_gives_times_depth_strokes_and_every_stop_reason(self):
        records = session_records(self.clinic, SESSION)
        end = next(r for r in records if r['PENCTL_EVENT'] == 'session-end')
        text = flat(self.text)
        self.assertIn('Session time: 8:15', text)
        self.assertIn('Needling time: 5:14', text)
        self.assertIn('Deepest: 1.20 mm', text)
        self.assertIn(f'Strokes: {end["PENCTL_STROKES"]}', text)
        stops = dict(item.split('=') for item in end['PENCTL_STOPS'].split())
        self.assertGreaterEqual(len(stops), 11)
        for reason, count in stops.items():
            self.assertIn(f'{reason} {count}', text)
        refusals = sum(1 for r in records if r['PENCTL_EVENT'].endswith('-refused'))
        forced = sum(1 for r in records if r['PENCTL_EVENT'] == 'motor-stop'
                     and r['PENCTL_REASON'] not in NORMAL_STOPS)
        self.assertIn(f'Refusals: {refusals}', text)
        self.assertIn(f'Forced stops: {forced}', text)

    def test_every_record_of_the_session_is_in_the_event_list(self):
        '''Each record's message whole (the plot shows the motor starts).'''
        text = flat(self.text)
        for record in session_records(self.clinic, SESSION):
            if record['PENCTL_EVENT'] == 'motor-start':
                continue
            self.assertIn(flat(record['MESSAGE']), text, record['PENCTL_EVENT'])

    def test_advisory_contraindications_and_aftercare(self):
        text = flat(self.text)
        self.assertIn('Advisory: this session went deeper than 1.00 mm', text)
        self.assertIn('anesthetic advisory above 1.00 mm', text)
        self.assertIn('Contraindications:', text)
        self.assertIn('apply sunscreen every day', text)
        self.assertIn('no make-up for 24 hours', text)
        self.assertIn('single-use', text)

    def test_only_this_sessions_penctld_records(self):
        '''A forged record (a user's logger --journald) and another chair's
        session in the same journal stay out.'''
        self.assertNotIn('FORGED', self.text)
        self.assertNotIn('S-0124-0031', self.text)
        self.assertNotIn('bob', self.text)

    def test_journalctl_reads_the_given_file_for_penctld_only(self):
        self.run_report(REPORT, '--file', self.clinic, '--session', SESSION, '-o',
                        os.path.join(self.tmp, 'again.pdf'))
        argv = self.journalctl_argv()
        self.assertIn('--file=' + self.clinic, argv)
        self.assertIn('_SYSTEMD_UNIT=penctld.service', argv)
        self.assertIn('PENCTL_SESSION=' + SESSION, argv)

    def test_default_is_the_last_session_started(self):
        rc, out, err = self.run_report(REPORT, '--file', self.clinic, '-o',
                                       os.path.join(self.tmp, 'last.pdf'))
        self.assertEqual(rc, 0, err)
        self.assertIn('PENCTL_EVENT=session-start', self.journalctl_argv())
        self.assertIn('S-0124-0031', self.pdftotext(os.path.join(self.tmp, 'last.pdf')))

    # ---- the plot ----

    def test_plot_draws_limit_depth_and_motor_bands_where_the_motor_ran(self):
        ppm = os.path.join(self.tmp, 'page1')
        subprocess.run(['pdftoppm', '-r', '72', '-f', '1', '-l', '1', '-singlefile', self.pdf,
                        ppm], check=True)
        width, height, data = read_ppm(ppm + '.ppm')

        def pixel(x, y):
            i = (y * width + x) * 3
            return data[i:i + 3]

        band_column = [sum(near(pixel(x, y), BAND_RGB) for y in range(height)) >= 60
                       for x in range(width)]
        limit_rows = [sum(near(pixel(x, y), LIMIT_RGB, 60) for x in range(width))
                      for y in range(height)]
        depth_pixels = sum(near(pixel(x, y), DEPTH_RGB, 60)
                           for y in range(height) for x in range(0, width))
        self.assertGreater(max(limit_rows), 150, 'no limit line')
        self.assertGreater(depth_pixels, 150, 'no depth line')

        records = session_records(self.clinic, SESSION)
        t0 = int(records[0]['__REALTIME_TIMESTAMP'])
        duration = max(int(r['__REALTIME_TIMESTAMP']) for r in records) - t0
        x_of = lambda us: int(round(PLOT_X0 + (PLOT_X1 - PLOT_X0) * (us - t0) / duration))  # noqa: E731
        runs, since = [], None
        for r in records:
            t = int(r['__REALTIME_TIMESTAMP'])
            if r['PENCTL_EVENT'] == 'motor-start':
                since = t
            elif r['PENCTL_EVENT'] == 'motor-stop' and since is not None:
                runs.append((since, t))
                since = None
        checked_on = checked_off = 0
        for start, stop in runs:
            if stop - start >= 8_000_000:
                self.assertTrue(band_column[x_of((start + stop) // 2)],
                                f'no motor-on band at {(start - t0) / 1e6:.0f} s')
                checked_on += 1
        for (_, stop), (start, _) in zip(runs, runs[1:]):
            if start - stop >= 8_000_000:
                self.assertFalse(band_column[x_of((start + stop) // 2)],
                                 f'a motor-on band where the motor was off at '
                                 f'{(stop - t0) / 1e6:.0f} s')
                checked_off += 1
        self.assertGreater(checked_on, 5)
        self.assertGreater(checked_off, 5)

    def test_png_is_page_one(self):
        with open(self.png, 'rb') as f:
            self.assertEqual(f.read(8), b'\x89PNG\r\n\x1a\n')

    # ---- layout ----

    def test_a_thirty_second_session_lays_out(self):
        pdf = os.path.join(self.tmp, 'short.pdf')
        rc, out, err = self.run_report(REPORT, '--file', os.path.join(self.tmp, 'short.export'),
                                       '-o', pdf)
        self.assertEqual(rc, 0, err)
        self.assertLessEqual(self.pages(pdf), 2)
        text = flat(self.pdftotext(pdf))
        self.assertIn('pedal-released 2', text)
        self.assertIn('0:30', text)
        self.assert_no_overflow_or_overlap(pdf)

    def assert_no_overflow_or_overlap(self, pdf):
        html = subprocess.run(['pdftotext', '-bbox', pdf, '-'], check=True, capture_output=True,
                              text=True).stdout
        for n, page in enumerate(html.split('<page ')[1:], 1):
            words = [tuple(float(v) for v in m.groups()[:4]) + (m.group(5),) for m in re.finditer(
                r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)',
                page)]
            self.assertTrue(words, f'page {n} is empty')
            for x0, y0, x1, y1, word in words:
                self.assertTrue(30 <= x0 and x1 <= PAGE_W - 30 and 30 <= y0 and
                                y1 <= PAGE_H - 20, f'page {n}: "{word}" overflows the page')
            words.sort(key=lambda w: w[1])
            for i, a in enumerate(words):
                for b in words[i + 1:]:
                    if b[1] >= a[3] - 0.5:
                        break
                    overlap_x = min(a[2], b[2]) - max(a[0], b[0])
                    overlap_y = min(a[3], b[3]) - max(a[1], b[1])
                    self.assertFalse(overlap_x > 0.8 and overlap_y > 0.8,
                                     f'page {n}: "{a[4]}" overlaps "{b[4]}"')

    def test_a_three_hour_session_with_hundreds_of_stops_lays_out(self):
        export = os.path.join(self.tmp, 'long.export')
        pdf = os.path.join(self.tmp, 'long.pdf')
        rc, out, err = self.run_report(REPORT, '--file', export, '-o', pdf)
        self.assertEqual(rc, 0, err)
        records = session_records(export, 'S-0124-0100')
        stops = [r for r in records if r['PENCTL_EVENT'] == 'motor-stop']
        self.assertGreater(len(stops), 300)
        self.assertTrue(3 <= self.pages(pdf) <= 40, self.pages(pdf))
        text = self.pdftotext(pdf)
        flat_text = flat(text)
        end = next(r for r in records if r['PENCTL_EVENT'] == 'session-end')
        for item in end['PENCTL_STOPS'].split():
            reason, count = item.split('=')
            self.assertIn(f'{reason} {count}', flat_text)
        self.assertEqual(len(re.findall(r'\bmotor-stop\b', text)), len(stops))
        self.assertIn('Session time: 3:00:00', flat_text)
        self.assert_no_overflow_or_overlap(pdf)
        # Page 2 draws it again in strips, each with its runs and limit.
        self.assertIn('Timeline in detail', text)
        self.assertIn('0:00 to 15:00', flat_text)
        ppm = os.path.join(self.tmp, 'long-page2')
        subprocess.run(['pdftoppm', '-r', '72', '-f', '2', '-l', '2', '-singlefile', pdf, ppm],
                       check=True)
        width, height, data = read_ppm(ppm + '.ppm')
        strips = [y for y in range(height)
                  if sum(near(data[(y * width + x) * 3:(y * width + x) * 3 + 3], LIMIT_RGB, 60)
                         for x in range(width)) > 300]
        self.assertGreaterEqual(len(strips), 4, 'page 2 lacks its strips\' limit lines')
        band_columns = sum(1 for x in range(width)
                           if sum(near(data[(y * width + x) * 3:(y * width + x) * 3 + 3], BAND_RGB)
                                  for y in range(height)) >= 100)
        self.assertGreater(band_columns, 150, 'page 2 lacks its motor-on bands')

    def test_the_clinic_session_lays_out(self):
        self.assert_no_overflow_or_overlap(self.pdf)

    # ---- chairs, and a chair without penctl-report ----

    def test_chairs_are_told_apart_by_hostname(self):
        '''A clinic server's journal directory where two chairs used the
        same session id: refused until --chair names one.'''
        directory = os.path.join(self.tmp, 'remote')
        os.makedirs(directory, exist_ok=True)
        shutil.copy(self.clinic, os.path.join(directory, 'chair-3.export'))
        with open(self.clinic, 'rb') as f:
            other = f.read().replace(b'_HOSTNAME=chair-3', b'_HOSTNAME=chair-9')
        other = other.replace(str(1769250605).encode(), str(1769260605).encode())
        with open(os.path.join(directory, 'chair-9.export'), 'wb') as f:
            f.write(other)
        pdf = os.path.join(self.tmp, 'chair.pdf')
        rc, out, err = self.run_report(REPORT, '--directory', directory, '--session', SESSION,
                                       '-o', pdf)
        self.assertEqual(rc, 1, out + err)
        self.assertIn('chair-3', err)
        self.assertIn('chair-9', err)
        self.assertIn('--chair', err)

        rc, out, err = self.run_report(REPORT, '--directory', directory, '--session', SESSION,
                                       '--chair', 'chair-9', '-o', pdf)
        self.assertEqual(rc, 0, err)
        argv = self.journalctl_argv()
        self.assertIn('--directory=' + directory, argv)
        self.assertIn('_HOSTNAME=chair-9', argv)
        text = flat(self.pdftotext(pdf))
        self.assertIn('chair-9', text)
        self.assertNotIn('chair-3', text)

    @unittest.skipUnless(os.access(JOURNAL_REMOTE, os.X_OK) and shutil.which('journalctl'),
                         'needs systemd-journal-remote and journalctl')
    def test_a_real_journal_directory_as_a_clinic_server_holds_it(self):
        '''The export written into a real journal file by
        systemd-journal-remote, read by the real journalctl.'''
        directory = os.path.join(self.tmp, 'var-log-journal-remote')
        os.makedirs(directory, exist_ok=True)
        with open(self.clinic, 'rb') as f:
            subprocess.run([JOURNAL_REMOTE, '-o', os.path.join(directory, 'remote-chair-3.journal'),
                            '-'], stdin=f, check=True, capture_output=True)
        pdf = os.path.join(self.tmp, 'real.pdf')
        env = dict(self.env, PATH='/usr/bin:/bin')
        rc, out, err = self.run_report(REPORT, '--directory', directory, '--session', SESSION,
                                       '--chair', 'chair-3', '-o', pdf, env=env)
        self.assertEqual(rc, 0, err)
        text = flat(self.pdftotext(pdf))
        self.assertIn('Strokes: 31400', text)
        self.assertIn('wall-budget 1', text)
        self.assertNotIn('FORGED', text)
        # Without --session: the newest session started, on any chair.
        rc, out, err = self.run_report(REPORT, '--directory', directory, '-o', pdf, env=env)
        self.assertEqual(rc, 0, err)
        self.assertIn('S-0124-0031', flat(self.pdftotext(pdf)))

    def test_penctl_report_without_penctl_report_installed(self):
        alone = os.path.join(self.tmp, 'alone')
        os.makedirs(alone, exist_ok=True)
        shutil.copy(PENCTL, os.path.join(alone, 'penctl'))
        rc, out, err = self.run_report(os.path.join(alone, 'penctl'), 'report',
                                       env=dict(self.env, PATH=alone + ':/usr/bin:/bin'))
        self.assertEqual(rc, 69, out + err)
        self.assertIn('penctl-report', err)


if __name__ == '__main__':
    unittest.main(verbosity=2)
