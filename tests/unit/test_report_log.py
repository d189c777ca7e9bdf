#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
'''penctl log and penctl report on a clinic server's files: the journal of
two chairs and a third (tests/fixtures/report/day.export, made by
make_sessions.py day), written into journal files per chair by
systemd-journal-remote as a server holds them and read by the real
journalctl; without systemd-journal-remote, the same through the fake
journalctl that reads exports.  --day lists every chair's sessions of one
day, chairs told apart by _HOSTNAME and _MACHINE_ID; --directory, --file,
--chair pick the files and the chair; the report names the pen's model and
firmware when the records carry them.

Usage: test_report_log.py PENCTL_REPORT PENCTL FIXTURES_DIR'''

import json
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
from make_sessions import write_export  # noqa: E402

JOURNAL_REMOTE = '/lib/systemd/systemd-journal-remote'
REAL = os.access(JOURNAL_REMOTE, os.X_OK) and shutil.which('journalctl', path='/usr/bin:/bin')
CHAIR_1, CHAIR_2, CHAIR_3 = '1a' * 16, '2b' * 16, '3c' * 16
# The sessions that started on 2026-11-30 (UTC), in start order.
DAY = [('09:00:00', 'chair-1', CHAIR_1, 'S-1130-0001', 'alice'),
       ('09:30:00', 'chair-2', CHAIR_2, 'S-1130-0001', 'bob'),
       ('14:00:00', 'chair-1', CHAIR_1, 'S-1130-0002', 'alice'),
       ('16:15:00', 'chair-3', CHAIR_3, 'S-1130-0007', 'carol'),
       ('23:50:00', 'chair-2', CHAIR_2, 'S-1130-0004', 'bob')]


def flat(text):
    return ' '.join(text.split())


class ServerFilesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix='penctl-log-test-')
        cls.remote = os.path.join(cls.tmp, 'remote')
        os.makedirs(cls.remote)
        records = read_export(os.path.join(FIXTURES, 'day.export'))
        # One file per chair, as systemd-journal-remote keeps them.
        cls.files = []
        for host in ('chair-1', 'chair-2', 'chair-3'):
            export = os.path.join(cls.tmp, host + '.export')
            with open(export, 'wb') as f:
                write_export([{k.decode(): v.decode() for k, v in r.items()} for r in records
                              if r[b'_HOSTNAME'] == host.encode()], f)
            if REAL:
                path = os.path.join(cls.remote, f'remote-{host}.journal')
                subprocess.run([JOURNAL_REMOTE, '-o', path, export], check=True,
                               capture_output=True)
            else:
                path = os.path.join(cls.remote, host + '.export')
                shutil.copy(export, path)
            cls.files.append(path)
        cls.env = dict(os.environ, TZ='UTC', LC_ALL='C.UTF-8')
        # No daemon to ask: a private, empty system bus address.
        cls.env['DBUS_SYSTEM_BUS_ADDRESS'] = 'unix:path=' + os.path.join(cls.tmp, 'no-bus')
        if REAL:
            cls.env['PATH'] = '/usr/bin:/bin'
        else:
            bindir = os.path.join(cls.tmp, 'bin')
            os.makedirs(bindir)
            shutil.copy(os.path.join(FIXTURES, 'fake_journalctl.py'),
                        os.path.join(bindir, 'journalctl'))
            os.chmod(os.path.join(bindir, 'journalctl'), 0o755)
            cls.env.update(PATH=bindir + ':/usr/bin:/bin',
                           FAKE_JOURNALCTL_ARGV=os.path.join(cls.tmp, 'argv'))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def penctl(self, *args, program=None):
        p = subprocess.run([program or PENCTL, *args], env=self.env, capture_output=True,
                           text=True, timeout=60, cwd=self.tmp)
        return p.returncode, p.stdout, p.stderr

    # ---- --day ----

    def test_day_lists_every_chairs_sessions_of_that_day_in_start_order(self):
        rc, out, err = self.penctl('log', '--day', '2026-11-30', '--directory', self.remote)
        self.assertEqual(rc, 0, err)
        lines = out.splitlines()
        self.assertEqual(len(lines), len(DAY), out)
        for line, (time, chair, machine, session, operator) in zip(lines, DAY):
            self.assertTrue(line.startswith(time), line)
            self.assertIn(f'{chair} ({machine[:8]})', line)
            self.assertIn(f'  {session}  {operator} ', line)
        # Other days and a user's forgery stay out.
        for absent in ('S-1129-0009', 'S-1201-0001', 'S-FORGED', 'mallory'):
            self.assertNotIn(absent, out)

    def test_day_gives_each_sessions_summary_and_state(self):
        rc, out, err = self.penctl('log', '--day', '2026-11-30', '--directory', self.remote)
        self.assertEqual(rc, 0, err)
        lines = out.splitlines()
        self.assertIn('ended: 03:20, needling 02:00, deepest 0.50 mm, 12000 strokes, '
                      'stops: pedal-released=1 pen-disconnected=1', lines[0])
        self.assertIn('cut short by a restart', lines[3])
        # Started at 23:50, ended after midnight: the day's, with its summary.
        self.assertIn('ended: 20:00', lines[4])

    def test_day_json_one_object_a_session_with_the_full_machine_id(self):
        rc, out, err = self.penctl('--json', 'log', '--day', '2026-11-30', '--directory',
                                   self.remote)
        self.assertEqual(rc, 0, err)
        sessions = [json.loads(line) for line in out.splitlines()]
        self.assertEqual([(s['chair'], s['machine_id'], s['session']) for s in sessions],
                         [(c, m, s) for _, c, m, s, _ in DAY])
        self.assertEqual(sessions[0]['start'], '2026-11-30T09:00:00Z')
        self.assertEqual(sessions[0]['state'], 'ended')
        self.assertEqual(sessions[0]['wall_ms'], 200000)
        self.assertEqual(sessions[3]['state'], 'cut short by a restart')
        self.assertNotIn('wall_ms', sessions[3])

    def test_day_of_one_chair(self):
        rc, out, err = self.penctl('log', '--day', '2026-11-30', '--directory', self.remote,
                                   '--chair', 'chair-2')
        self.assertEqual(rc, 0, err)
        self.assertEqual([line.split()[3] for line in out.splitlines()],
                         ['S-1130-0001', 'S-1130-0004'])
        self.assertNotIn('chair-1', out)

    def test_day_from_files(self):
        rc, out, err = self.penctl('log', '--day', '2026-11-30', '--file', self.files[0],
                                   '--file', self.files[2])
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(out.splitlines()), 3, out)
        self.assertNotIn('chair-2', out)

    def test_a_day_without_sessions_is_refused(self):
        rc, out, err = self.penctl('log', '--day', '2026-11-28', '--directory', self.remote)
        self.assertEqual(rc, 1, out + err)
        self.assertIn('no session started on 2026-11-28', err)

    def test_bad_combinations_are_usage_errors(self):
        for args in (('--day', '2026-02-30'), ('--day', '30.11.2026'), ('--day', '2026-11-30x'),
                     ('--day', '2026-11-30', '--session', 'S-1130-0001'),
                     ('--day', '2026-11-30', '--follow'),
                     ('--directory', self.remote, '--file', self.files[0])):
            rc, out, err = self.penctl('log', *args)
            self.assertEqual(rc, 2, f'{args}: {out}{err}')

    # ---- one session from the server's files ----

    def test_session_from_the_directory_of_one_chair(self):
        rc, out, err = self.penctl('log', '--directory', self.remote, '--session', 'S-1130-0001',
                                   '--chair', 'chair-2')
        self.assertEqual(rc, 0, err)
        self.assertIn('Session S-1130-0001 started by bob', out)
        self.assertNotIn('alice', out)
        self.assertEqual(len(out.splitlines()), 7, out)

    def test_one_session_id_on_two_chairs_is_refused_until_one_is_named(self):
        '''Their records would run together, as one treatment.'''
        rc, out, err = self.penctl('log', '--directory', self.remote, '--session', 'S-1130-0001')
        self.assertEqual(rc, 1, out + err)
        self.assertEqual(out, '')
        self.assertIn('chair-1, chair-2', err)
        self.assertIn('--chair', err)

    def test_default_session_is_the_chairs_last_not_the_local_daemons(self):
        rc, out, err = self.penctl('log', '--directory', self.remote, '--chair', 'chair-1')
        self.assertEqual(rc, 0, err)
        self.assertIn('Session S-1201-0001 started by alice', out)

    def test_session_from_a_file(self):
        rc, out, err = self.penctl('log', '--file', self.files[2], '--session', 'S-1130-0007')
        self.assertEqual(rc, 0, err)
        self.assertIn('session-interrupted', out)

    # ---- the pen's model and firmware in the report ----

    def report_text(self, *args):
        pdf = os.path.join(self.tmp, 'report.pdf')
        rc, out, err = self.penctl('--directory', self.remote, *args, '-o', pdf, program=REPORT)
        self.assertEqual(rc, 0, err)
        return flat(subprocess.run(['pdftotext', pdf, '-'], check=True,
                                   capture_output=True, text=True).stdout)

    @unittest.skipUnless(shutil.which('pdftotext'), 'needs pdftotext (poppler-utils)')
    def test_report_names_the_pen_model_and_firmware_when_recorded(self):
        text = self.report_text('--chair', 'chair-1', '--session', 'S-1130-0002')
        self.assertIn('F4:12:FA:6C:0B:21, model MN Pro 2, firmware 2.4.1', text)
        self.assertIn('chair-1', text)

    @unittest.skipUnless(shutil.which('pdftotext'), 'needs pdftotext (poppler-utils)')
    def test_report_without_model_and_firmware_names_the_address_only(self):
        text = self.report_text('--chair', 'chair-2', '--session', 'S-1130-0001')
        self.assertIn('F4:12:FA:6C:0B:21', text)
        self.assertIsNone(re.search(r'model|firmware', text), text)


if __name__ == '__main__':
    unittest.main(verbosity=2)
