// SPDX-License-Identifier: GPL-2.0-only
/* Writes a planned guest device-tree node (sysbus-fdt.c's NodePlan) into the guest tree. */
#define G_LOG_DOMAIN "armpass-fdt"
#include "hw/core/fdt.h"
#include "sysbus-fdt-internal.h"

#include <string.h>

static void byte_array_append_u32(GByteArray *a, uint32_t v)
{
    fdt32_t c = cpu_to_fdt32(v);
    g_byte_array_append(a, (const guint8 *)&c, sizeof(c));
}

typedef struct FinalProp {
    const char *name;
    GByteArray *val;
    bool written;
} FinalProp;

static void final_prop_clear(gpointer data)
{
    FinalProp *f = data;
    g_byte_array_unref(f->val);
}

static void final_add(GArray *finals, const char *name, GByteArray *val)
{
    FinalProp f = { .name = name, .val = val };
    g_array_append_val(finals, f);
}

static GArray *node_finals(const NodePlan *p)
{
    const SysbusFdtSpec *s = p->spec;
    GArray *finals = g_array_new(FALSE, TRUE, sizeof(FinalProp));
    GByteArray *v;

    g_array_set_clear_func(finals, final_prop_clear);
    final_add(finals, "compatible", g_byte_array_ref(p->compatible));
    if (s->nr_regs) {
        v = g_byte_array_new();
        for (unsigned i = 0; i < s->nr_regs; i++) {
            if (p->addr_cells == 2) {
                byte_array_append_u32(v, (uint32_t)(s->regs[i].base >> 32));
            }
            byte_array_append_u32(v, (uint32_t)s->regs[i].base);
            if (p->size_cells == 2) {
                byte_array_append_u32(v, (uint32_t)(s->regs[i].size >> 32));
            }
            byte_array_append_u32(v, (uint32_t)s->regs[i].size);
        }
        final_add(finals, "reg", v);
    }
    if (s->nr_irqs) {
        v = g_byte_array_new();
        for (unsigned i = 0; i < s->nr_irqs; i++) {
            byte_array_append_u32(v, GIC_FDT_IRQ_TYPE_SPI);
            byte_array_append_u32(v, s->irqs[i].spi);
            byte_array_append_u32(v, s->irqs[i].edge ? FDT_IRQ_TYPE_EDGE_RISING
                                                     : FDT_IRQ_TYPE_LEVEL_HIGH);
        }
        final_add(finals, "interrupts", v);
        v = g_byte_array_new();
        byte_array_append_u32(v, p->ms->gic_phandle);
        final_add(finals, "interrupt-parent", v);
    }
    if (p->set_clocks && p->clock_refs->len) {
        v = g_byte_array_new();
        for (unsigned i = 0; i < p->clock_refs->len; i++) {
            int ref = g_array_index(p->clock_refs, int, i);
            const GuestClock *gc = ref >= 0 ? g_ptr_array_index(p->guest_clocks, ref) : NULL;
            byte_array_append_u32(v, gc ? gc->phandle : p->ms->apb_pclk_phandle);
        }
        final_add(finals, "clocks", v);
    }
    if (p->clock_names) {
        final_add(finals, "clock-names", g_byte_array_ref(p->clock_names));
    }
    if (s->has_periphid) {
        v = g_byte_array_new();
        byte_array_append_u32(v, s->periphid);
        final_add(finals, "arm,primecell-periphid", v);
    }
    if (!s->user_node && host_prop(p, "status", NULL)) {
        v = g_byte_array_new();
        byte_array_append_str(v, "okay");
        final_add(finals, "status", v);
    }
    return finals;
}

static bool final_write(void *fdt, int node, GArray *finals, const char *name, GError **errp)
{
    for (unsigned i = 0; i < finals->len; i++) {
        FinalProp *f = &g_array_index(finals, FinalProp, i);
        if ((name && strcmp(f->name, name)) || f->written) {
            continue;
        }
        FDT_CHECK(fdt_setprop(fdt, node, f->name, f->val->data, f->val->len));
        f->written = true;
    }
    return true;
}

/* Copies the children of src's node under dst (a read-write tree), in their order. */
static bool rw_copy_children(void *fdt, int dst, const void *src, int node, GError **errp)
{
    g_autoptr(GArray) children = g_array_new(FALSE, FALSE, sizeof(int));
    int child, prop;

    fdt_for_each_subnode(child, src, node) {
        g_array_append_val(children, child);
    }
    /* fdt_add_subnode() makes the new node the first child: add them last to first. */
    for (int i = (int)children->len - 1; i >= 0; i--) {
        int sn = g_array_index(children, int, i), dn;
        FDT_CHECK_OFFSET(dn, fdt_add_subnode(fdt, dst, fdt_get_name(src, sn, NULL)));
        fdt_for_each_property_offset(prop, src, sn) {
            const char *name;
            int len;
            const void *val = fdt_getprop_by_offset(src, prop, &name, &len);
            FDT_CHECK(fdt_setprop(fdt, dn, name, val, len));
        }
        if (!rw_copy_children(fdt, dn, src, sn, errp)) {
            return false;
        }
    }
    return true;
}

bool node_emit(NodePlan *p, void *fdt, GError **errp)
{
    g_autoptr(GArray) finals = NULL;
    int node, prop;

    /* A user node's phandles go in as they are: what is handed out from now on (the guest
     * clocks first) starts past them. */
    if (p->max_user_phandle >= p->ms->next_phandle) {
        p->ms->next_phandle = p->max_user_phandle + 1;
    }
    for (unsigned i = 0; i < p->guest_clocks->len; i++) {
        GuestClock *gc = g_ptr_array_index(p->guest_clocks, i);
        int cn;

        gc->phandle = machine_new_phandle(p->ms);
        FDT_CHECK_OFFSET(cn, fdt_add_subnode(fdt, 0, gc->node_name));
        FDT_CHECK(fdt_setprop_string(fdt, cn, "compatible", "fixed-clock"));
        FDT_CHECK(fdt_setprop_u32(fdt, cn, "#clock-cells", 0));
        FDT_CHECK(fdt_setprop_u32(fdt, cn, "clock-frequency", gc->rate));
        FDT_CHECK(fdt_setprop_u32(fdt, cn, "phandle", gc->phandle));
    }
    finals = node_finals(p);
    FDT_CHECK_OFFSET(node, fdt_add_subnode(fdt, 0, p->node_name));
    if (p->host) {
        fdt_for_each_property_offset(prop, p->host, 0) {
            const char *name;
            int len;
            const void *val = fdt_getprop_by_offset(p->host, prop, &name, &len);

            switch (prop_action(p, name)) {
            case PROP_COPY:
                FDT_CHECK(fdt_setprop(fdt, node, name, val, len));
                break;
            case PROP_REPLACE:
                if (!final_write(fdt, node, finals, name, errp)) {
                    return false;
                }
                break;
            case PROP_DROP:
            case PROP_SKIP:
                break;
            }
        }
    }
    if (!final_write(fdt, node, finals, NULL, errp)) {
        return false;
    }
    if (p->spec->user_node && p->host) {
        if (!rw_copy_children(fdt, node, p->host, 0, errp)) {
            return false;
        }
    }
    return true;
}
