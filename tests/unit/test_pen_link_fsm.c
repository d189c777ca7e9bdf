// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pen link's states and decisions (ble/pen_link_fsm.c), without a bus:
 * each test names the rule it checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pen_link_fsm.h"

static const enum pen_link_state all_states[] = {
	PEN_LINK_IDLE, PEN_LINK_RESOLVING, PEN_LINK_SETUP,
	PEN_LINK_READY, PEN_LINK_INCOMPATIBLE, PEN_LINK_SETUP_FAILED,
};
#define N_STATES (sizeof(all_states) / sizeof(all_states[0]))

/* A set-up link in good health. */
static struct pen_link_facts healthy(void)
{
	return (struct pen_link_facts){
		.adapter = true, .powered = true, .device = true, .same_device = true,
		.link_up = true, .resolved = true,
	};
}

static unsigned rechecks;
static bool recheck_says;

static bool now_complete(void *context)
{
	(void)context;
	rechecks++;
	return recheck_says;
}

static void link_lost_from_any_state_is_idle(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_STATES; i++)
		assert_int_equal(pen_link_fsm_next(all_states[i], PEN_LINK_EVENT_LOST), PEN_LINK_IDLE);
}

static void link_up_leaves_idle_only(void **state)
{
	(void)state;
	assert_int_equal(pen_link_fsm_next(PEN_LINK_IDLE, PEN_LINK_EVENT_LINK_UP),
			 PEN_LINK_RESOLVING);
	assert_int_equal(pen_link_fsm_next(PEN_LINK_READY, PEN_LINK_EVENT_LINK_UP), PEN_LINK_READY);
}

static void link_setup_ends_ready_incompatible_or_failed(void **state)
{
	(void)state;
	assert_int_equal(pen_link_fsm_next(PEN_LINK_RESOLVING, PEN_LINK_EVENT_SETUP_BEGIN),
			 PEN_LINK_SETUP);
	assert_int_equal(pen_link_fsm_next(PEN_LINK_SETUP, PEN_LINK_EVENT_READY), PEN_LINK_READY);
	assert_int_equal(pen_link_fsm_next(PEN_LINK_SETUP, PEN_LINK_EVENT_INCOMPATIBLE),
			 PEN_LINK_INCOMPATIBLE);
	/* A pen lacking its service after the grace period: refused unset. */
	assert_int_equal(pen_link_fsm_next(PEN_LINK_RESOLVING, PEN_LINK_EVENT_INCOMPATIBLE),
			 PEN_LINK_INCOMPATIBLE);
	assert_int_equal(pen_link_fsm_next(PEN_LINK_SETUP, PEN_LINK_EVENT_SETUP_FAILED),
			 PEN_LINK_SETUP_FAILED);
}

static void link_retry_restarts_a_failed_setup_only(void **state)
{
	(void)state;
	assert_int_equal(pen_link_fsm_next(PEN_LINK_SETUP_FAILED, PEN_LINK_EVENT_RETRY),
			 PEN_LINK_IDLE);
	for (size_t i = 0; i < N_STATES; i++)
		if (all_states[i] != PEN_LINK_SETUP_FAILED)
			assert_int_equal(pen_link_fsm_next(all_states[i], PEN_LINK_EVENT_RETRY),
					 all_states[i]);
}

static void link_loss_reasons_in_order(void **state)
{
	struct pen_link_facts f;

	(void)state;
	assert_null(pen_link_fsm_loss_reason(PEN_LINK_READY, (f = healthy(), &f)));
	f = healthy(), f.adapter = false, f.powered = false, f.device = false;
	assert_string_equal(pen_link_fsm_loss_reason(PEN_LINK_READY, &f), "adapter removed");
	f = healthy(), f.powered = false;
	assert_string_equal(pen_link_fsm_loss_reason(PEN_LINK_READY, &f), "adapter powered off");
	f = healthy(), f.device = false;
	assert_string_equal(pen_link_fsm_loss_reason(PEN_LINK_READY, &f), "device removed");
	f = healthy(), f.same_device = false;
	assert_string_equal(pen_link_fsm_loss_reason(PEN_LINK_RESOLVING, &f), "device removed");
	f = healthy(), f.link_up = false, f.resolved = false;
	assert_string_equal(pen_link_fsm_loss_reason(PEN_LINK_SETUP, &f), "disconnected");
	f = healthy(), f.resolved = false;
	assert_string_equal(pen_link_fsm_loss_reason(PEN_LINK_READY, &f), "services unresolved");
	f = healthy(), f.characteristic_lost = true;
	assert_string_equal(pen_link_fsm_loss_reason(PEN_LINK_SETUP_FAILED, &f),
			    "pen service removed");
}

static void link_resolving_waits_for_services(void **state)
{
	struct pen_link_facts f = healthy();

	(void)state;
	/* Not resolved yet, or a characteristic not found yet: not a loss
	 * before the setup began (the settle timer decides). */
	f.resolved = false;
	f.characteristic_lost = true;
	assert_null(pen_link_fsm_loss_reason(PEN_LINK_RESOLVING, &f));
	assert_int_equal(pen_link_fsm_step(PEN_LINK_RESOLVING, &f, false, false),
			 PEN_LINK_STEP_NONE);
	f.resolved = true;
	assert_int_equal(pen_link_fsm_step(PEN_LINK_RESOLVING, &f, false, false),
			 PEN_LINK_STEP_SETUP);
}

static void link_refused_pen_completed_later_is_set_up_afresh(void **state)
{
	struct pen_link_facts f = healthy();

	(void)state;
	f.now_complete = now_complete;
	rechecks = 0;
	recheck_says = true;
	/* Refused for something else (a version, a malformed value): never
	 * rechecked. */
	assert_null(pen_link_fsm_loss_reason(PEN_LINK_INCOMPATIBLE, &f));
	assert_int_equal(rechecks, 0);
	f.gatt_incomplete = true;
	assert_string_equal(pen_link_fsm_loss_reason(PEN_LINK_INCOMPATIBLE, &f),
			    "pen services changed");
	assert_int_equal(rechecks, 1);
	recheck_says = false;
	assert_null(pen_link_fsm_loss_reason(PEN_LINK_INCOMPATIBLE, &f));
	/* A set-up pen is never rechecked (it had everything). */
	rechecks = 0;
	assert_null(pen_link_fsm_loss_reason(PEN_LINK_READY, &f));
	assert_int_equal(rechecks, 0);
}

static void link_idle_connects_once_and_not_while_waiting(void **state)
{
	struct pen_link_facts f = healthy();

	(void)state;
	f.link_up = f.resolved = false;
	assert_int_equal(pen_link_fsm_step(PEN_LINK_IDLE, &f, false, false), PEN_LINK_STEP_CONNECT);
	assert_int_equal(pen_link_fsm_step(PEN_LINK_IDLE, &f, true, false), PEN_LINK_STEP_NONE);
	/* Backoff: the retry timer connects, not the next object change. */
	assert_int_equal(pen_link_fsm_step(PEN_LINK_IDLE, &f, false, true), PEN_LINK_STEP_NONE);
}

static void link_idle_uses_a_link_bluetoothd_already_holds(void **state)
{
	struct pen_link_facts f = healthy();

	(void)state;
	f.resolved = false;
	assert_int_equal(pen_link_fsm_step(PEN_LINK_IDLE, &f, false, true), PEN_LINK_STEP_RESOLVE);
	/* ServicesResolved without Connected (bluetoothd 5.66): a link too. */
	f.resolved = true;
	assert_int_equal(pen_link_fsm_step(PEN_LINK_IDLE, &f, false, false),
			 PEN_LINK_STEP_RESOLVE_AND_SETUP);
}

static void link_set_up_states_take_no_step(void **state)
{
	struct pen_link_facts f = healthy();

	(void)state;
	for (size_t i = 2; i < N_STATES; i++)
		assert_int_equal(pen_link_fsm_step(all_states[i], &f, false, false),
				 PEN_LINK_STEP_NONE);
	for (size_t i = 0; i < N_STATES; i++)
		assert_true(strcmp(pen_link_state_name(all_states[i]), "unknown") != 0);
}

static void link_pen_side_drop_of_a_ready_link_reconnects_at_once(void **state)
{
	struct pen_link_facts f = healthy();

	(void)state;
	f.link_up = f.resolved = false;
	assert_int_equal(pen_link_fsm_retry_after_loss(PEN_LINK_READY, &f, false),
			 PEN_LINK_RETRY_AT_ONCE);
	/* ... and with no retry timer running, the next step is the Connect. */
	assert_int_equal(pen_link_fsm_step(PEN_LINK_IDLE, &f, false, false), PEN_LINK_STEP_CONNECT);
}

static void link_pen_side_drop_announced_services_first_reconnects_at_once(void **state)
{
	struct pen_link_facts f = healthy();

	(void)state;
	/* ServicesResolved=false first: a loss with the radio link still up,
	 * READY -> IDLE -> RESOLVING; then Connected=false. */
	f.resolved = false;
	assert_string_equal(pen_link_fsm_loss_reason(PEN_LINK_READY, &f), "services unresolved");
	assert_int_equal(pen_link_fsm_step(PEN_LINK_IDLE, &f, false, false), PEN_LINK_STEP_RESOLVE);
	f.link_up = false;
	f.set_up_on_link = true;
	assert_string_equal(pen_link_fsm_loss_reason(PEN_LINK_RESOLVING, &f), "disconnected");
	assert_int_equal(pen_link_fsm_retry_after_loss(PEN_LINK_RESOLVING, &f, false),
			 PEN_LINK_RETRY_AT_ONCE);
	/* A link being set up for the first time backs off. */
	f.set_up_on_link = false;
	assert_int_equal(pen_link_fsm_retry_after_loss(PEN_LINK_RESOLVING, &f, false),
			 PEN_LINK_RETRY_BACKOFF);
}

static void link_lost_before_ready_or_refused_backs_off(void **state)
{
	struct pen_link_facts f = healthy();

	(void)state;
	f.link_up = f.resolved = false;
	for (size_t i = 0; i < N_STATES; i++)
		if (all_states[i] != PEN_LINK_READY)
			assert_int_equal(pen_link_fsm_retry_after_loss(all_states[i], &f, false),
					 PEN_LINK_RETRY_BACKOFF);
}

static void link_dropped_by_penctld_backs_off(void **state)
{
	struct pen_link_facts f = healthy();

	(void)state;
	for (size_t i = 0; i < N_STATES; i++)
		assert_int_equal(pen_link_fsm_retry_after_loss(all_states[i], &f, true),
				 PEN_LINK_RETRY_BACKOFF);
}

static void link_device_removed_backs_off(void **state)
{
	struct pen_link_facts f = healthy();

	(void)state;
	f.device = f.same_device = f.link_up = f.resolved = false;
	assert_int_equal(pen_link_fsm_retry_after_loss(PEN_LINK_READY, &f, false),
			 PEN_LINK_RETRY_BACKOFF);
}

static void link_lost_with_bluetoothd_or_adapter_waits_for_its_return_not_a_timer(void **state)
{
	struct pen_link_facts none = { 0 }, off = healthy();

	(void)state;
	off.powered = false;
	off.device = off.same_device = off.link_up = off.resolved = false;
	for (size_t i = 0; i < N_STATES; i++) {
		for (int dropped = 0; dropped <= 1; dropped++) {
			assert_int_equal(pen_link_fsm_retry_after_loss(all_states[i], &none, dropped),
					 PEN_LINK_RETRY_AT_ONCE);
			assert_int_equal(pen_link_fsm_retry_after_loss(all_states[i], &off, dropped),
					 PEN_LINK_RETRY_AT_ONCE);
		}
	}
}

static void link_no_retry_timer_while_bluetoothd_or_the_adapter_is_missing(void **state)
{
	struct pen_link_facts none = { 0 }, off = healthy(), absent = healthy();

	(void)state;
	off.powered = false;
	off.device = off.same_device = off.link_up = off.resolved = false;
	absent.device = absent.same_device = absent.link_up = absent.resolved = false;
	assert_false(pen_link_fsm_retry_timer_useful(&none));
	assert_false(pen_link_fsm_retry_timer_useful(&off));
	/* The device missing on a powered adapter: the timer paces failures. */
	assert_true(pen_link_fsm_retry_timer_useful(&absent));
	assert_true(pen_link_fsm_retry_timer_useful((none = healthy(), &none)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(link_lost_from_any_state_is_idle),
		cmocka_unit_test(link_up_leaves_idle_only),
		cmocka_unit_test(link_setup_ends_ready_incompatible_or_failed),
		cmocka_unit_test(link_retry_restarts_a_failed_setup_only),
		cmocka_unit_test(link_loss_reasons_in_order),
		cmocka_unit_test(link_resolving_waits_for_services),
		cmocka_unit_test(link_refused_pen_completed_later_is_set_up_afresh),
		cmocka_unit_test(link_idle_connects_once_and_not_while_waiting),
		cmocka_unit_test(link_idle_uses_a_link_bluetoothd_already_holds),
		cmocka_unit_test(link_set_up_states_take_no_step),
		cmocka_unit_test(link_pen_side_drop_of_a_ready_link_reconnects_at_once),
		cmocka_unit_test(link_pen_side_drop_announced_services_first_reconnects_at_once),
		cmocka_unit_test(link_lost_before_ready_or_refused_backs_off),
		cmocka_unit_test(link_dropped_by_penctld_backs_off),
		cmocka_unit_test(link_device_removed_backs_off),
		cmocka_unit_test(link_lost_with_bluetoothd_or_adapter_waits_for_its_return_not_a_timer),
		cmocka_unit_test(link_no_retry_timer_while_bluetoothd_or_the_adapter_is_missing),
	};

	return cmocka_run_group_tests_name("pen-link-fsm", tests, NULL, NULL);
}
