// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Layer (b), the pen link: its public face and the driver of its state
 * machine.  The states, transitions and decisions are pen_link_fsm.c's
 * (pure); this file gathers the facts from bluetoothd's objects after every
 * change (events from bluez_client.c), feeds them in, and carries the
 * decision out: report a lost link once, Connect (at once after the pen
 * dropped a working link or bluetoothd came back, else retried with capped
 * exponential backoff), wait for ServicesResolved and the pen service, let
 * the pen's profile (found by service UUID, pen_profile.h) run its
 * connect-time sequence, whose end (ready, incompatible, failed) comes back
 * here as an event.  Every change of state goes through link_event().
 *
 * Scanning, pairing and forgetting are pen_scan.c's; the agent and the bus
 * are bluez_agent.c's and bluez_client.c's.
 */
#include <errno.h>
#include <string.h>

#include "penctl/backoff.h"
#include "bluez_agent.h"
#include "bluez_client.h"
#include "pen_link_fsm.h"
#include "pen_profile.h"
#include "pen_scan.h"

#define PEN_LINK_CONNECT_TIMEOUT_MS    60000
#define PEN_LINK_BACKOFF_FIRST_MS       1000u
#define PEN_LINK_BACKOFF_MAX_MS        30000u
/* Connected but services never resolved, or a Connect that succeeded
 * without the link ever showing (both seen with bluetoothd 5.66 after a
 * remote disconnect and the kernel's auto-reconnect): how long a link gets
 * to be set up before it is disconnected and tried again. */
#define PEN_LINK_SETTLE_TIMEOUT_MS     15000u
/* ServicesResolved, but the pen service (or part of it) not there yet: how
 * long to wait for it before the pen is reported incompatible. */
#define PEN_LINK_GATT_GRACE_MS          3000u

struct pen_link {
	struct pen_link_callbacks cb;
	void *user_data;

	bool has_address;
	struct bt_address address;
	char address_text[BT_ADDRESS_STRLEN]; /* "" when none */
	char *adapter_name;               /* "" = first powered */
	uint16_t watchdog_ms;

	struct bluez_client *client;
	struct bluez_agent *agent;
	struct pen_scan *scan;
	GCancellable *life;               /* cancelled by pen_link_free() only */

	bool adapter_reported, adapter_present, adapter_powered;

	/* the link to the pen */
	enum pen_link_state state;
	GCancellable *conn_cancellable;   /* per link: cancelled when it is lost */
	char *device_path;
	const struct pen_profile *profile;
	struct pen_profile_conn *conn;    /* while the profile's characteristics are known */
	bool connected_reported;
	bool connect_pending;
	guint retry_source;
	guint settle_source;   /* connected, but not set up yet: give up after a while */
	bool connect_unseen;   /* Connect said yes, Connected never said true */
	bool connect_held;     /* bluetoothd connecting already, not cancelled */
	guint gatt_wait_source; /* resolved, pen service incomplete: grace period */
	bool gatt_incomplete;  /* reported incompatible for a missing service or characteristic */
	bool set_up_on_link;   /* READY on the radio link still held (pen_link_facts) */
	struct backoff backoff;
};

static void link_update(struct pen_link *link);
static void link_lost(struct pen_link *link, const char *reason, bool dropped);
static void schedule_retry(struct pen_link *link);
static void reset_stale_connection(struct pen_link *link);

static const struct bluez_objects *objects(const struct pen_link *link)
{
	return bluez_client_objects(link->client);
}

static void link_event(struct pen_link *link, enum pen_link_event event)
{
	enum pen_link_state next = pen_link_fsm_next(link->state, event);

	if (next != link->state)
		g_debug("pen %s: %s -> %s", link->address_text, pen_link_state_name(link->state),
			pen_link_state_name(next));
	link->state = next;
}

static void clear_source(guint *source)
{
	if (*source)
		g_source_remove(*source);
	*source = 0;
}

/* The retry timer and what it was armed for (connect_unseen: waiting for a
 * link bluetoothd connected to show) go together. */
static void cancel_retry(struct pen_link *link)
{
	clear_source(&link->retry_source);
	link->connect_unseen = false;
}

/* ---- the profile's end of the connect-time sequence ---- */

static void profile_incompatible(void *owner, const char *why)
{
	struct pen_link *link = owner;
	static const struct pen_cartridge none;

	g_warning("pen %s: incompatible: %s", link->address_text, why);
	link_event(link, PEN_LINK_EVENT_INCOMPATIBLE);
	link->set_up_on_link = false;
	link->connected_reported = true;
	if (link->cb.on_connected)
		link->cb.on_connected(link->user_data, link->address_text, false, why, &none);
}

static void profile_failed(void *owner, const char *step, const GError *error)
{
	struct pen_link *link = owner;

	g_warning("pen %s: setup failed at %s: %s", link->address_text, step,
		  error ? error->message : "?");
	link_event(link, PEN_LINK_EVENT_SETUP_FAILED);
	link->set_up_on_link = false;
	schedule_retry(link);
}

static bool profile_ready(void *owner, const struct pen_cartridge *cartridge,
			  const struct pen_status *status)
{
	struct pen_link *link = owner;

	link_event(link, PEN_LINK_EVENT_READY);
	link->set_up_on_link = true;
	link->connected_reported = true;
	backoff_reset(&link->backoff);
	g_info("pen %s: connected and set up", link->address_text);
	if (link->cb.on_connected)
		link->cb.on_connected(link->user_data, link->address_text, true, NULL, cartridge);
	/* The callback may have changed the pen. */
	if (link->state == PEN_LINK_READY && link->cb.on_status)
		link->cb.on_status(link->user_data, status);
	return link->state == PEN_LINK_READY;
}

static const struct pen_profile_events profile_events = {
	.ready = profile_ready,
	.incompatible = profile_incompatible,
	.failed = profile_failed,
};

/* The profile's connection to the device, made on first use. */
static struct pen_profile_conn *link_conn(struct pen_link *link)
{
	struct pen_profile_env env = {
		.client = link->client,
		.device_path = link->device_path,
		.address = link->address_text,
		.cancellable = link->conn_cancellable,
		.events = &profile_events,
		.owner = link,
		.cb = &link->cb,
		.user_data = link->user_data,
	};

	if (!link->conn) {
		link->profile = pen_profile_for_device(objects(link), link->device_path);
		link->conn = link->profile->conn_new(&env);
	}
	return link->conn;
}

static void link_conn_free(struct pen_link *link)
{
	if (link->conn)
		link->profile->conn_free(link->conn);
	link->conn = NULL;
}

static bool link_find_gatt(struct pen_link *link, GString *missing)
{
	struct pen_profile_conn *conn = link_conn(link); /* chooses link->profile */

	return link->profile->find(conn, missing);
}

/* ---- the public face ---- */

static bool link_config_address(struct pen_link *link, const char *address, GError **error)
{
	struct bt_address parsed;

	if (!address || !*address) {
		link->has_address = false;
		link->address_text[0] = '\0';
		return true;
	}
	if (!bt_address_parse(address, &parsed)) {
		g_set_error(error, PEN_LINK_ERROR, PEN_LINK_ERROR_INVALID_ARGUMENT,
			    "'%s' is not a Bluetooth address (XX:XX:XX:XX:XX:XX)", address);
		return false;
	}
	link->has_address = true;
	link->address = parsed;
	bt_address_format(&parsed, link->address_text);
	return true;
}

static void bus_appeared(void *owner);
static void bus_vanished(void *owner);
static void bus_loaded(void *owner);
static void bus_interfaces_added(void *owner, const char *path);
static void bus_interfaces_removed(void *owner, const char *path);
static void bus_properties_changed(void *owner, const char *path, const char *interface,
				   GVariant *changed);

static const struct bluez_client_events bus_events = {
	.appeared = bus_appeared,
	.vanished = bus_vanished,
	.loaded = bus_loaded,
	.interfaces_added = bus_interfaces_added,
	.interfaces_removed = bus_interfaces_removed,
	.properties_changed = bus_properties_changed,
};

static void agent_confirmed(void *owner, const char *device, uint32_t passkey)
{
	struct pen_link *link = owner;
	const char *address;

	if (!link->cb.on_pairing_passkey)
		return;
	address = bluez_objects_get_string(objects(link), device, BLUEZ_DEVICE_INTERFACE,
					   "Address");
	link->cb.on_pairing_passkey(link->user_data, address ? address : "", passkey);
}

static bool scan_adopt(void *owner, const char *address, GError **error)
{
	return pen_link_set_address(owner, address, error);
}

struct pen_link *pen_link_new(GDBusConnection *system_bus, const struct pen_link_config *cfg,
			      const struct pen_link_callbacks *callbacks, void *user_data,
			      GError **error)
{
	g_autoptr(pen_link) link = NULL;

	g_return_val_if_fail(G_IS_DBUS_CONNECTION(system_bus) && cfg, NULL);

	if (cfg->watchdog_ms < PEN_WATCHDOG_MIN_MS || cfg->watchdog_ms > PEN_WATCHDOG_MAX_MS) {
		g_set_error(error, PEN_LINK_ERROR, PEN_LINK_ERROR_INVALID_ARGUMENT,
			    "pen watchdog %u ms outside %u..%u", cfg->watchdog_ms,
			    PEN_WATCHDOG_MIN_MS, PEN_WATCHDOG_MAX_MS);
		return NULL;
	}
	link = g_new0(struct pen_link, 1);
	if (callbacks)
		link->cb = *callbacks;
	link->user_data = user_data;
	link->adapter_name = g_strdup(cfg->adapter ? cfg->adapter : "");
	link->watchdog_ms = (uint16_t)cfg->watchdog_ms;
	link->life = g_cancellable_new();
	link->conn_cancellable = g_cancellable_new();
	link->client = bluez_client_new(system_bus, &bus_events, link);
	link->agent = bluez_agent_new(link->client, agent_confirmed, link);
	link->scan = pen_scan_new(link->client, link->agent, link->adapter_name, link->life,
				  &link->cb, link->user_data, scan_adopt, link);
	backoff_init(&link->backoff, PEN_LINK_BACKOFF_FIRST_MS, PEN_LINK_BACKOFF_MAX_MS);
	link->state = PEN_LINK_IDLE; /* before any event */
	if (!link_config_address(link, cfg->address, error))
		return NULL;
	return g_steal_pointer(&link);
}

void pen_link_start(struct pen_link *link)
{
	g_autoptr(GError) error = NULL;

	if (bluez_client_is_started(link->client))
		return;
	if (!bluez_agent_export(link->agent, &error))
		g_warning("agent: cannot export %s: %s", BLUEZ_AGENT_PATH, error->message);
	bluez_client_start(link->client);
}

void pen_link_free(struct pen_link *link)
{
	if (!link)
		return;
	pen_scan_free(link->scan);
	bluez_agent_free(link->agent);
	bluez_client_stop(link->client);
	g_cancellable_cancel(link->life);
	g_cancellable_cancel(link->conn_cancellable);
	clear_source(&link->retry_source);
	clear_source(&link->settle_source);
	clear_source(&link->gatt_wait_source);
	link_conn_free(link);
	g_free(link->device_path);
	g_free(link->adapter_name);
	g_clear_object(&link->conn_cancellable);
	g_clear_object(&link->life);
	bluez_client_free(link->client);
	g_free(link);
}

const char *pen_link_get_address(const struct pen_link *link)
{
	return link->address_text;
}

/* ---- the state machine ---- */

/* Whether bluetoothd holds a link to the device.  Connected says so, and so
 * does ServicesResolved: bluetoothd 5.66 can set a reconnection up, services
 * and all, without ever announcing Connected=true (it logs "device_add_
 * connection() ... is already connected"; seen in the VM after pen-side
 * drops).  A real loss takes both to false. */
static bool device_link_up(const struct pen_link *link, const char *device)
{
	bool connected = false, resolved = false;

	bluez_objects_get_bool(objects(link), device, BLUEZ_DEVICE_INTERFACE, "Connected",
			       &connected);
	bluez_objects_get_bool(objects(link), device, BLUEZ_DEVICE_INTERFACE, "ServicesResolved",
			       &resolved);
	return connected || resolved;
}

static bool device_resolved(const struct pen_link *link, const char *device)
{
	bool resolved = false;

	bluez_objects_get_bool(objects(link), device, BLUEZ_DEVICE_INTERFACE, "ServicesResolved",
			       &resolved);
	return resolved;
}

static gboolean retry_fired(gpointer user_data)
{
	struct pen_link *link = user_data;

	link->retry_source = 0;
	link_event(link, PEN_LINK_EVENT_RETRY);
	if (link->connect_unseen && link->state == PEN_LINK_IDLE) {
		/* bluetoothd said the last Connect worked, yet within the
		 * settle time the device showed neither Connected nor
		 * ServicesResolved (its state went stale when the pen dropped
		 * the link and the kernel reconnected at once): disconnect it,
		 * and connect afresh next time. */
		g_warning("pen %s: the link bluetoothd connected never showed within %u s: "
			  "reconnecting", link->address_text, PEN_LINK_SETTLE_TIMEOUT_MS / 1000);
		link->connect_unseen = false;
		reset_stale_connection(link);
		schedule_retry(link);
		return G_SOURCE_REMOVE;
	}
	link->connect_unseen = false;
	link_update(link);
	return G_SOURCE_REMOVE;
}

static void schedule_retry(struct pen_link *link)
{
	unsigned delay_ms;

	if (link->retry_source)
		return;
	delay_ms = backoff_next(&link->backoff);
	g_message("pen %s: next attempt in %u ms", link->address_text, delay_ms);
	link->retry_source = g_timeout_add(delay_ms, retry_fired, link);
}

static const char *link_facts_now(struct pen_link *link, struct pen_link_facts *facts);

/* The link is gone (DROPPED: penctld ended it).  The next Connect goes at
 * once or after the backoff, as pen_link_fsm_retry_after_loss() says. */
static void link_lost(struct pen_link *link, const char *reason, bool dropped)
{
	bool was_reported = link->connected_reported;
	enum pen_link_state was = link->state;
	struct pen_link_facts facts;
	enum pen_link_retry retry;

	if (link->state == PEN_LINK_IDLE && !link->connect_pending)
		return;
	g_info("pen %s: link lost: %s", link->address_text, reason);
	/* Tell the daemon while the characteristics are still known: the STOP
	 * it sends then reaches a pen whose services went away but whose radio
	 * link is still up ("services unresolved", "pen service removed"). */
	link->connected_reported = false;
	if (was_reported && link->cb.on_disconnected)
		link->cb.on_disconnected(link->user_data, reason);
	/* Replies to calls of the old link must not touch the new one. */
	g_cancellable_cancel(link->conn_cancellable);
	g_object_unref(link->conn_cancellable);
	link->conn_cancellable = g_cancellable_new();
	link->connect_pending = false;
	link_event(link, PEN_LINK_EVENT_LOST);
	clear_source(&link->settle_source);
	clear_source(&link->gatt_wait_source);
	link->gatt_incomplete = false;
	link_conn_free(link);
	g_clear_pointer(&link->device_path, g_free);
	link_facts_now(link, &facts);
	retry = pen_link_fsm_retry_after_loss(was, &facts, dropped);
	/* Kept only while the radio link it was READY on holds. */
	link->set_up_on_link = !dropped && facts.link_up &&
			       (was == PEN_LINK_READY || link->set_up_on_link);
	if (!link->has_address)
		return;
	if (retry == PEN_LINK_RETRY_BACKOFF) {
		schedule_retry(link);
		return;
	}
	/* Not even the timer a recent Connect's answer left (connect_done()):
	 * the next object update, or this one's caller, connects. */
	cancel_retry(link);
}

static void disconnect_device(struct pen_link *link)
{
	bluez_client_call(link->client, link->device_path, BLUEZ_DEVICE_INTERFACE, "Disconnect",
			  NULL, NULL, BLUEZ_CALL_TIMEOUT_MS, NULL, NULL, NULL);
}

void pen_link_drop(struct pen_link *link, const char *reason)
{
	if (link->state == PEN_LINK_IDLE && !link->connect_pending && !link->connect_unseen &&
	    !link->connect_held)
		return;
	if (link->device_path && bluez_client_is_up(link->client))
		disconnect_device(link);
	if (link->state == PEN_LINK_IDLE && !link->connect_pending) {
		/* A link bluetoothd connected but has not shown yet, or its
		 * own attempt to connect (connect_done()): the Disconnect ends
		 * it; never reported, nothing to tell.  The next attempt after
		 * the backoff, as for a drop. */
		g_info("pen %s: link dropped before it showed: %s", link->address_text, reason);
		link->connect_held = false;
		cancel_retry(link);
		if (link->has_address)
			schedule_retry(link);
		return;
	}
	link_lost(link, reason, true);
}

static void report_adapter(struct pen_link *link, bool present, bool powered)
{
	if (link->adapter_reported && link->adapter_present == present &&
	    link->adapter_powered == powered)
		return;
	link->adapter_reported = true;
	link->adapter_present = present;
	link->adapter_powered = powered;
	if (link->cb.on_adapter_changed)
		link->cb.on_adapter_changed(link->user_data, present, powered);
}

/* A Connect that failed, or "succeeded" without the Connected property
 * following, can mean bluetoothd holds a stale connection (seen with 5.66
 * after the pen dropped the link and the kernel reconnected at once): a
 * Disconnect before the next attempt clears it.  Harmless otherwise. */
static void reset_stale_connection(struct pen_link *link)
{
	if (!link->device_path || !bluez_client_is_up(link->client) ||
	    device_link_up(link, link->device_path))
		return;
	g_message("pen %s: clearing a stale connection before retrying", link->address_text);
	disconnect_device(link);
}

static void connect_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  result, &error);
	struct pen_link *link;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	link = user_data;
	link->connect_pending = false;
	link->connect_held = false;
	if (!reply) {
		if (bluez_error_is_connect_in_progress(error)) {
			/* bluetoothd is connecting to the pen already: an
			 * attempt an earlier penctld started outlives it (a
			 * restart, a crash, an upgrade), or its own.  It
			 * connects on the pen's first advertisement, the link
			 * then showing (ServicesResolved), or fails after the
			 * kernel's L2CAP connect timeout (40 s), and the next
			 * Connect starts one of ours.  Not stale: a Disconnect
			 * would cancel it only for the next Connect to start
			 * the same again.  Ask again after the backoff; a drop
			 * or another pen cancels it (pen_link_drop()). */
			g_message("pen %s: bluetoothd is connecting to it already: waiting for that",
				  link->address_text);
			link->connect_held = true;
			schedule_retry(link);
			return;
		}
		if (!bluez_error_is(error, "AlreadyConnected")) {
			g_message("pen %s: Connect failed: %s", link->address_text, error->message);
			reset_stale_connection(link);
			schedule_retry(link);
			return;
		}
		reset_stale_connection(link);
	}
	if (reply && !device_link_up(link, link->device_path)) {
		/* bluetoothd answers Connect once it holds the link, and 5.66
		 * may never announce Connected=true: ServicesResolved, after
		 * its GATT discovery, is then the first sign, and discovery can
		 * outlast the backoff.  Clearing the link as stale before then
		 * cut set-ups off mid-way; so wait as long as a link that was
		 * seen gets to settle (retry_fired() clears it after that). */
		g_message("pen %s: Connect succeeded, the link not shown yet: waiting up to %u s",
			  link->address_text, PEN_LINK_SETTLE_TIMEOUT_MS / 1000);
		cancel_retry(link);
		link->retry_source = g_timeout_add(PEN_LINK_SETTLE_TIMEOUT_MS, retry_fired, link);
		link->connect_unseen = true;
		/* What changed while the answer was on its way (the adapter
		 * went off: no timer; the link showed: the settle timer). */
		link_update(link);
		return;
	}
	/* bluetoothd may answer AlreadyConnected while its Connected property
	 * says not: without a retry pending, the update below would call
	 * Connect again at once, and again.  A retry that finds the pen
	 * connected does nothing. */
	schedule_retry(link);
	link_update(link);
}

static void link_connect(struct pen_link *link, const char *device)
{
	g_message("pen %s: connecting (%s)", link->address_text, device);
	g_free(link->device_path);
	link->device_path = g_strdup(device);
	link->connect_pending = true;
	bluez_client_call(link->client, device, BLUEZ_DEVICE_INTERFACE, "Connect", NULL, NULL,
			  PEN_LINK_CONNECT_TIMEOUT_MS, link->conn_cancellable, connect_done, link);
}

/* A pen refused for a missing service or characteristic: has it everything
 * now?  (Finds the characteristics again.) */
static bool pen_gatt_now_complete(void *context)
{
	g_autoptr(GString) missing = g_string_new(NULL);

	return link_find_gatt(context, missing);
}

/* The facts about device (NULL: not there) on adapter (NULL: none). */
static void link_facts(struct pen_link *link, const char *adapter, bool powered,
		       const char *device, struct pen_link_facts *facts)
{
	*facts = (struct pen_link_facts){
		.adapter = adapter != NULL,
		.powered = powered,
		.device = device != NULL,
		.same_device = device && link->device_path && strcmp(device, link->device_path) == 0,
		.link_up = device && device_link_up(link, device),
		.resolved = device && device_resolved(link, device),
		.characteristic_lost = link->conn && link->profile->lost_characteristic(link->conn),
		.gatt_incomplete = link->gatt_incomplete,
		.set_up_on_link = link->set_up_on_link,
		.now_complete = pen_gatt_now_complete,
		.context = link,
	};
}

static gboolean settle_timed_out(gpointer user_data)
{
	struct pen_link *link = user_data;

	link->settle_source = 0;
	if (link->state == PEN_LINK_RESOLVING || link->state == PEN_LINK_SETUP) {
		g_warning("pen %s: connected, but not set up within %u s: reconnecting",
			  link->address_text, PEN_LINK_SETTLE_TIMEOUT_MS / 1000);
		pen_link_drop(link, "not set up in time");
	}
	return G_SOURCE_REMOVE;
}

static gboolean gatt_wait_expired(gpointer user_data);

/* ServicesResolved is true: set up if the pen service is complete.
 * bluetoothd can say so before it has every service: after it restarts over
 * a link that outlived it, it may discover the pen before the pen has
 * registered its services again, and add them on the pen's Service Changed
 * a moment later.  So a pen lacking something gets a short grace period
 * (GRACE_OVER false) before it is called incompatible. */
static void link_setup_when_complete(struct pen_link *link, bool grace_over)
{
	g_autoptr(GString) missing = g_string_new(NULL);

	if (link_find_gatt(link, missing)) {
		clear_source(&link->gatt_wait_source);
		link_event(link, PEN_LINK_EVENT_SETUP_BEGIN);
		link->profile->setup(link->conn, link->watchdog_ms);
	} else if (grace_over) {
		link->gatt_incomplete = true;
		profile_incompatible(link, missing->str);
	} else if (!link->gatt_wait_source) {
		g_info("pen %s: services resolved, but %s: waiting up to %u ms",
		       link->address_text, missing->str, PEN_LINK_GATT_GRACE_MS);
		link->gatt_wait_source = g_timeout_add(PEN_LINK_GATT_GRACE_MS, gatt_wait_expired,
						       link);
	}
}

static gboolean gatt_wait_expired(gpointer user_data)
{
	struct pen_link *link = user_data;

	link->gatt_wait_source = 0;
	if (link->state != PEN_LINK_RESOLVING || !link->device_path)
		return G_SOURCE_REMOVE;
	/* Unresolved again: the settle timeout decides. */
	if (device_resolved(link, link->device_path))
		link_setup_when_complete(link, true);
	return G_SOURCE_REMOVE;
}

/* The facts as bluetoothd's objects show them now; returns the pen's
 * device path (NULL: not there). */
static const char *link_facts_now(struct pen_link *link, struct pen_link_facts *facts)
{
	const char *adapter = bluez_objects_find_adapter(objects(link), link->adapter_name);
	const char *device = NULL;
	bool powered = false;

	if (adapter)
		bluez_objects_get_bool(objects(link), adapter, BLUEZ_ADAPTER_INTERFACE, "Powered",
				       &powered);
	if (adapter && powered && link->has_address)
		device = bluez_objects_find_device(objects(link), adapter, &link->address);
	link_facts(link, adapter, powered, device, facts);
	return device;
}

static void link_update(struct pen_link *link)
{
	struct pen_link_facts facts;
	const char *device = link_facts_now(link, &facts);
	enum pen_link_step step;
	const char *reason;

	report_adapter(link, facts.adapter, facts.powered);
	if (!pen_link_fsm_retry_timer_useful(&facts)) {
		/* E.g. a Connect that failed as bluetoothd stopped: its return
		 * connects, at once. */
		cancel_retry(link);
	}
	if (link->state != PEN_LINK_IDLE) {
		reason = pen_link_fsm_loss_reason(link->state, &facts);
		if (reason)
			link_lost(link, reason, false);
	}
	if (!device)
		return;

	step = pen_link_fsm_step(link->state, &facts, link->connect_pending,
				 link->retry_source != 0);
	switch (step) {
	case PEN_LINK_STEP_NONE:
		return;
	case PEN_LINK_STEP_CONNECT:
		link_connect(link, device);
		return;
	case PEN_LINK_STEP_RESOLVE:
	case PEN_LINK_STEP_RESOLVE_AND_SETUP:
		g_free(link->device_path);
		link->device_path = g_strdup(device);
		link_event(link, PEN_LINK_EVENT_LINK_UP);
		/* Seen: from here the settle timer bounds it, and a loss or a
		 * failed set-up retries after the backoff, not after what is
		 * left of the wait for it to show. */
		if (link->connect_unseen)
			cancel_retry(link);
		link->connect_held = false;
		clear_source(&link->settle_source);
		link->settle_source = g_timeout_add(PEN_LINK_SETTLE_TIMEOUT_MS, settle_timed_out,
						    link);
		if (step == PEN_LINK_STEP_RESOLVE_AND_SETUP)
			link_setup_when_complete(link, false);
		return;
	case PEN_LINK_STEP_SETUP:
		link_setup_when_complete(link, false);
		return;
	}
}

bool pen_link_set_address(struct pen_link *link, const char *address, GError **error)
{
	struct bt_address parsed;

	if (address && *address && !bt_address_parse(address, &parsed)) {
		g_set_error(error, PEN_LINK_ERROR, PEN_LINK_ERROR_INVALID_ARGUMENT,
			    "'%s' is not a Bluetooth address (XX:XX:XX:XX:XX:XX)", address);
		return false;
	}
	if (address && *address && link->has_address && bt_address_equal(&parsed, &link->address))
		return true;

	/* Another pen (or none): the old link ends here (pen_link_drop() knows
	 * whether there is one). */
	pen_link_drop(link, "pen changed");
	cancel_retry(link);
	backoff_reset(&link->backoff);
	link_config_address(link, address, NULL);
	link_update(link);
	return true;
}

/* ---- events from bluetoothd ---- */

static void bus_appeared(void *owner)
{
	struct pen_link *link = owner;

	bluez_agent_reregister(link->agent);
	if (link->cb.on_bluez_changed)
		link->cb.on_bluez_changed(link->user_data, true);
}

static void bus_vanished(void *owner)
{
	struct pen_link *link = owner;

	pen_scan_abort(link->scan, g_error_new(PEN_LINK_ERROR, PEN_LINK_ERROR_BLUEZ_NOT_RUNNING,
					       "scan aborted: bluetoothd stopped"));
	link_lost(link, "bluetoothd stopped", false);
	if (link->cb.on_bluez_changed)
		link->cb.on_bluez_changed(link->user_data, false);
	link_update(link);
}

static void bus_loaded(void *owner)
{
	struct pen_link *link = owner;

	link_update(link);
	pen_scan_device_changed(link->scan, NULL);
}

static void bus_interfaces_added(void *owner, const char *path)
{
	struct pen_link *link = owner;

	link_update(link);
	if (bluez_objects_has_interface(objects(link), path, BLUEZ_DEVICE_INTERFACE))
		pen_scan_device_changed(link->scan, path);
}

static void bus_interfaces_removed(void *owner, const char *path)
{
	(void)path;
	link_update(owner);
}

static void bus_properties_changed(void *owner, const char *path, const char *interface,
				   GVariant *changed)
{
	struct pen_link *link = owner;

	if (strcmp(interface, BLUEZ_GATT_CHAR_INTERFACE) == 0) {
		g_autoptr(GVariant) value = g_variant_lookup_value(changed, "Value",
								   G_VARIANT_TYPE_BYTESTRING);

		/* Before on_connected the engine does not know the pen yet;
		 * the setup sequence reads what it needs itself. */
		if (value && link->state == PEN_LINK_READY)
			link->profile->value_changed(link->conn, path, value);
		return;
	}
	link_update(link);
	if (strcmp(interface, BLUEZ_DEVICE_INTERFACE) == 0)
		pen_scan_device_changed(link->scan, path);
}

/* ---- writes: the state says whether, the profile says how ---- */

int pen_link_write_control(struct pen_link *link, bool run, uint16_t seq)
{
	/* A STOP goes to whatever Control we know, even on a pen we
	 * refused: stopping is never the wrong thing to do. */
	if (!link->conn || (run && link->state != PEN_LINK_READY))
		return -ENOTCONN;
	return link->profile->write_control(link->conn, run, seq);
}

int pen_link_write_depth(struct pen_link *link, uint16_t depth_um)
{
	if (link->state != PEN_LINK_READY)
		return -ENOTCONN;
	return link->profile->write_depth(link->conn, depth_um);
}

int pen_link_write_speed(struct pen_link *link, uint16_t speed)
{
	if (link->state != PEN_LINK_READY)
		return -ENOTCONN;
	return link->profile->write_speed(link->conn, speed);
}

int pen_link_write_heartbeat(struct pen_link *link, uint16_t counter)
{
	if (link->state != PEN_LINK_READY)
		return -ENOTCONN;
	return link->profile->write_heartbeat(link->conn, counter);
}

int pen_link_write_watchdog(struct pen_link *link, uint16_t watchdog_ms)
{
	if (watchdog_ms < PEN_WATCHDOG_MIN_MS || watchdog_ms > PEN_WATCHDOG_MAX_MS)
		return -ERANGE;
	/* Also what every later connect writes (§7 step 3). */
	link->watchdog_ms = watchdog_ms;
	if (link->state != PEN_LINK_READY)
		return -ENOTCONN;
	return link->profile->write_watchdog(link->conn, watchdog_ms);
}

int pen_link_read_cartridge(struct pen_link *link)
{
	if (link->state != PEN_LINK_READY)
		return -ENOTCONN;
	return link->profile->read_cartridge(link->conn);
}

/* ---- scan, pair, forget (pen_scan.c) ---- */

void pen_link_scan(struct pen_link *link, unsigned seconds, GCancellable *cancellable,
		   GAsyncReadyCallback callback, gpointer user_data)
{
	pen_scan_start(link->scan, seconds, cancellable, callback, user_data);
}

GVariant *pen_link_scan_finish(struct pen_link *link, GAsyncResult *result, GError **error)
{
	(void)link;
	g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
}

void pen_link_pair(struct pen_link *link, const char *address, GCancellable *cancellable,
		   GAsyncReadyCallback callback, gpointer user_data)
{
	pen_scan_pair(link->scan, address, cancellable, callback, user_data);
}

bool pen_link_pair_finish(struct pen_link *link, GAsyncResult *result, GError **error)
{
	(void)link;
	g_return_val_if_fail(g_task_is_valid(result, NULL), false);
	return g_task_propagate_boolean(G_TASK(result), error);
}

void pen_link_forget(struct pen_link *link, GCancellable *cancellable,
		     GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
	const char *adapter = bluez_objects_find_adapter(objects(link), link->adapter_name);
	g_autofree char *device = NULL;
	g_autofree char *adapter_path = g_strdup(adapter);

	g_task_set_source_tag(task, pen_link_forget);
	if (link->has_address && adapter)
		device = g_strdup(bluez_objects_find_device(objects(link), adapter,
							    &link->address));
	/* Drop the link first: the engine hears of it before anything else. */
	pen_link_set_address(link, NULL, NULL);
	if (!device || !bluez_client_is_up(link->client)) {
		g_task_return_boolean(task, TRUE);
		return;
	}
	pen_scan_remove_device(link->scan, adapter_path, device, task);
}

bool pen_link_forget_finish(struct pen_link *link, GAsyncResult *result, GError **error)
{
	(void)link;
	g_return_val_if_fail(g_task_is_valid(result, NULL), false);
	return g_task_propagate_boolean(G_TASK(result), error);
}
