/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control service: io.penctld.Penctl1 on the system bus.
 *
 * A method call goes: policy (dbus-daemon, systemd/io.penctld.Penctl1.conf)
 * -> GDBus checks the arguments against the interface generated from
 * daemon/io.penctld.Penctl1.xml -> we ask the bus for the caller's uid ->
 * the method table names the handler -> the request becomes an engine event
 * (ops->submit) or a pen operation (ops->scan/pair/forget) -> the reply, or
 * a named error with the engine's message.
 *
 * The service is reference counted inside: a call waiting for the bus or
 * for a pen operation keeps it alive, and finds it "closed" if the daemon
 * freed it meanwhile, so no callback touches freed memory.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "penctl/bt_address.h"
#include "penctl/control_properties.h"
#include "penctl/control_service.h"
#include "penctl/dbus_interface.h"

#define CONTROL_TICK_MS 1000u
/* A caller's text quoted in an error message is cut here: a 1 MiB key
 * must not come back as a 1 MiB error. */
#define CONTROL_QUOTE_MAX 64u
/* What the engine keeps of the operator and client reference (bytes,
 * without the terminator): longer ones are refused, never cut. */
#define CONTROL_OPERATOR_MAX (sizeof(((struct engine_session_summary *)NULL)->operator_name) - 1)
#define CONTROL_CLIENT_REF_MAX (sizeof(((struct engine_session_summary *)NULL)->client_ref) - 1)

struct control_service {
	const struct control_service_ops *ops;
	void *user_data;
	bool closed;
	GDBusConnection *connection;
	guint registration_id;
	guint owner_id;
	/* What the properties showed when last signalled (or exported). */
	struct control_properties_tracker *tracker;
	guint tick_id;             /* 1 s timer while a session is open */
	/* Properties.GetAll asks for each property in turn: build them once
	 * per main-loop iteration, and again after any engine step. */
	GVariant *get_cache;
	guint get_cache_idle_id;
	/* Who opened the session the engine has open, when it was opened
	 * through this service: only that uid, root and the supervisor group
	 * may stop or change it.  A session the service did not see open (none
	 * today) has no known owner: root and supervisors only. */
	char *owner_session_id;
	uint32_t owner_uid;
};

/* One method call on its way: waits for the caller's uid, then maybe for a
 * pen operation. */
struct control_call {
	struct control_service *service; /* a reference */
	GDBusMethodInvocation *invocation;
	uint32_t uid;
	char *description;
};

static struct control_service *service_ref(struct control_service *service)
{
	return g_rc_box_acquire(service);
}

static void service_clear(struct control_service *service)
{
	g_clear_pointer(&service->tracker, control_properties_tracker_free);
	g_clear_pointer(&service->get_cache, g_variant_unref);
	g_clear_pointer(&service->owner_session_id, g_free);
	g_clear_object(&service->connection);
}

static void service_unref(struct control_service *service)
{
	g_rc_box_release_full(service, (GDestroyNotify)service_clear);
}

static void control_call_free(struct control_call *call)
{
	service_unref(call->service);
	g_object_unref(call->invocation);
	g_free(call->description);
	g_free(call);
}
typedef struct control_call control_call;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(control_call, control_call_free)

/* TEXT (valid UTF-8: it came in a D-Bus string) for an error message, cut
 * at a character boundary after CONTROL_QUOTE_MAX bytes. */
static char *quote_cut(const char *text)
{
	const char *end = text + CONTROL_QUOTE_MAX;

	if (strlen(text) <= CONTROL_QUOTE_MAX)
		return g_strdup(text);
	while (end > text && ((unsigned char)*end & 0xc0) == 0x80)
		end--;
	return g_strdup_printf("%.*s...", (int)(end - text), text);
}

static const char *nonnull_text(const char *text)
{
	return text ? text : "";
}

static void return_error(GDBusMethodInvocation *invocation, const char *name,
			 const char *message)
{
	g_autofree char *full = g_strconcat(PENCTL_DBUS_ERROR_PREFIX, name, NULL);

	g_dbus_method_invocation_return_dbus_error(invocation, full, message);
}

static void return_invalid_argument(GDBusMethodInvocation *invocation, const char *message)
{
	return_error(invocation, control_error_name_for_code(CONTROL_ERROR_INVALID_ARGUMENT),
		     message);
}

/* An error from a pen operation: CONTROL_ERROR codes keep their names,
 * anything else is Failed with its message. */
static void return_operation_error(GDBusMethodInvocation *invocation, const GError *error)
{
	const char *name = "Failed";

	if (error->domain == CONTROL_ERROR)
		name = control_error_name_for_code((enum control_error_code)error->code);
	return_error(invocation, name, error->message);
}

static struct control_daemon_facts daemon_facts(struct control_service *service)
{
	const struct control_service_ops *ops = service->ops;
	struct control_daemon_facts facts = { 0 };

	if (ops->config_problem)
		facts.config_problem = ops->config_problem(service->user_data);
	if (ops->conditions)
		facts.conditions = ops->conditions(service->user_data);
	return facts;
}

static gboolean on_tick(gpointer data)
{
	struct control_service *service = data;

	control_service_notify_changed(service);
	return service->tick_id ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* The time properties move while a session is open even when nothing else
 * happens: look once a second then, never otherwise. */
static void update_tick(struct control_service *service, bool session_open)
{
	if (session_open && !service->tick_id && !service->closed) {
		service->tick_id = g_timeout_add(CONTROL_TICK_MS, on_tick, service);
	} else if (!session_open && service->tick_id) {
		g_source_remove(service->tick_id);
		service->tick_id = 0;
	}
}

static GVariant *current_properties(struct control_service *service)
{
	struct engine_snapshot snapshot = { 0 };
	struct control_daemon_facts facts = daemon_facts(service);

	service->ops->snapshot(service->user_data, &snapshot);
	return control_properties_build(&snapshot, service->ops->config(service->user_data),
					&facts);
}

/* The properties that changed since the last call, or NULL (then nothing
 * was built); starts or stops the tick that moves the time properties. */
static GVariant *changed_properties(struct control_service *service)
{
	struct engine_snapshot snapshot = { 0 };
	struct control_daemon_facts facts = daemon_facts(service);

	service->ops->snapshot(service->user_data, &snapshot);
	update_tick(service, snapshot.session_open);
	return control_properties_changed(service->tracker, &snapshot,
					  service->ops->config(service->user_data), &facts);
}

static void drop_get_cache(struct control_service *service)
{
	g_clear_pointer(&service->get_cache, g_variant_unref);
	g_clear_handle_id(&service->get_cache_idle_id, g_source_remove);
}

static gboolean on_get_cache_idle(gpointer data)
{
	struct control_service *service = data;

	service->get_cache_idle_id = 0;
	g_clear_pointer(&service->get_cache, g_variant_unref);
	return G_SOURCE_REMOVE;
}

void control_service_notify_changed(struct control_service *service)
{
	g_autoptr(GVariant) changed = NULL;
	g_autoptr(GError) error = NULL;

	if (!service || service->closed)
		return;
	drop_get_cache(service);
	changed = changed_properties(service);
	if (!changed || !service->registration_id)
		return;
	if (!g_dbus_connection_emit_signal(service->connection, NULL, PENCTL_DBUS_PATH,
					   "org.freedesktop.DBus.Properties", "PropertiesChanged",
					   g_variant_new("(s@a{sv}@as)", PENCTL_DBUS_INTERFACE,
							 changed, g_variant_new_strv(NULL, 0)),
					   &error))
		g_warning("control: cannot signal property changes: %s", error->message);
}

/* ---- requests that become engine events ---- */

static void submit(struct control_call *call, const struct engine_event *event,
		   struct engine_reply *reply)
{
	const struct control_caller caller = {
		.uid = call->uid,
		.sender = g_dbus_method_invocation_get_sender(call->invocation),
		.description = call->description,
	};

	memset(reply, 0, sizeof(*reply));
	reply->refusal = ENGINE_REASON_NONE;
	call->service->ops->submit(call->service->user_data, &caller, event, reply);
	/* It goes on the bus as a string: terminated and valid UTF-8 (the
	 * engine quotes what callers sent, possibly cut mid-character). */
	reply->message[sizeof(reply->message) - 1] = '\0';
	if (!g_utf8_validate(reply->message, -1, NULL)) {
		g_autofree char *valid = g_utf8_make_valid(reply->message, -1);

		g_strlcpy(reply->message, valid, sizeof(reply->message));
		/* A cut may leave a partial character again: drop it. */
		while (!g_utf8_validate(reply->message, -1, NULL))
			reply->message[strlen(reply->message) - 1] = '\0';
	}
}

/* True when the engine agreed; otherwise the call has been answered. */
static bool reply_accepted(struct control_call *call, const struct engine_reply *reply)
{
	if (reply->refusal == ENGINE_REASON_NONE)
		return true;
	if (reply->message[0]) {
		return_error(call->invocation, control_error_name_for_reason(reply->refusal),
			     reply->message);
	} else {
		g_autofree char *message = g_strdup_printf(
			"refused: %s", engine_reason_to_string(reply->refusal));

		return_error(call->invocation, control_error_name_for_reason(reply->refusal),
			     message);
	}
	return false;
}

/* ---- who may do what ---- */

/* True when UID is a member of GROUP_NAME in the user database (primary
 * group or supplementary, as getgrouplist() sees it): what the
 * administrator granted, not what the calling process kept.  A uid without
 * a passwd entry, or a group that does not exist, is no membership.  NSS is
 * asked synchronously; on the device that is /etc/passwd and /etc/group. */
static bool uid_in_group(uint32_t uid, const char *group_name)
{
	struct passwd pw, *pw_found = NULL;
	struct group gr, *gr_found = NULL;
	g_autofree char *pw_buf = NULL, *gr_buf = NULL;
	g_autofree gid_t *groups = NULL;
	long size = sysconf(_SC_GETPW_R_SIZE_MAX);
	size_t buf_size = size > 0 ? (size_t)size : 16384;
	int n = 64;

	if (!group_name || !group_name[0])
		return false;
	gr_buf = g_malloc(buf_size);
	while (getgrnam_r(group_name, &gr, gr_buf, buf_size, &gr_found) == ERANGE &&
	       buf_size < (1u << 20))
		gr_buf = g_realloc(gr_buf, buf_size *= 2);
	if (!gr_found)
		return false;
	pw_buf = g_malloc(buf_size);
	while (getpwuid_r((uid_t)uid, &pw, pw_buf, buf_size, &pw_found) == ERANGE &&
	       buf_size < (1u << 20))
		pw_buf = g_realloc(pw_buf, buf_size *= 2);
	if (!pw_found)
		return false;
	if (pw.pw_gid == gr.gr_gid)
		return true;
	groups = g_new(gid_t, n);
	if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0) {
		/* N now holds the number needed. */
		groups = g_renew(gid_t, groups, n);
		if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0)
			return false;
	}
	for (int i = 0; i < n; i++)
		if (groups[i] == gr.gr_gid)
			return true;
	return false;
}

/* The group CALL's caller lacks to take ROLE, or NULL when it may: root
 * may take every role, everyone else needs the role's group when the
 * configuration names one ([Role NAME] Group=). */
static const char *role_denied_group(const struct control_call *call, const char *role)
{
	const struct penctl_config *config = call->service->ops->config(call->service->user_data);
	const char *group = penctl_config_role_group(config, role);

	if (!group || call->uid == 0 || uid_in_group(call->uid, group))
		return NULL;
	return group;
}

/* Stop or change the open session: only its owner, root or a member of the
 * supervisor group ([Access] SupervisorGroup=).  True when CALL may go on;
 * otherwise the call has been answered with NotPermitted. */
static bool may_touch_session(struct control_call *call)
{
	struct control_service *service = call->service;
	const struct penctl_config *config = service->ops->config(service->user_data);
	const char *supervisors = penctl_config_supervisor_group(config);
	struct engine_snapshot snapshot = { 0 };
	g_autofree char *message = NULL;
	bool owner_known;

	service->ops->snapshot(service->user_data, &snapshot);
	if (!snapshot.session_open)
		return true; /* the engine answers NoSession */
	owner_known = service->owner_session_id &&
		      g_strcmp0(service->owner_session_id, snapshot.session_id) == 0;
	if ((owner_known && call->uid == service->owner_uid) || call->uid == 0 ||
	    uid_in_group(call->uid, supervisors))
		return true;
	if (owner_known)
		message = g_strdup_printf(
			"session %s was opened by uid %u (operator %s): only that user, root or "
			"a member of group %s may stop or change it",
			snapshot.session_id, service->owner_uid, nonnull_text(snapshot.operator_name),
			supervisors ? supervisors : "(none configured)");
	else
		message = g_strdup_printf(
			"session %s was not opened through this penctld run: only root or a "
			"member of group %s may stop or change it",
			snapshot.session_id, supervisors ? supervisors : "(none configured)");
	return_error(call->invocation, control_error_name_for_code(CONTROL_ERROR_NOT_PERMITTED),
		     message);
	return false;
}

static bool parse_start_options(GVariant *options, bool *contraindications_checked,
				char **problem)
{
	GVariantIter iter;
	const char *key;
	GVariant *entry_value;

	*contraindications_checked = false;
	g_variant_iter_init(&iter, options);
	/* g_variant_iter_next, not _loop: a return from inside the loop must
	 * not keep the value, which pins the whole message (a 1 MiB key each). */
	while (g_variant_iter_next(&iter, "{&sv}", &key, &entry_value)) {
		g_autoptr(GVariant) value = entry_value;

		if (!g_str_equal(key, PENCTL_OPTION_CONTRAINDICATIONS_CHECKED)) {
			g_autofree char *quoted = quote_cut(key);

			*problem = g_strdup_printf("unknown option \"%s\"; known: %s", quoted,
						   PENCTL_OPTION_CONTRAINDICATIONS_CHECKED);
			return false;
		}
		if (!g_variant_is_of_type(value, G_VARIANT_TYPE_BOOLEAN)) {
			*problem = g_strdup_printf("option %s must be a boolean (b)", key);
			return false;
		}
		*contraindications_checked = g_variant_get_boolean(value);
	}
	return true;
}

static void handle_start_session(struct control_call *call, GVariant *parameters)
{
	const char *operator_name, *role, *area, *client;
	g_autoptr(GVariant) options = NULL;
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autofree char *session_id = NULL;
	g_autofree char *problem = NULL;
	struct engine_event event = { .kind = ENGINE_EVENT_SESSION_START };
	struct engine_reply reply;
	bool checked;

	g_variant_get(parameters, "(&s&s&s&s@a{sv})", &operator_name, &role, &area, &client,
		      &options);
	if (strlen(operator_name) > CONTROL_OPERATOR_MAX) {
		problem = g_strdup_printf("the operator name is %zu bytes long; at most %zu are "
					  "kept, so it is refused rather than cut",
					  strlen(operator_name), CONTROL_OPERATOR_MAX);
		return_invalid_argument(call->invocation, problem);
		return;
	}
	if (strlen(client) > CONTROL_CLIENT_REF_MAX) {
		problem = g_strdup_printf("the client reference is %zu bytes long; at most %zu are "
					  "kept, so it is refused rather than cut",
					  strlen(client), CONTROL_CLIENT_REF_MAX);
		return_invalid_argument(call->invocation, problem);
		return;
	}
	if (!parse_start_options(options, &checked, &problem)) {
		return_invalid_argument(call->invocation, problem);
		return;
	}
	session_id = control_session_id_new(now, g_random_int());
	event.caller = call->description;
	event.session_start.session_id = session_id;
	event.session_start.operator_name = operator_name;
	event.session_start.role = role;
	event.session_start.area = area;
	event.session_start.client_ref = client[0] ? client : NULL;
	event.session_start.contraindications_checked = checked;
	event.session_start.role_denied_group = role_denied_group(call, role);
	submit(call, &event, &reply);
	if (!reply_accepted(call, &reply))
		return;
	g_free(call->service->owner_session_id);
	call->service->owner_session_id = g_strdup(session_id);
	call->service->owner_uid = call->uid;
	g_dbus_method_invocation_return_value(call->invocation, g_variant_new("(s)", session_id));
}

static void handle_stop_session(struct control_call *call, GVariant *parameters)
{
	struct engine_event event = { .kind = ENGINE_EVENT_SESSION_STOP };
	struct engine_reply reply;
	GVariant *summary;

	(void)parameters;
	if (!may_touch_session(call))
		return;
	event.caller = call->description;
	submit(call, &event, &reply);
	if (!reply_accepted(call, &reply))
		return;
	if (reply.summary) {
		const struct penctl_config *config =
			call->service->ops->config(call->service->user_data);

		summary = control_summary_to_variant(reply.summary,
						     config->anesthetic_advisory_above_um);
	} else {
		/* The engine closed the session without a summary: answer an
		 * empty one rather than fail a stop that happened. */
		summary = g_variant_ref_sink(g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0));
	}
	g_dbus_method_invocation_return_value(call->invocation,
					      g_variant_new("(@a{sv})", summary));
	g_variant_unref(summary);
}

static void handle_set_depth(struct control_call *call, GVariant *parameters)
{
	struct engine_event event = { .kind = ENGINE_EVENT_DEPTH_REQUEST };
	struct engine_reply reply;

	if (!may_touch_session(call))
		return;
	event.caller = call->description;
	g_variant_get(parameters, "(u)", &event.depth_um);
	submit(call, &event, &reply);
	if (reply_accepted(call, &reply))
		g_dbus_method_invocation_return_value(call->invocation,
						      g_variant_new("(s)", reply.message));
}

static void handle_set_speed(struct control_call *call, GVariant *parameters)
{
	struct engine_event event = { .kind = ENGINE_EVENT_SPEED_REQUEST };
	struct engine_reply reply;

	if (!may_touch_session(call))
		return;
	event.caller = call->description;
	g_variant_get(parameters, "(q)", &event.speed);
	submit(call, &event, &reply);
	if (reply_accepted(call, &reply))
		g_dbus_method_invocation_return_value(call->invocation,
						      g_variant_new("(s)", reply.message));
}

/* ---- the daemon itself ---- */

static struct control_caller call_caller(const struct control_call *call);

/* Reload(): answered only once the file is read, so that `systemctl reload
 * penctld` (ExecReload= busctl call ... Reload) fails, with the reason,
 * when the file is rejected. */
static void handle_reload(struct control_call *call, GVariant *parameters)
{
	struct control_caller caller = call_caller(call);
	g_autoptr(GError) error = NULL;

	(void)parameters;
	if (!call->service->ops->reload) {
		return_error(call->invocation,
			     control_error_name_for_code(CONTROL_ERROR_FAILED),
			     "this penctld cannot reload on request: send it SIGHUP");
		return;
	}
	if (!call->service->ops->reload(call->service->user_data, &caller, &error)) {
		const char *name = control_error_name_for_code(CONTROL_ERROR_CONFIG_REJECTED);

		if (error && error->domain == CONTROL_ERROR)
			name = control_error_name_for_code((enum control_error_code)error->code);
		return_error(call->invocation, name,
			     error ? error->message : "the configuration was rejected");
		return;
	}
	g_dbus_method_invocation_return_value(call->invocation, NULL);
}

/* AcknowledgeState(): a person has looked at a damaged used-cartridge list
 * (and put the opened cartridges aside); the engine lets sessions start
 * again and records who.  With nothing damaged the engine just says so. */
static void handle_acknowledge_state(struct control_call *call, GVariant *parameters)
{
	struct engine_event event = { .kind = ENGINE_EVENT_STATE_ACKNOWLEDGED };
	struct engine_reply reply;

	(void)parameters;
	event.caller = call->description;
	submit(call, &event, &reply);
	if (reply_accepted(call, &reply))
		g_dbus_method_invocation_return_value(call->invocation,
						      g_variant_new("(s)", reply.message));
}

/* ---- pen operations ---- */

static struct control_caller call_caller(const struct control_call *call)
{
	return (struct control_caller){
		.uid = call->uid,
		.sender = g_dbus_method_invocation_get_sender(call->invocation),
		.description = call->description,
	};
}

/* The daemon freed the service while the operation ran: its ops and
 * user data may be gone, so do not collect the result. */
static bool reply_if_closed(struct control_call *call)
{
	if (!call->service->closed)
		return false;
	g_dbus_method_invocation_return_dbus_error(call->invocation,
						   "org.freedesktop.DBus.Error.NoServer",
						   "penctld is shutting down");
	return true;
}

static void on_scan_done(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(control_call) call = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) pens = NULL;

	(void)source;
	if (reply_if_closed(call))
		return;
	pens = call->service->ops->scan_finish(call->service->user_data, result, &error);
	if (!pens) {
		if (!error)
			g_set_error_literal(&error, CONTROL_ERROR, CONTROL_ERROR_FAILED,
					    "the scan failed");
		return_operation_error(call->invocation, error);
		return;
	}
	/* The link's own a(ssn), passed on as it came: the reply's type is
	 * checked against the interface by GDBus. */
	g_dbus_method_invocation_return_value(call->invocation,
					      g_variant_new_tuple(&pens, 1));
}

static void handle_scan(struct control_call *call, GVariant *parameters)
{
	struct control_caller caller = call_caller(call);
	guint32 seconds;

	g_variant_get(parameters, "(u)", &seconds);
	if (seconds < PENCTL_SCAN_SECONDS_MIN || seconds > PENCTL_SCAN_SECONDS_MAX) {
		g_autofree char *message = g_strdup_printf(
			"a scan takes %u to %u seconds, not %u", PENCTL_SCAN_SECONDS_MIN,
			PENCTL_SCAN_SECONDS_MAX, seconds);

		return_invalid_argument(call->invocation, message);
		control_call_free(call);
		return;
	}
	call->service->ops->scan(call->service->user_data, &caller, seconds, on_scan_done, call);
}

/* XX:XX:XX:XX:XX:XX, hex digits in either case (bt_address.h decides);
 * upper-cased into OUT, the form BlueZ uses. */
static bool normalise_address(const char *text, char out[BT_ADDRESS_STRLEN])
{
	if (!bt_address_is_valid(text))
		return false;
	for (int i = 0; i < BT_ADDRESS_STRLEN; i++)
		out[i] = g_ascii_toupper(text[i]);
	return true;
}

static void on_pair_done(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(control_call) call = data;
	g_autoptr(GError) error = NULL;
	g_autofree char *address = NULL;

	(void)source;
	if (reply_if_closed(call))
		return;
	address = call->service->ops->pair_finish(call->service->user_data, result, &error);
	if (!address) {
		if (!error)
			g_set_error_literal(&error, CONTROL_ERROR, CONTROL_ERROR_FAILED,
					    "pairing failed");
		return_operation_error(call->invocation, error);
		return;
	}
	g_dbus_method_invocation_return_value(call->invocation, g_variant_new("(s)", address));
	control_service_notify_changed(call->service);
}

static void handle_pair(struct control_call *call, GVariant *parameters)
{
	struct control_caller caller = call_caller(call);
	const char *text;
	char address[BT_ADDRESS_STRLEN];

	g_variant_get(parameters, "(&s)", &text);
	if (text[0] && !normalise_address(text, address)) {
		g_autofree char *quoted = quote_cut(text);
		g_autofree char *message = g_strdup_printf(
			"\"%s\" is not a Bluetooth address (XX:XX:XX:XX:XX:XX)", quoted);

		return_invalid_argument(call->invocation, message);
		control_call_free(call);
		return;
	}
	call->service->ops->pair(call->service->user_data, &caller, text[0] ? address : NULL,
				 on_pair_done, call);
}

static void on_forget_done(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(control_call) call = data;
	g_autoptr(GError) error = NULL;

	(void)source;
	if (reply_if_closed(call))
		return;
	if (!call->service->ops->forget_finish(call->service->user_data, result, &error)) {
		if (!error)
			g_set_error_literal(&error, CONTROL_ERROR, CONTROL_ERROR_FAILED,
					    "forgetting the pen failed");
		return_operation_error(call->invocation, error);
		return;
	}
	g_dbus_method_invocation_return_value(call->invocation, NULL);
	control_service_notify_changed(call->service);
}

static void handle_forget(struct control_call *call, GVariant *parameters)
{
	struct control_caller caller = call_caller(call);

	(void)parameters;
	call->service->ops->forget(call->service->user_data, &caller, on_forget_done, call);
}

/* ---- dispatch, once the caller is known ---- */

/* "uid=1000 operator=alice": the operator given (StartSession) or the
 * operator of the open session. */
static char *describe_caller(struct control_service *service, uint32_t uid,
			     const char *method, GVariant *parameters)
{
	struct engine_snapshot snapshot = { 0 };
	const char *operator_name = NULL;

	if (g_str_equal(method, "StartSession")) {
		g_variant_get_child(parameters, 0, "&s", &operator_name);
	} else {
		service->ops->snapshot(service->user_data, &snapshot);
		if (snapshot.session_open)
			operator_name = snapshot.operator_name;
	}
	if (operator_name && operator_name[0]) {
		/* Only a name the engine accepts reaches a record; a longer
		 * one is refused, and must not be copied whole meanwhile. */
		g_autofree char *quoted = quote_cut(operator_name);

		return g_strdup_printf("uid=%u operator=%s", uid, quoted);
	}
	return g_strdup_printf("uid=%u", uid);
}

/* Every method of the interface and its handler.  The arguments were
 * checked against the generated interface before the call got here, and
 * GDBus checks each reply against its out-arguments.  An asynchronous
 * handler owns the call until its operation finishes; the others are done
 * when they return, and the properties they may have moved are signalled. */
struct control_method {
	const char *name;
	void (*handle)(struct control_call *call, GVariant *parameters);
	bool asynchronous;
};

static const struct control_method control_methods[] = {
	{ "StartSession", handle_start_session, false },
	{ "StopSession", handle_stop_session, false },
	{ "SetDepth", handle_set_depth, false },
	{ "SetSpeed", handle_set_speed, false },
	{ "Scan", handle_scan, true },
	{ "Pair", handle_pair, true },
	{ "Forget", handle_forget, true },
	{ "Reload", handle_reload, false },
	{ "AcknowledgeState", handle_acknowledge_state, false },
};

static const struct control_method *find_method(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(control_methods); i++)
		if (g_str_equal(control_methods[i].name, name))
			return &control_methods[i];
	return NULL;
}

static void dispatch(struct control_call *call)
{
	const char *name = g_dbus_method_invocation_get_method_name(call->invocation);
	GVariant *parameters = g_dbus_method_invocation_get_parameters(call->invocation);
	const struct control_method *method = find_method(name);

	if (!method) {
		g_dbus_method_invocation_return_error(call->invocation, G_DBUS_ERROR,
						      G_DBUS_ERROR_UNKNOWN_METHOD, "no method %s",
						      name);
		control_call_free(call);
		return;
	}
	call->description = describe_caller(call->service, call->uid, name, parameters);
	method->handle(call, parameters);
	if (method->asynchronous)
		return;
	control_service_notify_changed(call->service);
	control_call_free(call);
}

static void on_caller_uid(GObject *source, GAsyncResult *result, gpointer data)
{
	struct control_call *call = data;
	g_autoptr(GVariant) value = NULL;
	g_autoptr(GError) error = NULL;

	value = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
	if (reply_if_closed(call)) {
		control_call_free(call);
		return;
	}
	if (!value) {
		g_autofree char *message = g_strdup_printf(
			"cannot tell who is calling, so nothing is done: %s", error->message);

		return_error(call->invocation,
			     control_error_name_for_code(CONTROL_ERROR_CALLER_UNKNOWN), message);
		control_call_free(call);
		return;
	}
	g_variant_get(value, "(u)", &call->uid);
	dispatch(call);
}

static void on_method_call(GDBusConnection *connection, const char *sender,
			   const char *object_path, const char *interface_name,
			   const char *method_name, GVariant *parameters,
			   GDBusMethodInvocation *invocation, gpointer data)
{
	struct control_service *service = data;
	struct control_call *call;

	(void)object_path;
	(void)interface_name;
	(void)method_name;
	(void)parameters;
	if (service->closed || !sender) {
		return_error(invocation, control_error_name_for_code(CONTROL_ERROR_CALLER_UNKNOWN),
			     "calls are accepted only through the message bus");
		return;
	}
	call = g_new0(struct control_call, 1);
	call->service = service_ref(service);
	call->invocation = g_object_ref(invocation);
	g_dbus_connection_call(connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
			       "org.freedesktop.DBus", "GetConnectionUnixUser",
			       g_variant_new("(s)", sender), G_VARIANT_TYPE("(u)"),
			       G_DBUS_CALL_FLAGS_NONE, -1, NULL, on_caller_uid, call);
}

static GVariant *on_get_property(GDBusConnection *connection, const char *sender,
				 const char *object_path, const char *interface_name,
				 const char *property_name, GError **error, gpointer data)
{
	struct control_service *service = data;
	GVariant *value;

	(void)connection;
	(void)sender;
	(void)object_path;
	(void)interface_name;
	if (service->closed) {
		g_set_error_literal(error, G_DBUS_ERROR, G_DBUS_ERROR_NO_SERVER,
				    "penctld is shutting down");
		return NULL;
	}
	if (!service->get_cache) {
		service->get_cache = current_properties(service);
		service->get_cache_idle_id = g_idle_add(on_get_cache_idle, service);
	}
	value = g_variant_lookup_value(service->get_cache, property_name, NULL);
	if (!value)
		g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY,
			    "no property %s", property_name);
	return value;
}

static const GDBusInterfaceVTable control_vtable = {
	.method_call = on_method_call,
	.get_property = on_get_property,
	.set_property = NULL, /* every property is read-only */
};

/* ---- life cycle ---- */

struct control_service *control_service_new(const struct control_service_ops *ops,
					    void *user_data)
{
	struct control_service *service = g_rc_box_new0(struct control_service);

	service->ops = ops;
	service->user_data = user_data;
	service->tracker = control_properties_tracker_new();
	(void)control_error_quark(); /* register the error names with GDBus */
	/* A method the XML gained without a handler answers UnknownMethod;
	 * say so where the person who added it will look. */
	for (GDBusMethodInfo **m = io_penctld_penctl1_interface.methods; m && *m; m++)
		if (!find_method((*m)->name))
			g_warning("control: method %s of %s has no handler", (*m)->name,
				  PENCTL_DBUS_INTERFACE);
	return service;
}

static bool export_object(struct control_service *service, GDBusConnection *connection,
			  GError **error)
{
	g_autoptr(GVariant) exported = NULL;

	if (service->registration_id)
		return true;
	service->registration_id = g_dbus_connection_register_object(
		connection, PENCTL_DBUS_PATH,
		(GDBusInterfaceInfo *)&io_penctld_penctl1_interface, &control_vtable,
		service_ref(service), (GDestroyNotify)service_unref, error);
	if (!service->registration_id)
		return false;
	g_set_object(&service->connection, connection);
	/* The starting point of the changes: the state as exported, which
	 * a client reads with GetAll, not from a signal. */
	exported = changed_properties(service);
	return true;
}

/* An Event signal for RECORD: a view shows why the motor stopped, or why
 * a request was refused, without reading the journal. */
void control_service_emit_event(struct control_service *service,
				const struct engine_record *record)
{
	g_autoptr(GError) error = NULL;

	if (!service || service->closed || !service->registration_id || !record)
		return;
	if (!g_dbus_connection_emit_signal(service->connection, NULL, PENCTL_DBUS_PATH,
					   PENCTL_DBUS_INTERFACE, "Event",
					   control_event_to_variant(record), &error))
		g_warning("control: cannot signal an event: %s", error->message);
}

static void on_bus_acquired(GDBusConnection *connection, const char *name, gpointer data)
{
	struct control_service *service = data;
	g_autoptr(GError) error = NULL;

	(void)name;
	if (service->closed)
		return;
	/* A vanished bus is reported through name_lost; the daemon decides
	 * how to exit (after stopping the motor), not GDBus's SIGTERM. */
	g_dbus_connection_set_exit_on_close(connection, FALSE);
	if (!export_object(service, connection, &error))
		g_warning("control: cannot export %s: %s", PENCTL_DBUS_PATH, error->message);
}

static void on_name_acquired(GDBusConnection *connection, const char *name, gpointer data)
{
	struct control_service *service = data;

	(void)connection;
	(void)name;
	if (!service->closed && service->registration_id)
		service->ops->name_acquired(service->user_data);
	else if (!service->closed)
		service->ops->name_lost(service->user_data);
}

static void on_name_lost(GDBusConnection *connection, const char *name, gpointer data)
{
	struct control_service *service = data;

	(void)connection;
	(void)name;
	if (!service->closed)
		service->ops->name_lost(service->user_data);
}

void control_service_own_name(struct control_service *service, GBusType bus_type)
{
	if (service->owner_id || service->closed)
		return;
	service->owner_id = g_bus_own_name(bus_type, PENCTL_DBUS_NAME,
					   G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE, on_bus_acquired,
					   on_name_acquired, on_name_lost, service_ref(service),
					   (GDestroyNotify)service_unref);
}

void control_service_free(struct control_service *service)
{
	if (!service)
		return;
	service->closed = true;
	drop_get_cache(service);
	if (service->tick_id) {
		g_source_remove(service->tick_id);
		service->tick_id = 0;
	}
	if (service->registration_id) {
		g_dbus_connection_unregister_object(service->connection, service->registration_id);
		service->registration_id = 0;
	}
	if (service->owner_id) {
		g_bus_unown_name(service->owner_id);
		service->owner_id = 0;
	}
	service_unref(service);
}
