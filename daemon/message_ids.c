/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The MESSAGE_ID of every PENCTL_EVENT kind; systemd/penctld.catalog explains
 * each one for journalctl -x.  Keep both in step (test_message_catalog).
 */
#include <string.h>
#include <syslog.h>

#include "penctl/message_ids.h"

static const struct penctl_message_id message_ids[] = {
	{ "session-start",      "e0ec3a8e638d4d52ad6222967247ee20", LOG_INFO },
	{ "session-refused",    "3c643935152d40b8a8eb1f09fac3a321", LOG_WARNING },
	{ "session-end",        "2d8e38159fb14f85a00535c4278c138e", LOG_INFO },
	{ "motor-start",        "3732b4cd6a5d4017963345ee24921a4d", LOG_INFO },
	{ "motor-stop",         "7788dcbf8436420d9657202998e20cc3", LOG_INFO },
	{ "motor-refused",      "5d2e4ec0c1b04022820093d5c7072f8e", LOG_WARNING },
	{ "depth-set",          "fcad5adc80a04cd5a070e638454a0775", LOG_INFO },
	{ "depth-refused",      "bcf6700e177943248efb3582392b8ac8", LOG_WARNING },
	{ "speed-set",          "a412ee42557145dc8b3a55069cd8ced9", LOG_INFO },
	{ "speed-refused",      "3966bc828c2244609d3345bcba6bcce9", LOG_WARNING },
	{ "limit-warning",      "74341529206b4e8b955adb22177d8f59", LOG_NOTICE },
	{ "limit-reached",      "31633184964f4448a593e3e4b4e8d497", LOG_WARNING },
	{ "pen-connected",      "e796293ba7fe435eaeae5f6ef9332ec9", LOG_INFO },
	{ "pen-disconnected",   "c4f8952b811149018b1a292e77467325", LOG_NOTICE },
	{ "pen-incompatible",   "2e7fd9812f4241909eb271c8d836638d", LOG_ERR },
	{ "pedal-lost",         "617e3f5c121b453daf6c2d63bb5b52a0", LOG_ERR },
	{ "pedal-unavailable",  "91b30762bc9643de8300bbf1cdb3ed6f", LOG_ERR },
	{ "fault",              "2b5c191b3f3b4c7e962259644903f928", LOG_ERR },
	{ "fault-cleared",      "b8a2594345b34b43a69dbd5314143b01", LOG_NOTICE },
	{ "advisory",           "81b826d24d3d4158a6fbd3d5ed8d76b2", LOG_NOTICE },
	{ "cartridge-refused",  "7a0d8124c1be49c094871f6efadef26b", LOG_WARNING },
	{ "config-reloaded",    "0ed05625d4fc442ab32084048d89e794", LOG_NOTICE },
	{ "config-rejected",    "c570ee3f87084af781e84576d0096ba3", LOG_ERR },
	{ "daemon-started",     "6ecf2751904d469fae882e4892f28e47", LOG_INFO },
	{ "state-corrupt",      "d6f63ea46fed43978dd8feca5a0703bb", LOG_ERR },
	{ "state-write-failed", "16f847c4ca9844b390e1d4bef5107223", LOG_ERR },
	{ "session-interrupted", "926d519be617406da6eee8a0c2494ea7", LOG_WARNING },
	{ "state-damaged",      "b7973bcd98e54af58dd2971b681afa18", LOG_ERR },
	{ "state-unreadable",   "2d1dbae133bc420197a81f3c3c45a046", LOG_CRIT },
	{ "state-acknowledged", "a937ca64d78b41c185c3165335632db1", LOG_NOTICE },
};

const struct penctl_message_id *penctl_message_ids(size_t *n)
{
	*n = sizeof(message_ids) / sizeof(message_ids[0]);
	return message_ids;
}

const struct penctl_message_id *penctl_message_id_lookup(const char *event)
{
	if (!event)
		return NULL;

	for (size_t i = 0; i < sizeof(message_ids) / sizeof(message_ids[0]); i++) {
		if (strcmp(message_ids[i].event, event) == 0)
			return &message_ids[i];
	}
	return NULL;
}

bool penctl_message_id_is_valid(const char *text)
{
	size_t i;

	if (!text)
		return false;
	for (i = 0; text[i]; i++) {
		if (!((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f')))
			return false;
	}
	return i == PENCTL_MESSAGE_ID_STRLEN - 1;
}
