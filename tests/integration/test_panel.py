#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
'''penctl-panel as a person sees it.

The panel ($PENCTL_PANEL) runs on a headless X server (Xvfb) against the
integration bed (test_daemon_cli.py: a private system bus, the mock
bluetoothd and the real penctld).  What it shows is read back through the
accessibility tree (AT-SPI, the bus a screen reader uses), and its buttons
are pressed the same way.  Screenshots go to $PENCTL_PANEL_SHOTS (the build
directory), taken by the panel itself (--screenshot, SIGUSR1).

Needs Xvfb (xvfb), the AT-SPI bus (at-spi2-core) and its introspection
data (gir1.2-atspi-2.0, python3-gi); without them it exits 77 (skipped).
It runs in a session bus of its own (dbus-run-session), where the
accessibility bus is started.
'''

import atexit
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

PANEL = os.environ.get('PENCTL_PANEL', '')
SHOTS = os.environ.get('PENCTL_PANEL_SHOTS', '')
SKIP = 77


def missing():
    '''What this test cannot run without, or None.'''
    if not PANEL or not os.access(PANEL, os.X_OK):
        return 'set PENCTL_PANEL to the built penctl-panel'
    for program, package in (('Xvfb', 'xvfb'), ('dbus-run-session', 'dbus-bin')):
        if not shutil.which(program):
            return f'{program} is missing (install {package})'
    if not os.path.exists('/usr/libexec/at-spi-bus-launcher'):
        return 'the AT-SPI bus is missing (install at-spi2-core)'
    try:
        import gi  # pylint: disable=import-outside-toplevel
        gi.require_version('Atspi', '2.0')
        from gi.repository import Atspi  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
    except (ImportError, ValueError):
        return 'AT-SPI for python is missing (install gir1.2-atspi-2.0 python3-gi)'
    return None


if __name__ == '__main__':
    WHY = missing()
    if WHY:
        print(f'SKIP: {WHY}')
        sys.exit(SKIP)
    if not os.environ.get('PENCTL_PANEL_TEST_SESSION'):
        # A session bus of our own: the accessibility bus is found there.
        os.environ['PENCTL_PANEL_TEST_SESSION'] = '1'
        os.execvp('dbus-run-session', ['dbus-run-session', '--', sys.executable,
                                       os.path.abspath(__file__), *sys.argv[1:]])

# pylint: disable=wrong-import-position
import dbus  # noqa: E402
import gi  # noqa: E402
gi.require_version('Atspi', '2.0')
from gi.repository import Atspi  # noqa: E402

from test_daemon_cli import (DaemonCliTest, NOBODY, PEN, POLICY, config_text,  # noqa: E402
                             sanitizer_report)
from test_watch import daemon_has_event_signal  # noqa: E402
from bed_accounts import WithBedAccounts  # noqa: E402

WAIT = 20.0

# The accessibility bus of this run, as at-spi2-core's own
# (accessibility.conf) but open to every uid: the view-only test runs the
# panel as another account, which the stock bus (root and its owner only)
# would turn away.  GTK and libatspi both take AT_SPI_BUS_ADDRESS first.
A11Y_CONFIG = '''<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>accessibility</type>
  <auth>EXTERNAL</auth>
  <listen>unix:path={socket}</listen>
  <policy context="default">
    <allow user="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
'''


def start_accessibility_bus():
    '''A dbus-daemon for AT-SPI; its address in AT_SPI_BUS_ADDRESS.'''
    directory = tempfile.mkdtemp(prefix='penctl-a11y-')
    os.chmod(directory, 0o755)
    config = os.path.join(directory, 'accessibility.conf')
    with open(config, 'w', encoding='utf-8') as f:
        f.write(A11Y_CONFIG.format(socket=os.path.join(directory, 'bus')))
    log = open(os.path.join(directory, 'bus.log'), 'w')  # pylint: disable=consider-using-with
    proc = subprocess.Popen(['dbus-daemon', '--config-file', config, '--nofork',  # pylint: disable=consider-using-with
                             '--print-address=1'], stdout=subprocess.PIPE, stderr=log,
                            universal_newlines=True)
    os.environ['AT_SPI_BUS_ADDRESS'] = proc.stdout.readline().strip()
    # The registry, started here rather than by bus activation, so that it
    # knows its bus (an activated one would look for the session's).
    registry = subprocess.Popen(['/usr/libexec/at-spi2-registryd'], stdout=log,  # pylint: disable=consider-using-with
                                stderr=subprocess.STDOUT)

    def stop():
        registry.terminate()
        registry.wait()
        proc.terminate()
        proc.wait()
        proc.stdout.close()
        log.close()
        shutil.rmtree(directory, ignore_errors=True)
    atexit.register(stop)


class Screen:
    '''A headless X server of its own (Xvfb picks a free display).'''

    def __init__(self, tmp):
        read_end, write_end = os.pipe()
        self.log = open(os.path.join(tmp, 'xvfb.log'), 'w')  # pylint: disable=consider-using-with
        self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
            # -ac: the view-only tests' panel runs as another account.
            ['Xvfb', '-displayfd', str(write_end), '-screen', '0', '1024x768x24', '-nolisten',
             'tcp', '-ac'], pass_fds=(write_end,), stdout=self.log, stderr=subprocess.STDOUT)
        os.close(write_end)
        with os.fdopen(read_end) as f:
            number = f.readline().strip()
        if not number:
            raise RuntimeError('Xvfb gave no display')
        self.display = ':' + number

    def close(self):
        self.proc.terminate()
        self.proc.wait()
        self.log.close()


class PanelTest(DaemonCliTest):
    '''The panel against the live daemon, read through AT-SPI.'''

    session_minutes = None  # a short session budget for the warning test
    warn_percent = None

    def setUp(self):
        super().setUp()
        self.screen = None
        self.panel = None
        try:
            self.screen = Screen(self.tmp)
            self.start_panel()
        except BaseException:
            self.tearDown()
            raise

    def tearDown(self):
        try:
            if self.panel:
                if self.panel.poll() is None:
                    self.signal_panel(signal.SIGTERM)
                try:
                    status = self.panel.wait(10)
                except subprocess.TimeoutExpired:
                    self.panel.kill()
                    status = self.panel.wait()
                self.panel_log.close()
                self.panel = None
                output = self.panel_output()
                self.assertIsNone(sanitizer_report(output), 'penctl-panel:\n' + output)
                self.assertNotIn('-CRITICAL **', output)
                self.assertEqual(status, 0, 'penctl-panel did not end cleanly:\n' + output)
            if self.screen:
                self.screen.close()
        finally:
            super().tearDown()

    def start_daemon(self):
        '''The bed's daemon, with a short session budget when a test asks.'''
        if self.session_minutes is not None:
            original = config_text

            def short_config(pen_address=''):
                text = original(pen_address)
                text = text.replace('MaxMinutes=60', f'MaxMinutes={self.session_minutes}')
                text = text.replace('MaxNeedlingMinutes=20',
                                    f'MaxNeedlingMinutes={self.session_minutes}')
                return text.replace('WarnPercent=80', f'WarnPercent={self.warn_percent}')
            globals_ = sys.modules['test_daemon_cli'].__dict__
            globals_['config_text'] = short_config
            try:
                super().start_daemon()
            finally:
                globals_['config_text'] = original
        else:
            super().start_daemon()

    panel_account = ()  # setpriv arguments: the account the panel runs as

    def start_panel(self):
        shots = os.path.join(self.tmp, 'shots')
        os.makedirs(shots, exist_ok=True)
        os.chmod(shots, 0o777)  # the panel's account writes there
        self.shot_path = os.path.join(shots, 'panel.png')
        env = dict(self.env, DISPLAY=self.screen.display, GDK_BACKEND='x11',
                   GSETTINGS_BACKEND='memory', GTK_A11Y='atspi',
                   AT_SPI_BUS_ADDRESS=os.environ['AT_SPI_BUS_ADDRESS'])
        env.pop('NO_AT_BRIDGE', None)
        if 'ASAN_OPTIONS' in env:
            # Sanitized build: memory errors and undefined behaviour count,
            # leaks not - GTK's and fontconfig's caches live as long as the
            # process.
            env['ASAN_OPTIONS'] += ':detect_leaks=0'
        self.panel_log_path = os.path.join(self.tmp, 'panel.log')
        self.panel_log = open(self.panel_log_path, 'w')  # pylint: disable=consider-using-with
        # Another account gets a session bus of its own (GtkApplication
        # registers there; this run's bus admits only its own uid).
        session = ('dbus-run-session', '--') if self.panel_account else ()
        self.panel = subprocess.Popen([*self.panel_account, *session, PANEL, '--screenshot',
                                       self.shot_path], env=env,
                                      stdout=self.panel_log, stderr=subprocess.STDOUT)
        self.wait_for('the panel in the accessibility tree', lambda: self.app() is not None,
                      timeout=WAIT)

    def panel_output(self):
        with open(self.panel_log_path, encoding='utf-8', errors='replace') as f:
            return f.read()

    # ---- the accessibility tree ----

    def app(self):
        self.assertIsNotNone(self.panel, 'the panel was stopped')
        self.assertIsNone(self.panel.poll(), 'penctl-panel exited:\n' + self.panel_output())
        pids = self.panel_pids()
        desktop = Atspi.get_desktop(0)
        for i in range(desktop.get_child_count()):
            app = desktop.get_child_at_index(i)
            if app is not None and app.get_process_id() in pids:
                return app
        return None

    def panel_pids(self):
        '''The panel's pid: the process started, or under dbus-run-session
        its child penctl-panel.'''
        pid = self.panel.pid
        if not self.panel_account:
            return {pid}
        try:
            with open(f'/proc/{pid}/task/{pid}/children', encoding='ascii') as f:
                children = [int(child) for child in f.read().split()]
        except OSError:
            return set()
        found = set()
        for child in children:
            try:
                with open(f'/proc/{child}/comm', encoding='ascii') as f:
                    if f.read().strip() == 'penctl-panel':
                        found.add(child)
            except OSError:
                pass
        return found

    def signal_panel(self, number):
        for pid in self.panel_pids():
            os.kill(pid, number)

    def nodes(self):
        '''Every visible accessible of the panel: (role name, name, node).'''
        app = self.app()
        if app is None:
            return []
        app.clear_cache()
        found = []

        def walk(node, depth):
            if node is None or depth > 40:
                return
            states = node.get_state_set()
            if depth > 1 and not states.contains(Atspi.StateType.VISIBLE):
                return
            found.append((node.get_role_name(), node.get_name() or '', node))
            for i in range(node.get_child_count()):
                walk(node.get_child_at_index(i), depth + 1)
        walk(app, 0)
        return found

    def texts(self):
        '''What a person reads: the text of every showing label.'''
        return [name for role, name, _ in self.nodes() if role == 'label' and name]

    def screen_text(self):
        return '\n'.join(self.texts())

    def wait_text(self, what, fragment, timeout=WAIT):
        try:
            self.wait_for(what, lambda: fragment in self.screen_text(), timeout=timeout)
        except AssertionError:
            self.screenshot(what.replace(' ', '-'))
            raise AssertionError(f'{what}: "{fragment}" not on screen:\n{self.screen_text()}'
                                 f'\n--- panel:\n{self.panel_output()}') from None

    def button(self, label):
        for role, name, node in self.nodes():
            if role in ('button', 'push button') and name == label:
                return node
        self.fail(f'no button "{label}" on screen: '
                  f'{[n for r, n, _ in self.nodes() if "button" in r]}')
        return None

    def press(self, label):
        node = self.button(label)
        self.assertTrue(node.get_state_set().contains(Atspi.StateType.SENSITIVE),
                        f'"{label}" is not sensitive')
        action = node  # Atspi.Accessible implements Action (get_action_iface is deprecated)
        self.assertGreater(action.get_n_actions(), 0, f"\"{label}\" has no action")
        action.do_action(0)

    def screenshot(self, name):
        '''The panel saves itself (SIGUSR1); kept in $PENCTL_PANEL_SHOTS.'''
        if os.path.exists(self.shot_path):
            os.unlink(self.shot_path)
        self.signal_panel(signal.SIGUSR1)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.shot_path) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertTrue(os.path.exists(self.shot_path), 'no screenshot:\n' + self.panel_output())
        if SHOTS:
            os.makedirs(SHOTS, exist_ok=True)
            shutil.copy(self.shot_path, os.path.join(SHOTS, name + '.png'))
        return self.shot_path


class PanelShowsTheChairTest(PanelTest):
    '''A session from the panel: start, depth, refusal, stop.'''

    def test_a_depth_above_the_limit_is_refused_with_its_reason(self):
        self.wait_pen_connected()
        self.wait_text('the idle daemon', 'No session')
        self.wait_text('the pen', 'Pen: connected')
        self.start_session()  # home, face: limit 0.50 mm, starts at 0.30 mm
        self.wait_text('the session depth', '0.30 mm')
        self.wait_text('the limit', 'limit 0.50 mm')
        self.press('Depth + 0.1 mm')
        self.wait_text('the new depth', '0.40 mm')
        self.press('Depth + 0.1 mm')
        self.wait_text('the depth at the limit', '0.50 mm')
        self.wait_for('the depth property', lambda: int(self.prop('DepthUm')) == 500)
        self.press('Depth + 0.1 mm')
        self.wait_text('the refusal', 'Depth refused: 0.60 mm is above the limit 0.50 mm')
        self.assertEqual(int(self.prop('DepthUm')), 500)
        self.screenshot('panel-depth-refused')

    def test_stop_leaves_the_summary_and_the_after_care_on_screen(self):
        self.wait_pen_connected()
        self.wait_text('the idle daemon', 'No session')
        self.start_session()
        self.wait_text('the session', 'Needling left')
        self.press('Stop session')
        self.wait_text('the summary', 'ended.')
        self.wait_text('the after-care', 'sunscreen every day')
        self.assertIn('no make-up for 24 hours', self.screen_text())
        self.wait_text('the start form again', 'Operator')
        self.screenshot('panel-stopped')

    def test_a_dropped_pen_shows_and_the_reason(self):
        self.wait_pen_connected()
        self.start_session()
        self.wait_text('the session', 'Needling left')
        pens = dbus.Interface(self.bus.get_object('org.bluez', '/'), 'org.penctl.PenMock')
        pens.DropConnection(PEN)
        # The daemon reconnects at once: "Pen: NOT connected" may be gone
        # before it is read; the record's reason stays on screen.
        if daemon_has_event_signal(self.bus):
            self.wait_text('the reason', 'Pen disconnected')
        else:
            self.wait_text('the pen gone', 'Pen: NOT connected')
        self.screenshot('panel-pen-dropped')

    def test_it_says_when_penctld_is_gone_and_recovers(self):
        self.wait_pen_connected()
        self.wait_text('the idle daemon', 'No session')
        self.stop_daemon()
        self.wait_text('the daemon gone', 'penctld is not running')
        self.screenshot('panel-daemon-gone')
        self.start_daemon()
        self.wait_text('the daemon back', 'No session')
        self.assertNotIn('penctld is not running', self.screen_text())

    def daemon_has_conditions(self):
        props = self.bus.get_object('io.penctld.Penctl1', '/io/penctld/Penctl1').GetAll(
            'io.penctld.Penctl1', dbus_interface=dbus.PROPERTIES_IFACE)
        return 'Conditions' in props

    def test_bluetoothd_restarting_shows_and_recovers(self):
        self.wait_pen_connected()
        self.wait_text('the pen', 'Pen: connected')
        self.mock_proc.terminate()
        self.mock_proc.wait()
        self.mock_log.close()
        self.wait_text('the pen gone with bluetoothd', 'Pen: NOT connected')
        if self.daemon_has_conditions():
            self.wait_text('the condition and its fix', f'The paired pen is not connected: '
                           f'{PEN}: switch the pen on and bring it near')
            self.screenshot('panel-bluetoothd-gone')
        self.start_mock()
        self.wait_text('the pen back', 'Pen: connected', timeout=30)
        self.wait_for('the condition gone',
                      lambda: 'The paired pen is not connected' not in self.screen_text())


class PanelWarningTest(PanelTest):
    '''WarnPercent of a short session budget turns the time to a warning.'''

    session_minutes = '0.1'  # 6 s
    warn_percent = 50        # at 3 s

    def test_the_time_turns_to_a_warning_at_warn_percent(self):
        self.wait_pen_connected()
        if not daemon_has_event_signal(self.bus):
            self.skipTest('this penctld has no Event signal (limit-warning) yet')
        self.start_session()
        self.wait_text('the session', 'Session left 00:0')
        self.assertNotIn('Time warning', self.screen_text())
        self.assertFalse(png_has_colour(self.screenshot('panel-before-warning'), WARNING_RGB))
        # The daemon's limit-warning record comes at 3 s: words for the
        # ear, the warning colour (panel.css .time.warning) for the eye.
        self.wait_text('the warning', 'Time warning: 50 % of the session time used')
        self.assertTrue(png_has_colour(self.screenshot('panel-warning'), WARNING_RGB))


class PanelViewOnlyTest(PanelTest):
    '''An account outside group penctl sees and controls nothing.'''

    panel_account = ('setpriv', f'--reuid={NOBODY}', f'--regid={NOBODY}', '--clear-groups')

    def test_the_controls_say_why_they_are_not_there(self):
        self.wait_pen_connected()
        self.wait_text('the notice', 'View only: this account is not in group penctl')
        self.wait_text('the policy\'s answer', 'Permission denied')
        self.assertNotIn('Start session', [n for _, n, _ in self.nodes()])
        self.screenshot('panel-view-only-stranger')


class PanelViewGroupTest(WithBedAccounts, PanelTest):
    '''A member of penctl-view sees everything and controls nothing.'''

    def make_accounts(self, accounts):
        with open(POLICY, encoding='utf-8') as f:
            if 'group="penctl-view"' not in f.read():
                self.skipTest('this D-Bus policy has no read-only group penctl-view yet')
        gid = accounts.group('penctl-view')
        self.panel_account = ('setpriv', f'--reuid={NOBODY}', f'--regid={NOBODY}',
                              f'--groups={gid}')

    def test_it_sees_the_session_and_controls_nothing(self):
        self.wait_pen_connected()
        self.wait_text('the notice', 'View only: this account is not in group penctl')
        self.wait_text('the idle daemon', 'No session')
        self.start_session()
        self.wait_text('the session', 'limit 0.50 mm')
        for label in ('Depth + 0.1 mm', 'Stop session'):
            self.assertFalse(self.button(label).get_state_set().contains(
                Atspi.StateType.SENSITIVE), f'"{label}" is sensitive for a viewer')
        self.screenshot('panel-view-only')


WARNING_RGB = (0xff, 0xb3, 0x00)  # panel/panel.css: .time.warning


def png_has_colour(path, rgb):
    '''Whether the PNG at PATH has a pixel of colour RGB (GdkPixbuf).'''
    gi.require_version('GdkPixbuf', '2.0')
    from gi.repository import GdkPixbuf  # pylint: disable=import-outside-toplevel
    pixbuf = GdkPixbuf.Pixbuf.new_from_file(path)
    data = pixbuf.get_pixels()
    channels = pixbuf.get_n_channels()
    stride = pixbuf.get_rowstride()
    for y in range(0, pixbuf.get_height(), 2):
        row = y * stride
        for x in range(0, pixbuf.get_width(), 2):
            i = row + x * channels
            if tuple(data[i:i + 3]) == rgb:
                return True
    return False


if __name__ == '__main__':
    start_accessibility_bus()
    unittest.main()
