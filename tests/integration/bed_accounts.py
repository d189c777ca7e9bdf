# SPDX-License-Identifier: GPL-2.0-or-later
'''The system groups and users a bed test needs, made before the bed starts
and removed after: only those the test made, never one that was there.

dbus-daemon resolves the policy's group names when it starts, so the groups
must exist before the bed's bus does; hence a mixin whose setUp makes them
before the test class's own setUp.'''

import grp
import pwd
import subprocess


class BedAccounts:
    '''Groups and users made for one test; remove() takes back what it made.'''

    def __init__(self):
        self.groups, self.users = [], []

    def group(self, name):
        '''The group's id; the group is made if it is not there.'''
        try:
            return grp.getgrnam(name).gr_gid
        except KeyError:
            subprocess.run(['groupadd', '--system', name], check=True)
            self.groups.append(name)
            return grp.getgrnam(name).gr_gid

    def user(self, name, groups=()):
        '''A system user without a home; an existing one gets exactly these
        supplementary groups when some are given.'''
        try:
            pwd.getpwnam(name)
            if groups:
                subprocess.run(['usermod', '--groups', ','.join(groups), name], check=True)
        except KeyError:
            subprocess.run(['useradd', '--system', '--no-create-home', '--user-group',
                            '--shell', '/usr/sbin/nologin']
                           + (['--groups', ','.join(groups)] if groups else []) + [name],
                           check=True)
            self.users.append(name)

    def remove(self):
        for user in self.users:
            subprocess.run(['userdel', user], check=False)
        for group in reversed(self.groups):
            subprocess.run(['groupdel', group], check=False)
        self.groups, self.users = [], []


class WithBedAccounts:
    '''Mixin (list it before the test base class): make_accounts(accounts)
    runs before the base class's setUp; what it made is removed after the
    base class's tearDown, or at once when the set-up fails.'''

    def make_accounts(self, accounts):
        raise NotImplementedError

    def setUp(self):
        self.accounts = BedAccounts()
        try:
            self.make_accounts(self.accounts)
            super().setUp()
        except BaseException:
            self.accounts.remove()
            raise

    def tearDown(self):
        try:
            super().tearDown()
        finally:
            self.accounts.remove()
