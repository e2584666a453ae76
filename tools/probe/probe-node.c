// SPDX-License-Identifier: GPL-2.0-only
/* The probe's preview of a platform/AMBA device's guest node: hw/vfio/sysbus-fdt.c run on the host node alone, printed like dtc. */
#define G_LOG_DOMAIN "armpass-probe"
#include "tools/probe.h"

#include "hw/core/fdt.h"
#include "hw/core/platform-bus.h"
#include "hw/vfio/host-node.h"
#include "hw/vfio/sysbus-fdt.h"

#include <ctype.h>
#include <inttypes.h>
#include <libfdt.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of the scratch guest tree: one device node and its clocks. */
#define PROBE_FDT_SIZE (256 * 1024)

/* A 32-bit cell property of the host node folder dir, or dflt. */
static uint32_t dir_u32(const char *dir, const char *name, uint32_t dflt)
{
    g_autofree guint8 *val = NULL;
    size_t len;

    if (host_dt_read_prop(dir, name, 4, &val, &len, NULL) && len == 4) {
        return fdt_cell_at(val, 0);
    }
    return dflt;
}

/* The #interrupt-cells of the provider with that phandle, 0 if unknown. */
static uint32_t provider_cells(const char *dt_base, uint32_t phandle)
{
    g_autofree char *dir = host_dt_find_phandle(dt_base, phandle, NULL);

    return dir ? dir_u32(dir, "#interrupt-cells", 0) : 0;
}

/* The interrupt-parent phandle of the node folder dir: its own, else its ancestors' up to
 * dt_base (both resolved paths). */
static uint32_t interrupt_parent(const char *dir, const char *dt_base)
{
    g_autofree char *cur = g_strdup(dir);

    while (g_str_has_prefix(cur, dt_base)) {
        uint32_t ph = dir_u32(cur, "interrupt-parent", 0);
        char *up;

        if (ph) {
            return ph;
        }
        up = g_path_get_dirname(cur);
        g_free(cur);
        cur = up;
    }
    return 0;
}

/* The device's interrupts as the guest will have them: one per host specifier; edge when a
 * 3-cell (GIC) specifier's flags say edge (dt-bindings/interrupt-controller/irq.h). */
static bool plan_irqs(const char *of_node, const char *dt_base, GArray *edges, GError **errp)
{
    g_autofree guint8 *val = NULL;
    size_t len;

    if (host_dt_read_prop(of_node, "interrupts", 4096, &val, &len, NULL)) {
        /* of_node is a link into the tree: compare resolved paths (a relative or linked
         * --sysfs root otherwise never matches). */
        g_autofree char *real = realpath(of_node, NULL);
        g_autofree char *base = realpath(dt_base, NULL);
        uint32_t ph = real && base ? interrupt_parent(real, base) : 0;
        uint32_t cells = ph ? provider_cells(dt_base, ph) : 0;

        if (!cells) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_NOENT, "its interrupt parent's "
                        "#interrupt-cells cannot be found: the IRQ count comes from VFIO at "
                        "run time");
            return false;
        }
        for (size_t off = 0; off + cells * 4 <= len; off += cells * 4) {
            gboolean edge = cells == 3 && (fdt_cell_at(val + off, 2) & 3);
            g_array_append_val(edges, edge);
        }
        return true;
    }
    if (host_dt_read_prop(of_node, "interrupts-extended", 4096, &val, &len, NULL)) {
        for (size_t off = 0; off + 4 <= len;) {
            uint32_t cells = provider_cells(dt_base, fdt_cell_at(val + off, 0));
            gboolean edge;

            if (!cells || off + 4 + cells * 4 > len) {
                g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_NOENT, "an interrupts-extended "
                            "provider's #interrupt-cells cannot be found");
                return false;
            }
            edge = cells == 3 && (fdt_cell_at(val + off + 4, 2) & 3);
            g_array_append_val(edges, edge);
            off += 4 + cells * 4;
        }
    }
    return true;
}

/* The sizes of the host's reg entries, in bytes (the parent's #address-cells/#size-cells). */
static bool plan_regs(const char *of_node, GArray *sizes, GError **errp)
{
    g_autofree char *real = realpath(of_node, NULL);
    g_autofree char *parent = real ? g_path_get_dirname(real) : NULL;
    g_autofree guint8 *val = NULL;
    uint32_t ac, sc;
    size_t len;

    if (!parent || !host_dt_read_prop(of_node, "reg", 4096, &val, &len, NULL)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_NOENT, "no reg in its node");
        return false;
    }
    ac = dir_u32(parent, "#address-cells", 2);
    sc = dir_u32(parent, "#size-cells", 1);
    if (ac > 2 || sc > 2 || sc == 0 || len % ((ac + sc) * 4)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "reg of %zu bytes does not fit "
                    "#address-cells %u and #size-cells %u", len, ac, sc);
        return false;
    }
    for (size_t off = 0; off < len; off += (ac + sc) * 4) {
        uint64_t size = fdt_cell_at(val + off, ac);

        if (sc == 2) {
            size = (size << 32) | fdt_cell_at(val + off, ac + 1);
        }
        g_array_append_val(sizes, size);
    }
    return true;
}

/* ---- dtc-like printing ---- */

static bool is_string_list(const guint8 *v, int len)
{
    if (len == 0 || v[len - 1] != '\0' || v[0] == '\0') {
        return false;
    }
    for (int i = 0; i < len; i++) {
        if (v[i] == '\0') {
            if (i > 0 && v[i - 1] == '\0') {
                return false;
            }
        } else if (!isprint(v[i])) {
            return false;
        }
    }
    return true;
}

static void print_prop(GString *out, const char *name, const guint8 *v, int len, int depth)
{
    g_string_append_printf(out, "%*s%s", depth * 4, "", name);
    if (len == 0) {
        g_string_append(out, ";\n");
        return;
    }
    g_string_append(out, " = ");
    if (is_string_list(v, len)) {
        for (int off = 0; off < len; off += (int)strlen((const char *)v + off) + 1) {
            g_string_append_printf(out, "%s\"%s\"", off ? ", " : "", (const char *)v + off);
        }
    } else if (len % 4 == 0) {
        g_string_append_c(out, '<');
        for (int i = 0; i < len / 4; i++) {
            g_string_append_printf(out, "%s0x%" PRIx32, i ? " " : "", fdt_cell_at(v, i));
        }
        g_string_append_c(out, '>');
    } else {
        g_string_append_c(out, '[');
        for (int i = 0; i < len; i++) {
            g_string_append_printf(out, "%s%02x", i ? " " : "", v[i]);
        }
        g_string_append_c(out, ']');
    }
    g_string_append(out, ";\n");
}

static void print_node(GString *out, const void *fdt, int node, int depth)
{
    int prop, child;

    g_string_append_printf(out, "%*s%s {\n", depth * 4, "", fdt_get_name(fdt, node, NULL));
    fdt_for_each_property_offset(prop, fdt, node) {
        const char *name;
        int len;
        const guint8 *v = fdt_getprop_by_offset(fdt, prop, &name, &len);

        if (v) {
            print_prop(out, name, v, len, depth + 1);
        }
    }
    fdt_for_each_subnode(child, fdt, node) {
        print_node(out, fdt, child, depth + 1);
    }
    g_string_append_printf(out, "%*s};\n", depth * 4, "");
}

void probe_plan_guest_node(ProbeDevice *d, const char *sysfs_root, const ProbeBoard *board)
{
    g_autofree char *dev = g_build_filename(sysfs_root, "bus", probe_bus_name(d->bus), "devices",
                                            d->name, NULL);
    g_autofree char *of_node = g_build_filename(dev, "of_node", NULL);
    g_autofree char *dt_base = g_build_filename(sysfs_root, "firmware", "devicetree", "base",
                                                NULL);
    g_autofree void *host = NULL;
    g_autofree void *fdt = g_malloc0(PROBE_FDT_SIZE);
    g_autoptr(GArray) sizes = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    g_autoptr(GArray) edges = g_array_new(FALSE, FALSE, sizeof(gboolean));
    g_autofree SysbusFdtReg *regs = NULL;
    g_autofree SysbusFdtIrq *irqs = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(GString) out = g_string_new(NULL);
    MachineState ms = {
        .gic_phandle = board->gic_phandle,
        .apb_pclk_phandle = board->apb_pclk_phandle,
        .next_phandle = board->first_free_phandle,
    };
    SysbusFdtSpec spec = {
        .name = d->name,
        .amba = d->bus == PROBE_BUS_AMBA,
        .dt_base_dir = dt_base,
        .dropped = d->dropped,
    };
    int node;

    host = host_node_load_sysfs(of_node, &err);
    if (!host || !plan_regs(of_node, sizes, &err) || !plan_irqs(of_node, dt_base, edges, &err)) {
        d->guest_node_error = g_strdup(err->message);
        return;
    }
    /* As the board places a device that is alone on the platform bus. */
    platform_bus_init(&ms.pbus, board->pbus_base, board->pbus_size, board->pbus_first_spi,
                      board->pbus_nr_spis);
    regs = g_new0(SysbusFdtReg, sizes->len ? sizes->len : 1);
    irqs = g_new0(SysbusFdtIrq, edges->len ? edges->len : 1);
    for (guint i = 0; i < sizes->len; i++) {
        regs[i].size = g_array_index(sizes, uint64_t, i);
        if (!platform_bus_alloc_mmio(&ms.pbus, regs[i].size, 0x1000, &regs[i].base, &err)) {
            goto fail;
        }
    }
    for (guint i = 0; i < edges->len; i++) {
        irqs[i].edge = g_array_index(edges, gboolean, i);
        if (!platform_bus_alloc_spi(&ms.pbus, &irqs[i].spi, &err)) {
            goto fail;
        }
    }
    spec.host_fdt = host;
    spec.regs = regs;
    spec.nr_regs = sizes->len;
    spec.irqs = irqs;
    spec.nr_irqs = edges->len;

    /* The board's side as it has it: 2/2 root cells, the GIC and apb-pclk phandles. */
    if (fdt_create_empty_tree(fdt, PROBE_FDT_SIZE) < 0 ||
        fdt_setprop_u32(fdt, 0, "#address-cells", 2) < 0 ||
        fdt_setprop_u32(fdt, 0, "#size-cells", 2) < 0 ||
        (node = fdt_add_subnode(fdt, 0, "intc")) < 0 ||
        fdt_setprop_u32(fdt, node, "phandle", board->gic_phandle) < 0 ||
        (node = fdt_add_subnode(fdt, 0, "apb-pclk")) < 0 ||
        fdt_setprop_u32(fdt, node, "phandle", board->apb_pclk_phandle) < 0) {
        g_set_error(&err, G_FILE_ERROR, G_FILE_ERROR_NOSPC, "libfdt: cannot build the scratch "
                    "tree");
        goto fail;
    }
    if (!sysbus_fdt_add_node(fdt, &ms, &spec, &err)) {
        goto fail;
    }
    /* libfdt adds a node before its siblings: skip the board's by name, print in order. */
    fdt_for_each_subnode(node, fdt, 0) {
        const char *nm = fdt_get_name(fdt, node, NULL);

        if (strcmp(nm, "intc") && strcmp(nm, "apb-pclk")) {
            print_node(out, fdt, node, 0);
        }
    }
    d->guest_node = g_string_free(g_steal_pointer(&out), FALSE);
    platform_bus_destroy(&ms.pbus);
    return;

fail:
    d->guest_node_error = g_strdup(err->message);
    platform_bus_destroy(&ms.pbus);
}
