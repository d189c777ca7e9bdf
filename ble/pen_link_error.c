// SPDX-License-Identifier: GPL-2.0-or-later
/* The pen link's error domain (include/penctl/pen_link.h). */
#include "penctl/pen_link.h"

G_DEFINE_QUARK(penctl-pen-link-error-quark, pen_link_error)
