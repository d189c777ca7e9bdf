// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The daemon's wiring: each adapter's news becomes an engine event, stepped
 * through the action executor (action_executor.h: the engine's actions in
 * its order, a STOP on the bus before the step returns), whose sinks are
 * the adapters again.  What is kept on disk is persistence.h's, what a
 * caller asks of the pen pen_operations.h's.
 */
#include <errno.h>
#include <signal.h>
#include <syslog.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>

#include "penctl/control_service.h"
#include "penctl/deadline_source.h"
#include "penctl/engine.h"
#include "penctl/journal_engine_record.h"
#include "penctl/journal_record.h"
#include "penctl/pedal.h"
#include "penctl/pen_link.h"
#include "action_executor.h"
#include "engine_inputs.h"
#include "pen_operations.h"
#include "penctld.h"
#include "persistence.h"
#include "sd_notify.h"

struct penctld {
	struct penctld_options options;
	struct penctl_config *config;
	struct engine *engine;
	struct action_executor *executor;
	struct engine_inputs inputs; /* the pen's and the pedal's callbacks' data */
	struct penctl_conditions *conditions;
	struct persistence *store;
	GMainLoop *loop;
	int exit_status;

	GDBusConnection *system_bus;
	struct pen_link *pen;
	struct pedal *pedal;
	struct control_service *control;

	GSource *engine_timer;   /* ready time = the engine's ARM_TIMER deadline */
	guint watchdog_source;
	guint drop_source;
	guint signal_sources[3];
	bool ready_sent;
	char *config_problem;    /* why the file on disk is not what runs; NULL when it is */

	/* A reload's longer heartbeat interval, held back until the pen has
	 * answered the longer watchdog (0 when none is waiting). */
	uint32_t heartbeat_target_ms;
};

/* The configured pen wins over the paired one: a technician's explicit choice. */
static const char *pen_address(const struct penctld *d)
{
	return d->config->pen_address[0] ? d->config->pen_address
					 : persistence_state(d->store)->pen_address;
}

static bool session_open(const struct penctld *d)
{
	struct engine_snapshot s;

	engine_get_snapshot(d->engine, g_get_monotonic_time(), &s);
	return s.session_open;
}

/* ---- where the engine's actions go (action_executor.h) ---- */

static int64_t sink_now(void *user_data)
{
	(void)user_data;
	return g_get_monotonic_time();
}

static int sink_write_control(void *user_data, bool run, uint16_t seq)
{
	return pen_link_write_control(((struct penctld *)user_data)->pen, run, seq);
}

static int sink_write_depth(void *user_data, uint16_t depth_um)
{
	return pen_link_write_depth(((struct penctld *)user_data)->pen, depth_um);
}

static int sink_write_speed(void *user_data, uint16_t speed)
{
	return pen_link_write_speed(((struct penctld *)user_data)->pen, speed);
}

static int sink_write_heartbeat(void *user_data, uint16_t heartbeat)
{
	return pen_link_write_heartbeat(((struct penctld *)user_data)->pen, heartbeat);
}

static int sink_read_cartridge(void *user_data)
{
	return pen_link_read_cartridge(((struct penctld *)user_data)->pen);
}

static gboolean drop_pen_link(gpointer user_data)
{
	struct penctld *d = user_data;

	d->drop_source = 0;
	pen_link_drop(d->pen, "the pen's state cannot be trusted");
	return G_SOURCE_REMOVE;
}

static void sink_drop_link(void *user_data)
{
	struct penctld *d = user_data;

	/* Dropping reports the loss, an engine event of its own: after this step. */
	if (!d->drop_source)
		d->drop_source = g_idle_add_full(G_PRIORITY_HIGH, drop_pen_link, d, NULL);
}

static void sink_arm_timer(void *user_data, int64_t deadline_us)
{
	g_source_set_ready_time(((struct penctld *)user_data)->engine_timer, deadline_us);
}

static void sink_record(void *user_data, const struct engine_record *record,
			const struct control_caller *caller)
{
	struct penctld *d = user_data;
	struct engine_snapshot snapshot;
	struct journal_caller who = { 0 };

	engine_get_snapshot(d->engine, g_get_monotonic_time(), &snapshot);
	if (caller) {
		who.name = caller->description;
		who.uid = JOURNAL_NUMBER(caller->uid);
	}
	journal_log_engine_record(record, &snapshot, caller ? &who : NULL);
	persistence_note_record(d->store, record);
	if (d->control)
		control_service_emit_event(d->control, record);
}

static bool sink_record_cartridge(void *user_data, uint64_t cartridge, GError **error)
{
	return persistence_record_cartridge(((struct penctld *)user_data)->store, cartridge, error);
}

/* The pen's conditions follow from the paired address and the engine. */
static void update_pen_conditions(struct penctld *d)
{
	struct engine_snapshot s;

	engine_get_snapshot(d->engine, g_get_monotonic_time(), &s);
	if (!pen_address(d)[0]) {
		penctl_conditions_set(d->conditions, PENCTL_CONDITION_PEN_NOT_PAIRED, NULL);
		penctl_conditions_clear(d->conditions, PENCTL_CONDITION_PEN_OUT_OF_REACH);
		return;
	}
	penctl_conditions_clear(d->conditions, PENCTL_CONDITION_PEN_NOT_PAIRED);
	if (s.pen_connected)
		penctl_conditions_clear(d->conditions, PENCTL_CONDITION_PEN_OUT_OF_REACH);
	else
		penctl_conditions_set(d->conditions, PENCTL_CONDITION_PEN_OUT_OF_REACH,
				      pen_address(d));
}

static void notify_changed(void *user_data)
{
	struct penctld *d = user_data;

	update_pen_conditions(d);
	if (d->control)
		control_service_notify_changed(d->control);
}

static void sink_step_done(void *user_data)
{
	struct penctld *d = user_data;

	persistence_save_progress(d->store, d->engine);
	update_pen_conditions(d);
	if (d->control)
		control_service_notify_changed(d->control);
}

static const struct action_sinks action_sinks = {
	.now = sink_now,
	.write_control = sink_write_control,
	.write_depth = sink_write_depth,
	.write_speed = sink_write_speed,
	.write_heartbeat = sink_write_heartbeat,
	.read_cartridge = sink_read_cartridge,
	.drop_link = sink_drop_link,
	.arm_timer = sink_arm_timer,
	.record = sink_record,
	.record_cartridge = sink_record_cartridge,
	.step_done = sink_step_done,
};

static void penctld_step(struct penctld *d, struct engine_event *ev)
{
	action_executor_step(d->executor, ev, NULL, NULL);
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

	step_simple(d, ENGINE_EVENT_TICK, 0, NULL);
	return G_SOURCE_CONTINUE;
}

/* ---- the pen and the pedal ---- */

/* The pen has the reload's new watchdog: the heartbeat interval that a
 * longer watchdog allows may apply now (the engine reads it at each beat). */
static void pen_watchdog_taken(void *user_data, int watchdog_ms)
{
	struct penctld *d = user_data;

	if (watchdog_ms == ENGINE_INPUTS_WATCHDOG_CONFIGURED)
		watchdog_ms = (int)d->config->pen_watchdog_ms;
	if (d->heartbeat_target_ms && (uint32_t)watchdog_ms == d->config->pen_watchdog_ms) {
		d->config->heartbeat_interval_ms = d->heartbeat_target_ms;
		d->heartbeat_target_ms = 0;
	}
}

static void start_pedal(struct penctld *d)
{
	g_autoptr(GError) error = NULL;

	d->pedal = pedal_new(d->config, &engine_inputs_pedal_callbacks, &d->inputs);
	/* The daemon runs on without a pedal (the motor never does); the
	 * pedal module keeps trying to open the line. */
	if (!pedal_start(d->pedal, &error))
		engine_inputs_pedal_unavailable(&d->inputs, error);
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
	if (!action_executor_step(d->executor, &ev, caller, reply_out)) {
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
	 * not, and none after penctl forget; the engine only knows the last
	 * one that connected. */
	out->pen_address = pen_address(d);
}

static const struct penctl_config *control_config(void *user_data)
{
	return ((struct penctld *)user_data)->config;
}

static void control_scan(void *user_data, const struct control_caller *caller, unsigned seconds,
			 GAsyncReadyCallback callback, gpointer callback_data)
{
	struct penctld *d = user_data;

	g_message("Scanning for pens for %u s (asked by %s)", seconds, caller->description);
	pen_operations_scan(d->pen, seconds, callback, callback_data);
}

static GVariant *control_scan_finish(void *user_data, GAsyncResult *result, GError **error)
{
	(void)user_data;
	return pen_operations_scan_finish(result, error);
}

static void control_pair(void *user_data, const struct control_caller *caller,
			 const char *address, GAsyncReadyCallback callback, gpointer callback_data)
{
	struct penctld *d = user_data;

	/* The pen may not change under an open session. */
	if (session_open(d)) {
		g_task_report_new_error(NULL, callback, callback_data, control_pair, CONTROL_ERROR,
					CONTROL_ERROR_SESSION_OPEN,
					"A session is open: stop it before pairing another pen");
		return;
	}
	g_message("Pairing %s (asked by %s)", address ? address : "the only pen nearby",
		  caller->description);
	pen_operations_pair(d->pen, d->store, address, callback, callback_data);
}

static char *control_pair_finish(void *user_data, GAsyncResult *result, GError **error)
{
	(void)user_data;
	return pen_operations_pair_finish(result, error);
}

static void control_forget(void *user_data, const struct control_caller *caller,
			   GAsyncReadyCallback callback, gpointer callback_data)
{
	struct penctld *d = user_data;

	if (session_open(d)) {
		g_task_report_new_error(NULL, callback, callback_data, control_forget, CONTROL_ERROR,
					CONTROL_ERROR_SESSION_OPEN,
					"A session is open: stop it before forgetting the pen");
		return;
	}
	if (!pen_address(d)[0]) {
		g_task_report_new_error(NULL, callback, callback_data, control_forget, CONTROL_ERROR,
					CONTROL_ERROR_NO_PEN_PAIRED, "No pen is paired");
		return;
	}
	if (d->config->pen_address[0])
		g_message("The pen %s is set in the configuration ([Pen] Address): it will be "
			  "connected again after a restart until that key is removed",
			  d->config->pen_address);
	g_message("Forgetting the pen %s (asked by %s)", pen_address(d), caller->description);
	pen_operations_forget(d->pen, d->store, callback, callback_data);
}

static bool control_forget_finish(void *user_data, GAsyncResult *result, GError **error)
{
	(void)user_data;
	return pen_operations_forget_finish(result, error);
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

static const struct penctl_conditions *control_conditions(void *user_data)
{
	return ((struct penctld *)user_data)->conditions;
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
	.conditions = control_conditions,
};

/* ---- signals, reload, watchdog ---- */

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
		penctl_conditions_set(d->conditions, PENCTL_CONDITION_CONFIG_REJECTED,
				      problem->message);
		sd_notify_send("READY=1");
		if (d->control)
			control_service_notify_changed(d->control);
		g_propagate_error(error, g_steal_pointer(&problem));
		return false;
	}
	g_clear_pointer(&d->config_problem, g_free);
	penctl_conditions_clear(d->conditions, PENCTL_CONDITION_CONFIG_REJECTED);
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
			g_warning("Could not write the watchdog to the pen: %s", g_strerror(-err));
		}
	}
	ev.config = fresh;
	d->config = fresh;
	penctld_step(d, &ev);
	if (penctl_config_pedal_differs(old, fresh)) {
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

		action_executor_step(d->executor, &ev, &self, NULL);
	}
	g_main_loop_quit(d->loop);
	return G_SOURCE_CONTINUE;
}

/* ---- life cycle ---- */

struct penctld *penctld_new(const struct penctld_options *options, struct penctl_config *config,
			    GError **error)
{
	g_autofree struct penctld *d = g_new0(struct penctld, 1);
	struct pen_link_config link_config = { 0 };

	d->options = *options;
	d->config = config;
	d->system_bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, error);
	if (!d->system_bus) {
		penctl_config_free(config);
		return NULL;
	}
	d->loop = g_main_loop_new(NULL, FALSE);
	d->engine = engine_new(config, g_get_monotonic_time());
	d->executor = action_executor_new(d->engine, &action_sinks, d);
	d->inputs.executor = d->executor;
	d->inputs.pen_watchdog_taken = pen_watchdog_taken;
	d->conditions = penctl_conditions_new();
	d->inputs.conditions = d->conditions;
	d->inputs.conditions_changed = notify_changed;
	d->inputs.user_data = d;
	d->store = persistence_load();
	persistence_tell_engine(d->store, d->engine);

	d->engine_timer = penctl_deadline_source_new(G_PRIORITY_HIGH, "engine timer",
						     on_engine_timer, d);

	link_config.address = pen_address(d);
	link_config.adapter = config->pen_adapter;
	link_config.watchdog_ms = config->pen_watchdog_ms;
	d->pen = pen_link_new(d->system_bus, &link_config, &engine_inputs_pen_callbacks, &d->inputs,
			      error);
	if (!d->pen) {
		penctld_free(g_steal_pointer(&d));
		return NULL;
	}

	d->signal_sources[0] = g_unix_signal_add(SIGHUP, on_sighup, d);
	d->signal_sources[1] = g_unix_signal_add(SIGTERM, on_terminate, d);
	d->signal_sources[2] = g_unix_signal_add(SIGINT, on_terminate, d);
	d->watchdog_source = sd_notify_watchdog_start();
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
	g_autofree char *pedal = penctl_config_describe_pedal(d->config);
	g_autofree char *message = g_strdup_printf(
		"penctld started: pen %s, pedal %s (%s)",
		pen_address(d)[0] ? pen_address(d) : "not paired", pedal,
		penctl_pedal_mode_to_string(d->config->pedal_mode));

	started.message = message;
	journal_record_log(&started);
	persistence_close_interrupted_session(d->store);
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
	g_clear_pointer(&d->executor, action_executor_free);
	g_clear_pointer(&d->engine, engine_free);
	g_clear_pointer(&d->store, persistence_free);
	g_clear_pointer(&d->conditions, penctl_conditions_free);
	g_free(d->config_problem);
	g_clear_object(&d->system_bus);
	g_clear_pointer(&d->loop, g_main_loop_unref);
	penctl_config_free(d->config);
	g_free(d);
}
