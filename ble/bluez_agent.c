// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pairing agent (org.bluez.Agent1), NoInputNoOutput: the pen has no
 * display and no keys.
 *
 * It is registered only while one device is being paired (pen_link_pair()
 * pairs the pen), and never as the default agent.  bluetoothd (src/device.c) sends the requests of a
 * Pair() to the agent of whoever called Pair(), and every other request
 * (a pairing the other side started, a device of another adapter, a
 * service authorization) to the default agent: the agent of the Pi's
 * desktop or of bluetoothctl, whose user is pairing a keyboard or
 * headphones.  penctld must not answer those.  An agent registered for
 * good would: bluetoothd (src/agent.c) makes the first agent registered
 * the default one, and the next one when the default agent leaves, even
 * without RequestDefaultAgent.
 *
 * While we pair and no other agent is registered, bluetoothd does make us
 * the default for that moment; a request for another device then gets the
 * answer bluetoothd gives when there is no agent at all: no.
 */
#include <string.h>

#include "bluez_agent.h"
#include "bluez_client.h"

#define BLUEZ_AGENT_MANAGER_INTERFACE  "org.bluez.AgentManager1"

struct bluez_agent {
	struct bluez_client *client;
	bluez_agent_confirmed confirmed;
	void *owner;
	guint object;
	char *pairing_path;               /* the agent accepts for this device only */
};

static const char agent_xml[] =
	"<node>"
	" <interface name='org.bluez.Agent1'>"
	"  <method name='Release'/>"
	"  <method name='RequestPinCode'>"
	"   <arg type='o' name='device' direction='in'/>"
	"   <arg type='s' name='pincode' direction='out'/>"
	"  </method>"
	"  <method name='DisplayPinCode'>"
	"   <arg type='o' name='device' direction='in'/>"
	"   <arg type='s' name='pincode' direction='in'/>"
	"  </method>"
	"  <method name='RequestPasskey'>"
	"   <arg type='o' name='device' direction='in'/>"
	"   <arg type='u' name='passkey' direction='out'/>"
	"  </method>"
	"  <method name='DisplayPasskey'>"
	"   <arg type='o' name='device' direction='in'/>"
	"   <arg type='u' name='passkey' direction='in'/>"
	"   <arg type='q' name='entered' direction='in'/>"
	"  </method>"
	"  <method name='RequestConfirmation'>"
	"   <arg type='o' name='device' direction='in'/>"
	"   <arg type='u' name='passkey' direction='in'/>"
	"  </method>"
	"  <method name='RequestAuthorization'>"
	"   <arg type='o' name='device' direction='in'/>"
	"  </method>"
	"  <method name='AuthorizeService'>"
	"   <arg type='o' name='device' direction='in'/>"
	"   <arg type='s' name='uuid' direction='in'/>"
	"  </method>"
	"  <method name='Cancel'/>"
	" </interface>"
	"</node>";

static bool is_pairing(const struct bluez_agent *agent, const char *device)
{
	return agent->pairing_path && device && strcmp(agent->pairing_path, device) == 0;
}

static void reject(GDBusMethodInvocation *invocation, const char *why)
{
	g_dbus_method_invocation_return_dbus_error(invocation, "org.bluez.Error.Rejected", why);
}

static void agent_method_call(GDBusConnection *bus, const char *sender, const char *path,
			      const char *interface, const char *method, GVariant *params,
			      GDBusMethodInvocation *invocation, gpointer user_data)
{
	struct bluez_agent *agent = user_data;
	g_autofree char *device = NULL;

	(void)bus, (void)path, (void)interface;
	/* Only bluetoothd may drive the agent. */
	if (g_strcmp0(sender, bluez_client_owner(agent->client)) != 0 || !sender) {
		reject(invocation, "not from bluetoothd");
		return;
	}
	/* GDBus checked the arguments against agent_xml: a device path
	 * comes first where there is one. */
	if (g_variant_n_children(params) > 0) {
		g_autoptr(GVariant) first = g_variant_get_child_value(params, 0);

		if (g_variant_is_of_type(first, G_VARIANT_TYPE_OBJECT_PATH))
			device = g_variant_dup_string(first, NULL);
	}

	if (strcmp(method, "Release") == 0 || strcmp(method, "Cancel") == 0) {
		g_info("agent: %s", method);
		g_dbus_method_invocation_return_value(invocation, NULL);
	} else if (strcmp(method, "RequestPinCode") == 0 ||
		   strcmp(method, "RequestPasskey") == 0) {
		/* NoInputNoOutput: we have nothing to type in. */
		g_info("agent: %s for %s rejected (no input)", method, device);
		reject(invocation, "no input capability");
	} else if (strcmp(method, "DisplayPinCode") == 0 ||
		   strcmp(method, "DisplayPasskey") == 0) {
		g_info("agent: %s for %s", method, device);
		g_dbus_method_invocation_return_value(invocation, NULL);
	} else if (!is_pairing(agent, device)) {
		/* Only while we pair, and only when bluetoothd has no other
		 * agent to ask (see the top of this file). */
		g_message("agent: %s for %s, which penctld is not pairing: no (no other agent "
			  "is registered)", method, device);
		reject(invocation, "penctld is not pairing this device");
	} else if (strcmp(method, "RequestConfirmation") == 0) {
		guint32 passkey = 0;

		g_variant_get(params, "(&ou)", NULL, &passkey);
		g_info("agent: passkey %06u for %s accepted", passkey, device);
		if (agent->confirmed)
			agent->confirmed(agent->owner, device, passkey);
		g_dbus_method_invocation_return_value(invocation, NULL);
	} else if (strcmp(method, "RequestAuthorization") == 0 ||
		   strcmp(method, "AuthorizeService") == 0) {
		g_info("agent: %s for %s accepted", method, device);
		g_dbus_method_invocation_return_value(invocation, NULL);
	} else {
		g_dbus_method_invocation_return_dbus_error(
			invocation, "org.freedesktop.DBus.Error.UnknownMethod", method);
	}
}

static const GDBusInterfaceVTable agent_vtable = {
	.method_call = agent_method_call,
};

struct bluez_agent *bluez_agent_new(struct bluez_client *client, bluez_agent_confirmed confirmed,
				    void *owner)
{
	struct bluez_agent *agent = g_new0(struct bluez_agent, 1);

	agent->client = client;
	agent->confirmed = confirmed;
	agent->owner = owner;
	return agent;
}

bool bluez_agent_export(struct bluez_agent *agent, GError **error)
{
	g_autoptr(GDBusNodeInfo) node = g_dbus_node_info_new_for_xml(agent_xml, error);

	if (!node)
		return false;
	if (agent->object)
		return true;
	agent->object = g_dbus_connection_register_object(bluez_client_bus(agent->client),
							  BLUEZ_AGENT_PATH, node->interfaces[0],
							  &agent_vtable, agent, NULL, error);
	return agent->object != 0;
}

static void unregister(struct bluez_agent *agent)
{
	if (!bluez_client_is_up(agent->client))
		return;
	/* No reply wanted: DoesNotExist (nothing was registered) is fine. */
	g_dbus_connection_call(bluez_client_bus(agent->client), BLUEZ_BUS_NAME, "/org/bluez",
			       BLUEZ_AGENT_MANAGER_INTERFACE, "UnregisterAgent",
			       g_variant_new("(o)", BLUEZ_AGENT_PATH), NULL,
			       G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL, NULL);
}

void bluez_agent_free(struct bluez_agent *agent)
{
	if (!agent)
		return;
	unregister(agent);
	if (agent->object)
		g_dbus_connection_unregister_object(bluez_client_bus(agent->client),
						    agent->object);
	g_free(agent->pairing_path);
	g_free(agent);
}

const char *bluez_agent_pairing(const struct bluez_agent *agent)
{
	return agent->pairing_path;
}

static void register_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  result, &error);

	(void)user_data;
	if (reply || g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	/* AlreadyExists: registered by an earlier pairing whose
	 * UnregisterAgent bluetoothd has not seen yet; it is ours. */
	if (!bluez_error_is(error, "AlreadyExists"))
		g_warning("agent: RegisterAgent failed: %s", error->message);
}

/* Before the pairing's Pair(), on the same connection: bluetoothd handles
 * our messages in the order we send them, so the agent is there when
 * Pair() asks for it.  Also when bluetoothd (re)appears: a pairing under
 * way then needs the agent on the new bluetoothd (its Pair() fails, but
 * the request of the next one must not reach another agent). */
void bluez_agent_reregister(struct bluez_agent *agent)
{
	if (!agent->pairing_path || !bluez_client_is_up(agent->client))
		return;
	bluez_client_call(agent->client, "/org/bluez", BLUEZ_AGENT_MANAGER_INTERFACE,
			  "RegisterAgent", g_variant_new("(os)", BLUEZ_AGENT_PATH, "NoInputNoOutput"),
			  NULL, BLUEZ_CALL_TIMEOUT_MS,
			  bluez_client_instance_cancellable(agent->client), register_done, agent);
}

void bluez_agent_pair_begin(struct bluez_agent *agent, const char *device)
{
	g_free(agent->pairing_path);
	agent->pairing_path = g_strdup(device);
	bluez_agent_reregister(agent);
}

/* When the pairing's Pair() has returned. */
void bluez_agent_pair_end(struct bluez_agent *agent)
{
	unregister(agent);
}

void bluez_agent_pairing_done(struct bluez_agent *agent, const char *device)
{
	if (g_strcmp0(agent->pairing_path, device) == 0)
		g_clear_pointer(&agent->pairing_path, g_free);
}
