# SPDX-License-Identifier: GPL-2.0-or-later
'''python-dbusmock template: bluez5 plus the peripheral side pensim uses.

python-dbusmock's bluez5 template (0.28.7) models a central: adapters,
devices, agents.  A GATT server registers through GattManager1 and
LEAdvertisingManager1 on the adapter, which bluez5 lacks.  This template is
bluez5 with one more mock method, AddGattAdapter(name, system_name), which
adds an adapter that also offers those two interfaces, and
AddStartingGattAdapter(name, system_name): the same, but powered off and
answering org.bluez.Error.Busy to Set(Powered), as a bluetoothd that has
just started and is powering it on itself; the test then sets Powered with
org.freedesktop.DBus.Mock.UpdateProperties.  Their methods only
record the call (read them back with GetMethodCalls); the test then talks to
the registered application itself, as bluetoothd would.

Test-only: nothing in penctld or pensim imports it.
'''

import dbus

from dbusmock import OBJECT_MANAGER_IFACE, mockobject
# Re-export everything bluez5 defines (BUS_NAME, MAIN_OBJ, SYSTEM_BUS, its
# mock methods such as AddAdapter/AddDevice/ConnectDevice): dbusmock exports
# every decorated function of a template module.
from dbusmock.templates.bluez5 import *  # noqa: F401,F403
from dbusmock.templates import bluez5

GATT_MANAGER_IFACE = 'org.bluez.GattManager1'
ADV_MANAGER_IFACE = 'org.bluez.LEAdvertisingManager1'


def load(mock, parameters):
    bluez5.load(mock, parameters)


@dbus.service.method(bluez5.BLUEZ_MOCK_IFACE,
                     in_signature='ss', out_signature='s')
def AddGattAdapter(self, device_name, system_name):
    '''AddAdapter, plus GattManager1 and LEAdvertisingManager1.'''
    path = bluez5.AddAdapter(self, device_name, system_name)
    adapter = mockobject.objects[path]

    # An interface without properties still belongs in GetManagedObjects.
    adapter.props.setdefault(GATT_MANAGER_IFACE, {})
    adapter.AddMethods(GATT_MANAGER_IFACE, [
        ('RegisterApplication', 'oa{sv}', '', ''),
        ('UnregisterApplication', 'o', '', ''),
    ])
    adapter.AddProperties(ADV_MANAGER_IFACE, {
        'ActiveInstances': dbus.Byte(0),
        'SupportedInstances': dbus.Byte(5),
        'SupportedIncludes': dbus.Array(['tx-power', 'appearance', 'local-name'],
                                        signature='s'),
    })
    adapter.AddMethods(ADV_MANAGER_IFACE, [
        ('RegisterAdvertisement', 'oa{sv}', '', ''),
        ('UnregisterAdvertisement', 'o', '', ''),
    ])

    manager = mockobject.objects['/']
    manager.EmitSignal(OBJECT_MANAGER_IFACE, 'InterfacesAdded', 'oa{sa{sv}}', [
        dbus.ObjectPath(path),
        {GATT_MANAGER_IFACE: {}, ADV_MANAGER_IFACE: {}},
    ])
    return path


@dbus.service.method(bluez5.BLUEZ_MOCK_IFACE,
                     in_signature='ss', out_signature='s')
def AddStartingGattAdapter(self, device_name, system_name):
    '''AddGattAdapter, powered off, and Set(Powered) answers Busy.'''
    path = AddGattAdapter(self, device_name, system_name)
    adapter = mockobject.objects[path]
    # Before this call returns, so nobody lists it powered.
    adapter.props[bluez5.ADAPTER_IFACE]['Powered'] = dbus.Boolean(False, variant_level=1)
    adapter.AddMethod(dbus.PROPERTIES_IFACE, 'Set', 'ssv', '',
                      'raise dbus.exceptions.DBusException("powering on", '
                      'name="org.bluez.Error.Busy")')
    return path
