/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What sysbus-fdt.c (planning a passed-through device's guest node) hands to
 * sysbus-fdt-emit.c (writing it): the plan, decided before the guest tree is touched.
 * Private to hw/vfio; the public interface is include/hw/vfio/sysbus-fdt.h.
 */
#ifndef ARMPASS_HW_VFIO_SYSBUS_FDT_INTERNAL_H
#define ARMPASS_HW_VFIO_SYSBUS_FDT_INTERNAL_H

#include "hw/vfio/sysbus-fdt.h"

#include <glib.h>
#include <libfdt.h>
#include <string.h>

/* clocks reference meaning the board's apb_pclk (ms->apb_pclk_phandle). */
#define CLOCK_REF_BOARD (-1)

typedef struct GuestClock {
    char *node_name;
    uint32_t rate;    /* Hz */
    uint32_t phandle; /* assigned when emitted */
} GuestClock;

/* Everything about the node, decided before the guest tree is touched. */
typedef struct NodePlan {
    const SysbusFdtSpec *spec;
    MachineState *ms;
    const void *host;          /* the host node blob (its root) or NULL */
    unsigned addr_cells, size_cells; /* of the guest root */
    char *node_name;           /* "pl031@c000000" */
    char *clk_prefix;          /* "pl031-c000000", for guest clock node names */
    GByteArray *compatible;    /* final value */
    bool set_clocks;           /* write clocks from clock_refs */
    GArray *clock_refs;        /* int: index into guest_clocks, or CLOCK_REF_BOARD */
    GByteArray *clock_names;   /* final value; NULL: the host's as it is */
    GPtrArray *guest_clocks;   /* GuestClock *, to create */
    GPtrArray *dropped;        /* char * */
    uint32_t max_user_phandle; /* user_node: highest phandle inside; 0: none */
    GHashTable *user_phandles; /* user_node: every phandle inside (a set) */
} NodePlan;

void node_plan_clear(NodePlan *p);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(NodePlan, node_plan_clear)

/* The host node's property name (as fdt_getprop() gives it), or NULL without a host node. */
static inline const void *host_prop(const NodePlan *p, const char *name, int *len)
{
    return p->host ? fdt_getprop(p->host, 0, name, len) : NULL;
}

/* Appends s and its NUL: one entry of a string list. */
static inline void byte_array_append_str(GByteArray *a, const char *s)
{
    g_byte_array_append(a, (const guint8 *)s, strlen(s) + 1);
}

/* What becomes of a host property in the guest node. */
typedef enum PropAction {
    PROP_COPY,    /* the host's value */
    PROP_REPLACE, /* the planned value, if any, at the host's position */
    PROP_DROP,    /* gone, and reported */
    PROP_SKIP,    /* gone silently (armpass's own bookkeeping) */
} PropAction;

/* The PropAction for the host property name. */
PropAction prop_action(const NodePlan *p, const char *name);

/* Decides everything about the node and checks it (errors as sysbus_fdt_add_node's). */
bool node_plan(NodePlan *p, const void *fdt, GError **errp);
/* Writes the planned node (and its guest clocks) into fdt: libfdt errors only. */
bool node_emit(NodePlan *p, void *fdt, GError **errp);

#endif
