// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The daemon's glue.  penctld_step() is the only way into the engine: it
 * stamps the event with the monotonic time, steps the engine and carries out
 * every action at once (a STOP is on the bus before it returns).
 */
#include <errno.h>
#include <signal.h>
#include <syslog.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>

#include "penctl/control_service.h"
#include "penctl/engine.h"
#include "penctl/journal_engine_record.h"
#include "penctl/journal_record.h"
#include "penctl/pedal.h"
#include "penctl/pen_link.h"
#include "penctl/state_store.h"
#include "penctld.h"
#include "sd_notify.h"

#define PAIR_SCAN_SECONDS 5

struct penctld {
	struct penctld_options options;
	struct penctl_config *config;
	struct engine *engine;
	GMainLoop *loop;
	int exit_status;

	GDBusConnection *system_bus;
	struct pen_link *pen;
	struct pedal *pedal;
	struct control_service *control;

	char *state_dir;
	struct penctl_state *state;

	GSource *engine_timer;   /* ready time = the engine's ARM_TIMER deadline */
	guint watchdog_source;
	guint drop_source;
	guint signal_sources[3];
	bool ready_sent;
	bool stepping;           /* inside penctld_step(): steps never nest */
	char *config_problem;    /* why the file on disk is not what runs; NULL when it is */

	/* The D-Bus caller of the step being carried out, for the records. */
	const struct control_caller *caller;
	/* The REPLY of the last step, copied for the control service. */
	struct engine_reply last_reply;
	bool have_reply;

	/* The engine asked to record a used cartridge (CARTRIDGE_USED): the
	 * answer is its next event, stepped right after this step. */
	bool cartridge_answer_due;
	uint64_t cartridge_answered;
	bool cartridge_saved;
	char *cartridge_save_error;
	/* The step opened, changed or closed the session's progress. */
	bool session_progress_due;
	/* A reload's longer heartbeat interval, held back until the pen has
	 * answered the longer watchdog (0 when none is waiting). */
	uint32_t heartbeat_target_ms;
};

/* ---- persistent state ---- */

static void log_state_problem(const char *event, const char *what, const GError *error)
{
	g_autofree char *message = g_strdup_printf("%s: %s", what, error->message);
	struct journal_record_input in = {
		.event = event,
		.priority = LOG_ERR,
		.message = message,
		.detail = error->message,
	};

	journal_record_log(&in);
}

static void save_state(struct penctld *d)
{
	g_autoptr(GError) error = NULL;

	if (!state_store_save(d->state_dir, d->state, &error))
		log_state_problem("state-write-failed",
				  "Could not save the paired pen and the used cartridges", error);
}

static void load_state(struct penctld *d)
{
	g_autoptr(GError) warning = NULL;

	d->state_dir = penctl_state_dir();
	if (!state_store_load(d->state_dir, &d->state, &warning))
		log_state_problem(d->state->file_unreadable ? "state-unreadable" : "state-damaged",
				  "The saved state could not be read whole", warning);
	for (guint i = 0; i < d->state->used_cartridges->len; i++)
		engine_mark_cartridge_used(d->engine,
					   g_array_index(d->state->used_cartridges, uint64_t, i));
	/* A list that may miss a used cartridge keeps sessions closed until a
	 * person has looked (penctl state acknowledge). */
	engine_set_used_list_untrusted(d->engine, d->state->used_list_untrusted
							  ? d->state->untrusted_why : NULL);
}

/* A session still recorded as open at start was cut short (crash, kill,
 * power cut): close it in the journal with what the state file knows. */
static void close_interrupted_session(struct penctld *d)
{
	const struct penctl_open_session *s = d->state->open_session;
	g_autofree char *message = NULL;
	struct journal_record_input in = {
		.event = "session-interrupted",
		.priority = LOG_WARNING,
		.reason = "daemon-restart",
		.detail = "ended by a daemon restart",
	};

	if (!s)
		return;
	message = g_strdup_printf("Session %s (operator %s, %s, %s) was cut short: ended by a "
				  "daemon restart. Needling %.1f s up to its last record, deepest "
				  "%.2f mm, last depth %.2f mm",
				  s->id, s->operator_name, s->role, s->area,
				  (double)s->needling_us / 1e6, s->max_depth_um / 1000.0,
				  s->last_depth_um / 1000.0);
	in.message = message;
	in.session = s->id;
	in.operator_name = s->operator_name;
	in.role = s->role;
	in.area = s->area;
	in.client_ref = s->client_ref[0] ? s->client_ref : NULL;
	in.depth_um = JOURNAL_NUMBER(s->last_depth_um);
	in.max_depth_um = JOURNAL_NUMBER(s->max_depth_um);
	in.needling_ms = JOURNAL_NUMBER(s->needling_us / 1000);
	journal_record_log(&in);
	penctl_state_clear_open_session(d->state);
	save_state(d);
}

/* Keep the open session's progress in the state file, so that a session cut
 * short can be closed in the journal after a restart.  Called after a step's
 * actions were carried out: a STOP is already on its way. */
static void save_session_progress(struct penctld *d)
{
	int64_t now = g_get_monotonic_time();
	const struct engine_session_summary *summary = engine_session_summary(d->engine, now);
	struct engine_snapshot snap;
	struct penctl_open_session open = { 0 };

	engine_get_snapshot(d->engine, now, &snap);
	if (!summary || !snap.session_open) {
		if (!d->state->open_session)
			return;
		penctl_state_clear_open_session(d->state);
	} else {
		open.id = (char *)summary->session_id;
		open.operator_name = (char *)summary->operator_name;
		open.role = (char *)summary->role;
		open.area = (char *)summary->area;
		open.client_ref = (char *)summary->client_ref;
		open.started_realtime_us = g_get_real_time() - summary->wall_us;
		open.needling_us = summary->needling_us;
		open.max_depth_um = summary->max_depth_um;
		open.last_depth_um = snap.depth_um;
		penctl_state_set_open_session(d->state, &open);
	}
	save_state(d);
}

/* The configured pen wins over the paired one: a technician's explicit choice. */
static const char *pen_address(const struct penctld *d)
{
	return d->config->pen_address[0] ? d->config->pen_address : d->state->pen_address;
}

/* ---- carrying out the engine's actions ---- */

static void log_record(struct penctld *d, const struct engine_record *record)
{
	struct engine_snapshot snapshot;
	struct journal_caller caller = { 0 };

	engine_get_snapshot(d->engine, g_get_monotonic_time(), &snapshot);
	if (d->caller) {
		caller.name = d->caller->description;
		caller.uid = JOURNAL_NUMBER(d->caller->uid);
	}
	journal_log_engine_record(record, &snapshot, d->caller ? &caller : NULL);
}

static void write_failed(const char *what, int err)
{
	/* No pen to write to is normal (the engine was told, or is about to be). */
	if (err != -ENOTCONN)
		g_warning("Could not write %s to the pen: %s", what, g_strerror(-err));
}

static gboolean drop_pen_link(gpointer user_data)
{
	struct penctld *d = user_data;

	d->drop_source = 0;
	pen_link_drop(d->pen, "the pen's state cannot be trusted");
	return G_SOURCE_REMOVE;
}

/* The engine runs no motor on a cartridge before it is on disk: save it
 * now (synchronously, fsync'd) and answer the engine right after the step. */
static void record_cartridge_used(struct penctld *d, uint64_t cartridge)
{
	g_autoptr(GError) error = NULL;

	penctl_state_add_cartridge(d->state, cartridge);
	d->cartridge_answer_due = true;
	d->cartridge_answered = cartridge;
	d->cartridge_saved = state_store_save(d->state_dir, d->state, &error);
	g_clear_pointer(&d->cartridge_save_error, g_free);
	if (!d->cartridge_saved) {
		log_state_problem("state-write-failed",
				  "Could not record the cartridge as used: it is not run", error);
		d->cartridge_save_error = g_strdup(error->message);
	}
}

static void acknowledge_state(struct penctld *d)
{
	g_autoptr(GError) error = NULL;

	penctl_state_acknowledge(d->state);
	/* When this save fails, the mark stays in the file and comes back at
	 * the next start: that errs toward refusing. */
	if (!state_store_save(d->state_dir, d->state, &error))
		log_state_problem("state-write-failed",
				  "The acknowledgement holds until penctld restarts", error);
}

/* What a record means for the state file. */
static void note_record(struct penctld *d, const struct engine_record *record)
{
	switch (record->kind) {
	case ENGINE_RECORD_SESSION_START:
	case ENGINE_RECORD_MOTOR_STOP:
	case ENGINE_RECORD_SESSION_END:
		d->session_progress_due = true;
		break;
	case ENGINE_RECORD_STATE_ACKNOWLEDGED:
		acknowledge_state(d);
		break;
	default:
		break;
	}
}

static void carry_out(struct penctld *d, const struct engine_action *a)
{
	int err = 0;

	switch (a->kind) {
	case ENGINE_ACTION_MOTOR_RUN:
		err = pen_link_write_control(d->pen, true, a->motor.seq);
		if (err)
			write_failed("RUN", err);
		break;
	case ENGINE_ACTION_MOTOR_STOP:
		err = pen_link_write_control(d->pen, false, a->motor.seq);
		if (err)
			write_failed("STOP", err);
		break;
	case ENGINE_ACTION_SET_DEPTH:
		err = pen_link_write_depth(d->pen, a->depth_um);
		if (err)
			write_failed("the depth", err);
		break;
	case ENGINE_ACTION_SET_SPEED:
		err = pen_link_write_speed(d->pen, a->speed);
		if (err)
			write_failed("the speed", err);
		break;
	case ENGINE_ACTION_HEARTBEAT:
		err = pen_link_write_heartbeat(d->pen, a->heartbeat);
		if (err)
			write_failed("a heartbeat", err);
		break;
	case ENGINE_ACTION_ARM_TIMER:
		g_source_set_ready_time(d->engine_timer, a->deadline_us);
		break;
	case ENGINE_ACTION_RECORD:
		log_record(d, &a->record);
		note_record(d, &a->record);
		break;
	case ENGINE_ACTION_REPLY:
		d->last_reply = a->reply;
		d->have_reply = true;
		break;
	case ENGINE_ACTION_CARTRIDGE_USED:
		record_cartridge_used(d, a->cartridge);
		break;
	case ENGINE_ACTION_READ_CARTRIDGE:
		err = pen_link_read_cartridge(d->pen);
		if (err)
			write_failed("(read) the cartridge", err);
		break;
	case ENGINE_ACTION_DROP_LINK:
		/* After this step: dropping reports the loss, which is an engine
		 * event of its own, and a step never runs inside another. */
		if (!d->drop_source)
			d->drop_source = g_idle_add_full(G_PRIORITY_HIGH, drop_pen_link, d, NULL);
		break;
	}
}

/* One engine step, its actions carried out in the engine's order (it puts
 * a STOP first). */
static void run_step(struct penctld *d, struct engine_event *ev)
{
	struct engine_output out;

	ev->time_us = ev->time_us ? MIN(ev->time_us, g_get_monotonic_time())
				  : g_get_monotonic_time();
	engine_step(d->engine, ev, &out);
	for (unsigned i = 0; i < out.n_actions; i++)
		carry_out(d, &out.actions[i]);
}

static void penctld_step(struct penctld *d, struct engine_event *ev)
{
	/* An adapter that steps from inside a step (a callback fired by an
	 * action) would see the engine half-way: a bug, not bad input. */
	g_assert(!d->stepping);
	d->stepping = true;
	d->have_reply = false;
	run_step(d, ev);
	/* A cartridge record's answer is the next event: after the step that
	 * asked for it, never inside it. */
	while (d->cartridge_answer_due) {
		struct engine_event answer = { .kind = ENGINE_EVENT_CARTRIDGE_RECORDED,
					       .caller = ev->caller };

		d->cartridge_answer_due = false;
		answer.cartridge_recorded.cartridge = d->cartridge_answered;
		answer.cartridge_recorded.saved = d->cartridge_saved;
		answer.cartridge_recorded.error = d->cartridge_save_error;
		run_step(d, &answer);
	}
	d->stepping = false;
	if (d->session_progress_due) {
		d->session_progress_due = false;
		save_session_progress(d);
	}
	if (d->control)
		control_service_notify_changed(d->control);
}

static void step_simple(struct penctld *d, enum engine_event_kind kind, int64_t time_us,
			const char *reason)
{
	struct engine_event ev = { .kind = kind, .time_us = time_us };

	ev.lost.reason = reason;
	penctld_step(d, &ev);
}

static gboolean on_engine_timer(gpointer user_data)
{
	struct penctld *d = user_data;

	g_source_set_ready_time(d->engine_timer, -1);
	step_simple(d, ENGINE_EVENT_TICK, 0, NULL);
	return G_SOURCE_CONTINUE;
}

static gboolean engine_timer_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
	(void)source;
	return callback(user_data);
}

static GSourceFuncs engine_timer_funcs = {
	.dispatch = engine_timer_dispatch,
};

/* ---- the pen ---- */

/* The pen has the reload's new watchdog: the heartbeat interval that a
 * longer watchdog allows may apply now (the engine reads it at each beat). */
static void pen_watchdog_written(void *user_data, uint16_t watchdog_ms)
{
	struct penctld *d = user_data;

	if (d->heartbeat_target_ms && watchdog_ms == d->config->pen_watchdog_ms) {
		d->config->heartbeat_interval_ms = d->heartbeat_target_ms;
		d->heartbeat_target_ms = 0;
	}
}

static void pen_connected(void *user_data, const char *address, bool compatible,
			  const char *incompatibility, const struct pen_cartridge *cartridge)
{
	struct penctld *d = user_data;
	struct engine_event ev = { .kind = ENGINE_EVENT_PEN_CONNECTED };

	/* A connect writes the pen_link_write_watchdog() value first. */
	if (d->heartbeat_target_ms)
		pen_watchdog_written(d, (uint16_t)d->config->pen_watchdog_ms);
	ev.pen_connected.address = address;
	ev.pen_connected.compatible = compatible;
	ev.pen_connected.incompatibility = incompatibility;
	if (cartridge)
		ev.pen_connected.cartridge = *cartridge;
	penctld_step(user_data, &ev);
}

static void pen_disconnected(void *user_data, const char *reason)
{
	step_simple(user_data, ENGINE_EVENT_PEN_DISCONNECTED, 0, reason);
}

static void pen_status(void *user_data, const struct pen_status *status)
{
	struct engine_event ev = { .kind = ENGINE_EVENT_PEN_STATUS, .pen_status = *status };

	penctld_step(user_data, &ev);
}

static void pen_cartridge(void *user_data, const struct pen_cartridge *cartridge)
{
	struct engine_event ev = { .kind = ENGINE_EVENT_PEN_CARTRIDGE, .pen_cartridge = *cartridge };

	penctld_step(user_data, &ev);
}

static void pen_battery(void *user_data, uint8_t percent)
{
	struct engine_event ev = { .kind = ENGINE_EVENT_PEN_BATTERY, .pen_battery_percent = percent };

	penctld_step(user_data, &ev);
}

static void pen_protocol_error(struct penctld *d, const char *what, const char *verb,
			       const GError *error)
{
	g_autofree char *why = g_strdup_printf("%s %s: %s", what, verb,
					       error ? error->message : "unknown error");

	step_simple(d, ENGINE_EVENT_PEN_PROTOCOL_ERROR, 0, why);
}

static void pen_malformed(void *user_data, const char *what, const GError *error)
{
	pen_protocol_error(user_data, what, "value malformed", error);
}

static void pen_write_failed(void *user_data, const char *what, const GError *error)
{
	pen_protocol_error(user_data, what, "write refused", error);
}

static void pen_control_answered(void *user_data, bool run, uint16_t seq, uint8_t att_error)
{
	struct engine_event ev = { 0 };

	/* A STOP is always applied (docs/pen-protocol.md §3.1); a refused one
	 * comes as on_malformed. */
	if (!run)
		return;
	if (att_error == 0) {
		ev.kind = ENGINE_EVENT_PEN_RUN_CONFIRMED;
		ev.run_seq = seq;
	} else if (pen_att_error_is_run_refusal(att_error)) {
		ev.kind = ENGINE_EVENT_PEN_RUN_REFUSED;
		ev.pen_refusal = att_error;
	} else {
		/* pen_link reports any other answer as malformed; should one come
		 * here, it is still no documented refusal: the pen is not trusted. */
		g_autofree char *why = g_strdup_printf("control answered a RUN with ATT error "
						       "0x%02x", att_error);

		step_simple(user_data, ENGINE_EVENT_PEN_PROTOCOL_ERROR, 0, why);
		return;
	}
	penctld_step(user_data, &ev);
}

static void pen_link_error(void *user_data, const char *what, const GError *error)
{
	g_autofree char *why = g_strdup_printf("%s write not carried: %s", what,
					       error ? error->message : "unknown error");

	step_simple(user_data, ENGINE_EVENT_PEN_LINK_ERROR, 0, why);
}

static void pen_adapter_changed(void *user_data, bool present, bool powered)
{
	(void)user_data;
	if (!present)
		g_warning("No Bluetooth adapter: the pen cannot connect (check `penctl doctor`)");
	else if (!powered)
		g_warning("The Bluetooth adapter is powered off: the pen cannot connect");
	else
		g_message("Bluetooth adapter present and powered");
}

static void pen_pairing_passkey(void *user_data, const char *address, uint32_t passkey)
{
	(void)user_data;
	g_message("Pairing with %s: passkey %06u confirmed", address, passkey);
}

static const struct pen_link_callbacks pen_callbacks = {
	.on_connected = pen_connected,
	.on_disconnected = pen_disconnected,
	.on_status = pen_status,
	.on_cartridge = pen_cartridge,
	.on_battery = pen_battery,
	.on_malformed = pen_malformed,
	.on_write_failed = pen_write_failed,
	.on_control_answered = pen_control_answered,
	.on_link_error = pen_link_error,
	.on_watchdog_written = pen_watchdog_written,
	.on_adapter_changed = pen_adapter_changed,
	.on_pairing_passkey = pen_pairing_passkey,
};

/* ---- the pedal ---- */

static void pedal_pressed(int64_t time_us, bool held_at_start, void *user_data)
{
	if (held_at_start)
		g_message("The pedal is held down: it is ignored until released");
	step_simple(user_data, ENGINE_EVENT_PEDAL_DOWN, time_us, NULL);
}

static void pedal_released(int64_t time_us, void *user_data)
{
	step_simple(user_data, ENGINE_EVENT_PEDAL_UP, time_us, NULL);
}

static void pedal_press_began(int64_t time_us, void *user_data)
{
	step_simple(user_data, ENGINE_EVENT_PEDAL_PRESS_BEGAN, time_us, NULL);
}

static void pedal_lost(const char *reason, void *user_data)
{
	step_simple(user_data, ENGINE_EVENT_PEDAL_LOST, 0, reason);
}

static void pedal_unavailable(const GError *error, void *user_data)
{
	struct journal_record_input in = {
		.event = "pedal-unavailable",
		.priority = LOG_ERR,
		.message = error->message,
		.reason = "pedal-unavailable",
	};

	(void)user_data;
	journal_record_log(&in);
}

static const struct pedal_callbacks pedal_callbacks = {
	.on_pressed = pedal_pressed,
	.on_released = pedal_released,
	.on_press_began = pedal_press_began,
	.on_lost = pedal_lost,
	.on_unavailable = pedal_unavailable,
};

static void start_pedal(struct penctld *d)
{
	g_autoptr(GError) error = NULL;

	d->pedal = pedal_new(d->config, &pedal_callbacks, d);
	/* The daemon runs on without a pedal (the motor never does); the
	 * pedal module keeps trying to open the line. */
	if (!pedal_start(d->pedal, &error))
		pedal_unavailable(error, d);
}

/* ---- the D-Bus control service ---- */

static void control_name_acquired(void *user_data)
{
	struct penctld *d = user_data;

	if (d->ready_sent)
		return;
	d->ready_sent = true;
	sd_notify_send("READY=1\nSTATUS=Ready: waiting for the pen and the pedal");
}

static void control_name_lost(void *user_data)
{
	struct penctld *d = user_data;

	g_critical("Lost the D-Bus name " PENCTL_DBUS_NAME " (another penctld, or no system "
		   "bus): penctld cannot be controlled and stops");
	d->exit_status = 1;
	g_main_loop_quit(d->loop);
}

static void control_submit(void *user_data, const struct control_caller *caller,
			   const struct engine_event *event, struct engine_reply *reply_out)
{
	struct penctld *d = user_data;
	struct engine_event ev = *event;

	ev.time_us = 0;
	d->caller = caller;
	penctld_step(d, &ev);
	d->caller = NULL;
	if (d->have_reply) {
		*reply_out = d->last_reply;
	} else {
		reply_out->refusal = ENGINE_REASON_NO_SESSION;
		reply_out->summary = NULL;
		g_strlcpy(reply_out->message, "The request was not answered", sizeof(reply_out->message));
	}
}

static void control_snapshot(void *user_data, struct engine_snapshot *out)
{
	struct penctld *d = user_data;

	engine_get_snapshot(d->engine, g_get_monotonic_time(), out);
	/* The pen penctl shows is the paired (or configured) one, connected or
	 * not; the engine only knows the last one that connected. */
	if (pen_address(d)[0])
		out->pen_address = pen_address(d);
}

static const struct penctl_config *control_config(void *user_data)
{
	return ((struct penctld *)user_data)->config;
}

static GError *control_error_from(const GError *error)
{
	if (g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
	    g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER) ||
	    g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
		return g_error_new(CONTROL_ERROR, CONTROL_ERROR_BLUETOOTH_UNAVAILABLE,
				   "Bluetooth is not available: %s (is bluetoothd running and an "
				   "adapter powered? see `penctl doctor`)", error->message);
	if (error->domain == CONTROL_ERROR)
		return g_error_copy(error);
	return g_error_new(CONTROL_ERROR, CONTROL_ERROR_FAILED, "%s", error->message);
}

static GPtrArray *found_pens_from_variant(GVariant *pens)
{
	GPtrArray *found = g_ptr_array_new_with_free_func((GDestroyNotify)control_found_pen_free);
	const char *address, *name;
	GVariantIter iter;
	gint16 rssi;

	g_variant_iter_init(&iter, pens);
	while (g_variant_iter_next(&iter, "(&s&sn)", &address, &name, &rssi))
		g_ptr_array_add(found, control_found_pen_new(address, name, rssi));
	return found;
}

static GTask *new_task(struct penctld *d, GAsyncReadyCallback callback, gpointer data)
{
	/* GTask wants a GObject source; the daemon is not one, so the task
	 * data carries it. */
	GTask *task = g_task_new(NULL, NULL, callback, data);

	g_task_set_task_data(task, d, NULL);
	return task;
}

static struct penctld *task_daemon(GTask *task)
{
	return g_task_get_task_data(task);
}

static void scan_done_task(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	struct penctld *d = task_daemon(task);
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) pens = pen_link_scan_finish(d->pen, result, &error);

	(void)source;
	if (!pens)
		g_task_return_error(task, control_error_from(error));
	else
		g_task_return_pointer(task, found_pens_from_variant(pens),
				      (GDestroyNotify)g_ptr_array_unref);
}

static void control_scan(void *user_data, const struct control_caller *caller, unsigned seconds,
			 GAsyncReadyCallback callback, gpointer callback_data)
{
	struct penctld *d = user_data;
	GTask *task = new_task(d, callback, callback_data);

	g_message("Scanning for pens for %u s (asked by %s)", seconds, caller->description);
	pen_link_scan(d->pen, seconds, NULL, scan_done_task, task);
}

static GPtrArray *control_scan_finish(void *user_data, GAsyncResult *result, GError **error)
{
	(void)user_data;
	return g_task_propagate_pointer(G_TASK(result), error);
}

/* The pen may not change under an open session: answer TASK and say so. */
static bool refused_while_session_open(struct penctld *d, GTask *task, const char *doing)
{
	struct engine_snapshot s;

	engine_get_snapshot(d->engine, g_get_monotonic_time(), &s);
	if (!s.session_open)
		return false;
	g_task_return_new_error(task, CONTROL_ERROR, CONTROL_ERROR_SESSION_OPEN,
				"A session is open: stop it before %s", doing);
	g_object_unref(task);
	return true;
}

static void pair_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	struct penctld *d = task_daemon(task);
	const char *address = g_object_get_data(G_OBJECT(task), "address");
	g_autoptr(GError) error = NULL;

	(void)source;
	if (!pen_link_pair_finish(d->pen, result, &error)) {
		g_task_return_error(task, control_error_from(error));
		return;
	}
	penctl_state_set_pen_address(d->state, address);
	save_state(d);
	g_message("Paired with the pen %s; it is remembered in %s", address, d->state_dir);
	g_task_return_pointer(task, g_strdup(address), g_free);
}

static void pair_address(GTask *task, const char *address)
{
	struct penctld *d = task_daemon(task);

	g_object_set_data_full(G_OBJECT(task), "address", g_strdup(address), g_free);
	pen_link_pair(d->pen, address, NULL, pair_done, task);
}

/* Pair(""): the only pen a short scan finds. */
static void pair_scan_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	GTask *task = user_data;
	struct penctld *d = task_daemon(task);
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) pens = pen_link_scan_finish(d->pen, result, &error);
	const char *address;
	gsize n;

	(void)source;
	if (!pens) {
		g_task_return_error(task, control_error_from(error));
		g_object_unref(task);
		return;
	}
	n = g_variant_n_children(pens);
	if (n != 1) {
		g_task_return_new_error(task, CONTROL_ERROR,
					n ? CONTROL_ERROR_SEVERAL_PENS_FOUND
					  : CONTROL_ERROR_NO_PEN_FOUND,
					n ? "%zu pens found: name the one to pair (penctl pair "
					    "ADDRESS; penctl scan lists them)"
					  : "No pen found in %zu s: is it switched on and near?",
					n ? n : (gsize)PAIR_SCAN_SECONDS);
		g_object_unref(task);
		return;
	}
	g_variant_get_child(pens, 0, "(&s&sn)", &address, NULL, NULL);
	pair_address(task, address);
}

static void control_pair(void *user_data, const struct control_caller *caller,
			 const char *address, GAsyncReadyCallback callback, gpointer callback_data)
{
	struct penctld *d = user_data;
	GTask *task = new_task(d, callback, callback_data);

	if (refused_while_session_open(d, task, "pairing another pen"))
		return;
	g_message("Pairing %s (asked by %s)", address ? address : "the only pen nearby",
		  caller->description);
	if (address)
		pair_address(task, address);
	else
		pen_link_scan(d->pen, PAIR_SCAN_SECONDS, NULL, pair_scan_done, task);
}

static char *control_pair_finish(void *user_data, GAsyncResult *result, GError **error)
{
	(void)user_data;
	return g_task_propagate_pointer(G_TASK(result), error);
}

static void forget_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	struct penctld *d = task_daemon(task);
	g_autoptr(GError) error = NULL;

	(void)source;
	if (!pen_link_forget_finish(d->pen, result, &error)) {
		g_task_return_error(task, control_error_from(error));
		return;
	}
	penctl_state_set_pen_address(d->state, "");
	save_state(d);
	g_task_return_boolean(task, TRUE);
}

static void control_forget(void *user_data, const struct control_caller *caller,
			   GAsyncReadyCallback callback, gpointer callback_data)
{
	struct penctld *d = user_data;
	GTask *task = new_task(d, callback, callback_data);

	if (refused_while_session_open(d, task, "forgetting the pen"))
		return;
	if (!pen_address(d)[0]) {
		g_task_return_new_error(task, CONTROL_ERROR, CONTROL_ERROR_NO_PEN_PAIRED,
					"No pen is paired");
		g_object_unref(task);
		return;
	}
	if (d->config->pen_address[0])
		g_message("The pen %s is set in the configuration ([Pen] Address): it will be "
			  "connected again after a restart until that key is removed",
			  d->config->pen_address);
	g_message("Forgetting the pen %s (asked by %s)", pen_address(d), caller->description);
	pen_link_forget(d->pen, NULL, forget_done, task);
}

static bool control_forget_finish(void *user_data, GAsyncResult *result, GError **error)
{
	(void)user_data;
	return g_task_propagate_boolean(G_TASK(result), error);
}

static bool reload_config(struct penctld *d, GError **error);

static bool control_reload(void *user_data, const struct control_caller *caller, GError **error)
{
	g_message("Reloading the configuration (asked by %s)", caller->description);
	return reload_config(user_data, error);
}

static const char *control_config_problem(void *user_data)
{
	const struct penctld *d = user_data;

	return d->config_problem ? d->config_problem : "";
}

static const struct control_service_ops control_ops = {
	.name_acquired = control_name_acquired,
	.name_lost = control_name_lost,
	.submit = control_submit,
	.snapshot = control_snapshot,
	.config = control_config,
	.scan = control_scan,
	.scan_finish = control_scan_finish,
	.pair = control_pair,
	.pair_finish = control_pair_finish,
	.forget = control_forget,
	.forget_finish = control_forget_finish,
	.reload = control_reload,
	.config_problem = control_config_problem,
};

/* ---- signals, reload, watchdog ---- */

static bool pedal_settings_differ(const struct penctl_config *a, const struct penctl_config *b)
{
	return g_strcmp0(a->pedal_chip, b->pedal_chip) || g_strcmp0(a->pedal_line, b->pedal_line) ||
	       a->pedal_active_low != b->pedal_active_low || a->pedal_bias != b->pedal_bias ||
	       a->pedal_debounce_ms != b->pedal_debounce_ms;
}

/* Reload the configuration; false with ERROR (the file's problem) when it
 * is rejected, and the running configuration stays in force. */
static bool reload_config(struct penctld *d, GError **error)
{
	g_autoptr(GError) problem = NULL;
	struct penctl_config *fresh;
	struct penctl_config *old = d->config;
	struct engine_event ev = { .kind = ENGINE_EVENT_CONFIG_RELOAD };

	sd_notify_send("RELOADING=1");
	fresh = penctl_config_load(d->options.config_path, NULL, &problem);
	if (fresh && !penctl_config_reload_allowed(old, fresh, &problem))
		g_clear_pointer(&fresh, penctl_config_free);
	if (!fresh) {
		struct journal_record_input in = {
			.event = "config-rejected",
			.priority = LOG_ERR,
			.reason = "invalid-config",
			.detail = problem->message,
		};
		g_autofree char *message = g_strdup_printf("Configuration not reloaded, the "
							   "previous one stays in force: %s",
							   problem->message);

		in.message = message;
		journal_record_log(&in);
		g_free(d->config_problem);
		d->config_problem = g_strdup(problem->message);
		sd_notify_send("READY=1");
		if (d->control)
			control_service_notify_changed(d->control);
		g_propagate_error(error, g_steal_pointer(&problem));
		return false;
	}
	g_clear_pointer(&d->config_problem, g_free);
	d->heartbeat_target_ms = 0;
	if (fresh->pen_watchdog_ms != old->pen_watchdog_ms) {
		/* The pen learns the new watchdog first (the config check made
		 * sure it covers the old heartbeat); a longer heartbeat interval
		 * waits for the pen's answer, or the old watchdog could expire
		 * between two beats. */
		int err = pen_link_write_watchdog(d->pen, (uint16_t)fresh->pen_watchdog_ms);

		if (err == 0 && fresh->heartbeat_interval_ms > old->heartbeat_interval_ms) {
			d->heartbeat_target_ms = fresh->heartbeat_interval_ms;
			fresh->heartbeat_interval_ms = old->heartbeat_interval_ms;
		} else if (err && err != -ENOTCONN) {
			write_failed("the watchdog", err);
		}
	}
	ev.config = fresh;
	d->config = fresh;
	penctld_step(d, &ev);
	if (pedal_settings_differ(old, fresh)) {
		/* The engine forgets the old line's state: a new one reports its level. */
		pedal_free(g_steal_pointer(&d->pedal));
		step_simple(d, ENGINE_EVENT_PEDAL_LOST, 0, "the pedal settings changed");
		start_pedal(d);
	}
	if (!pen_link_get_address(d->pen)[0] && pen_address(d)[0])
		pen_link_set_address(d->pen, pen_address(d), NULL);
	penctl_config_free(old);
	sd_notify_send("READY=1");
	return true;
}

static gboolean on_sighup(gpointer user_data)
{
	/* The journal has the record; nobody waits for an answer. */
	reload_config(user_data, NULL);
	return G_SOURCE_CONTINUE;
}

static gboolean on_terminate(gpointer user_data)
{
	struct penctld *d = user_data;
	struct engine_snapshot s;

	sd_notify_send("STOPPING=1");
	engine_get_snapshot(d->engine, g_get_monotonic_time(), &s);
	if (s.session_open) {
		/* Stops the motor and writes the session's summary: nothing is lost. */
		struct control_caller self = { .uid = (uint32_t)getuid(),
					       .description = "penctld (stopping)" };
		struct engine_event ev = { .kind = ENGINE_EVENT_SESSION_STOP };

		d->caller = &self;
		penctld_step(d, &ev);
		d->caller = NULL;
	}
	g_main_loop_quit(d->loop);
	return G_SOURCE_CONTINUE;
}

static gboolean on_watchdog(gpointer user_data)
{
	int err;

	(void)user_data;
	/* Sent twice per WatchdogSec: one dropped ping is not yet a restart. */
	err = sd_notify_send("WATCHDOG=1");
	if (err)
		g_warning("Could not tell systemd the daemon is alive (WATCHDOG=1): %s",
			  g_strerror(-err));
	return G_SOURCE_CONTINUE;
}

/* ---- life cycle ---- */

struct penctld *penctld_new(const struct penctld_options *options, struct penctl_config *config,
			    GError **error)
{
	g_autofree struct penctld *d = g_new0(struct penctld, 1);
	struct pen_link_config link_config = { 0 };
	uint64_t watchdog_usec;

	d->options = *options;
	d->config = config;
	d->system_bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, error);
	if (!d->system_bus) {
		penctl_config_free(config);
		return NULL;
	}
	d->loop = g_main_loop_new(NULL, FALSE);
	d->engine = engine_new(config, g_get_monotonic_time());
	load_state(d);

	d->engine_timer = g_source_new(&engine_timer_funcs, sizeof(GSource));
	g_source_set_callback(d->engine_timer, on_engine_timer, d, NULL);
	g_source_set_ready_time(d->engine_timer, -1);
	g_source_set_priority(d->engine_timer, G_PRIORITY_HIGH);
	g_source_attach(d->engine_timer, NULL);

	link_config.address = pen_address(d);
	link_config.adapter = config->pen_adapter;
	link_config.watchdog_ms = config->pen_watchdog_ms;
	d->pen = pen_link_new(d->system_bus, &link_config, &pen_callbacks, d, error);
	if (!d->pen) {
		penctld_free(g_steal_pointer(&d));
		return NULL;
	}

	d->signal_sources[0] = g_unix_signal_add(SIGHUP, on_sighup, d);
	d->signal_sources[1] = g_unix_signal_add(SIGTERM, on_terminate, d);
	d->signal_sources[2] = g_unix_signal_add(SIGINT, on_terminate, d);
	watchdog_usec = sd_notify_watchdog_usec();
	if (watchdog_usec)
		d->watchdog_source = g_timeout_add_full(G_PRIORITY_HIGH,
							(guint)MAX(watchdog_usec / 2000, 1),
							on_watchdog, d, NULL);
	d->control = control_service_new(&control_ops, d);
	return g_steal_pointer(&d);
}

int penctld_run(struct penctld *d)
{
	struct journal_record_input started = {
		.event = "daemon-started",
		.priority = LOG_INFO,
		.pen = pen_address(d),
	};
	g_autofree char *message = g_strdup_printf(
		"penctld started: pen %s, pedal %s line %s (%s)",
		pen_address(d)[0] ? pen_address(d) : "not paired", d->config->pedal_chip,
		d->config->pedal_line, penctl_pedal_mode_to_string(d->config->pedal_mode));

	started.message = message;
	journal_record_log(&started);
	close_interrupted_session(d);
	start_pedal(d);
	pen_link_start(d->pen);
	control_service_own_name(d->control, G_BUS_TYPE_SYSTEM);
	g_main_loop_run(d->loop);
	/* Whatever the last step wrote to the pen leaves before we do. */
	g_dbus_connection_flush_sync(d->system_bus, NULL, NULL);
	return d->exit_status;
}

void penctld_free(struct penctld *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < G_N_ELEMENTS(d->signal_sources); i++)
		if (d->signal_sources[i])
			g_source_remove(d->signal_sources[i]);
	if (d->watchdog_source)
		g_source_remove(d->watchdog_source);
	if (d->drop_source)
		g_source_remove(d->drop_source);
	g_clear_pointer(&d->control, control_service_free);
	g_clear_pointer(&d->pedal, pedal_free);
	g_clear_pointer(&d->pen, pen_link_free);
	if (d->engine_timer) {
		g_source_destroy(d->engine_timer);
		g_source_unref(d->engine_timer);
	}
	g_clear_pointer(&d->engine, engine_free);
	g_clear_pointer(&d->state, penctl_state_free);
	g_free(d->state_dir);
	g_free(d->config_problem);
	g_free(d->cartridge_save_error);
	g_clear_object(&d->system_bus);
	g_clear_pointer(&d->loop, g_main_loop_unref);
	penctl_config_free(d->config);
	g_free(d);
}
