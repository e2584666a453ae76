// SPDX-License-Identifier: GPL-2.0-only
/* Plans the guest device-tree node of a passed-through platform/AMBA device from its host node. */
#define G_LOG_DOMAIN "armpass-fdt"
#include "hw/vfio/sysbus-fdt.h"

#include "hw/core/fdt.h"
#include "hw/vfio/host-node.h"
#include "sysbus-fdt-internal.h"

#include <inttypes.h>
#include <string.h>

/* The largest #clock-cells accepted from a host clock provider. */
#define CLOCK_CELLS_MAX 8

typedef enum PropMatch { MATCH_EXACT, MATCH_PREFIX, MATCH_SUFFIX } PropMatch;

typedef struct DroppedProp {
    const char *name;
    PropMatch match;
} DroppedProp;

/*
 * Host properties that hold phandles (or name entries of such) that mean nothing in the
 * guest: the guest has no reset, pinctrl, power-domain, DMA, IOMMU, PHY, GPIO, regulator,
 * nvmem, interconnect or OPP providers of the host. Dropped from generated nodes.
 */
static const DroppedProp sysbus_fdt_dropped_props[] = {
    { "phandle", MATCH_EXACT },
    { "linux,phandle", MATCH_EXACT },
    { "interrupts-extended", MATCH_EXACT },
    { "interrupt-map", MATCH_EXACT },
    { "interrupt-map-mask", MATCH_EXACT },
    { "resets", MATCH_EXACT },
    { "reset-names", MATCH_EXACT },
    { "pinctrl-", MATCH_PREFIX },           /* pinctrl-0..N, pinctrl-names */
    { "power-domains", MATCH_EXACT },
    { "power-domain-names", MATCH_EXACT },
    { "dmas", MATCH_EXACT },
    { "dma-names", MATCH_EXACT },
    { "iommus", MATCH_EXACT },
    { "iommu-map", MATCH_EXACT },
    { "iommu-map-mask", MATCH_EXACT },
    { "phys", MATCH_EXACT },
    { "phy-names", MATCH_EXACT },
    { "phy", MATCH_EXACT },
    { "phy-handle", MATCH_EXACT },
    { "msi-parent", MATCH_EXACT },
    { "msi-map", MATCH_EXACT },
    { "msi-map-mask", MATCH_EXACT },
    { "gpios", MATCH_EXACT },
    { "gpio", MATCH_EXACT },
    { "-gpios", MATCH_SUFFIX },
    { "-gpio", MATCH_SUFFIX },
    { "-supply", MATCH_SUFFIX },            /* regulators */
    { "assigned-clock", MATCH_PREFIX },     /* assigned-clocks, -rates, -parents */
    { "nvmem-cells", MATCH_EXACT },
    { "nvmem-cell-names", MATCH_EXACT },
    { "interconnects", MATCH_EXACT },
    { "interconnect-names", MATCH_EXACT },
    { "operating-points-v2", MATCH_EXACT },
    { "memory-region", MATCH_EXACT },
    { "memory-region-names", MATCH_EXACT },
    { "sram", MATCH_EXACT },
    { "mboxes", MATCH_EXACT },
    { "mbox-names", MATCH_EXACT },
    { "hwlocks", MATCH_EXACT },
    { "hwlock-names", MATCH_EXACT },
    { "io-channels", MATCH_EXACT },
    { "io-channel-names", MATCH_EXACT },
    { "snps,axi-config", MATCH_EXACT },     /* dwmac: phandles to its own child nodes */
    { "snps,mtl-rx-config", MATCH_EXACT },
    { "snps,mtl-tx-config", MATCH_EXACT },
};

static bool prop_in_drop_table(const char *name)
{
    size_t len = strlen(name);

    for (size_t i = 0; i < G_N_ELEMENTS(sysbus_fdt_dropped_props); i++) {
        const DroppedProp *d = &sysbus_fdt_dropped_props[i];
        size_t dlen = strlen(d->name);
        switch (d->match) {
        case MATCH_EXACT:
            if (!strcmp(name, d->name)) {
                return true;
            }
            break;
        case MATCH_PREFIX:
            if (len > dlen && !strncmp(name, d->name, dlen)) {
                return true;
            }
            break;
        case MATCH_SUFFIX:
            if (len > dlen && !strcmp(name + len - dlen, d->name)) {
                return true;
            }
            break;
        }
    }
    return false;
}

/* Whether a string-list value (already validated: NUL-terminated) holds s. */
static bool stringlist_contains(const guint8 *val, size_t len, const char *s)
{
    for (size_t off = 0; off < len; off += strlen((const char *)val + off) + 1) {
        if (!strcmp((const char *)val + off, s)) {
            return true;
        }
    }
    return false;
}

/* ---- sysbus_fdt_add_node ---- */

static void guest_clock_free(gpointer p)
{
    GuestClock *gc = p;
    g_free(gc->node_name);
    g_free(gc);
}

/* A host clock provider as found under dt_base_dir. */
typedef struct HostClockProvider {
    char *dir;        /* NULL: not found (why in err) */
    GError *err;
    uint32_t cells;   /* #clock-cells; 0 when not found */
} HostClockProvider;

static void host_clock_provider_free(gpointer p)
{
    HostClockProvider *hp = p;
    g_free(hp->dir);
    g_clear_error(&hp->err);
    g_free(hp);
}

void node_plan_clear(NodePlan *p)
{
    g_free(p->node_name);
    g_free(p->clk_prefix);
    if (p->compatible) {
        g_byte_array_unref(p->compatible);
    }
    if (p->clock_refs) {
        g_array_unref(p->clock_refs);
    }
    if (p->clock_names) {
        g_byte_array_unref(p->clock_names);
    }
    if (p->guest_clocks) {
        g_ptr_array_unref(p->guest_clocks);
    }
    if (p->dropped) {
        g_ptr_array_unref(p->dropped);
    }
    if (p->user_phandles) {
        g_hash_table_unref(p->user_phandles);
    }
}
/* Checks a host cell-list property is whole 32-bit cells; sets *nr_cells (0: absent). */
static bool host_cells(const NodePlan *p, const char *name, unsigned *nr_cells, GError **errp)
{
    int len = 0;

    *nr_cells = 0;
    if (!host_prop(p, name, &len)) {
        return true;
    }
    if (len % 4) {
        g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADVALUE,
                    "host %s property is %d bytes, not whole 32-bit cells", name, len);
        return false;
    }
    *nr_cells = (unsigned)len / 4;
    return true;
}

/* Number of strings in a host string-list property, -1 if absent; errors if malformed. */
static bool host_stringlist_count(const NodePlan *p, const char *name, int *count,
                                  GError **errp)
{
    *count = -1;
    if (!host_prop(p, name, NULL)) {
        return true;
    }
    *count = fdt_stringlist_count(p->host, 0, name);
    if (*count < 0) {
        g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADVALUE,
                    "host %s property is not a list of NUL-terminated strings", name);
        return false;
    }
    return true;
}

static bool plan_guest_root(NodePlan *p, const void *fdt, GError **errp)
{
    static const char *const names[] = { "#address-cells", "#size-cells" };
    unsigned *cells[] = { &p->addr_cells, &p->size_cells };
    const unsigned defaults[] = { 2, 1 }; /* Devicetree Specification 2.3.5 */

    for (unsigned i = 0; i < 2; i++) {
        int len;
        const void *val = fdt_getprop(fdt, 0, names[i], &len);
        *cells[i] = defaults[i];
        if (val && len == 4) {
            *cells[i] = fdt_cell_at(val, 0);
        } else if (val) {
            g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADNCELLS,
                        "guest root %s is %d bytes, not one cell", names[i], len);
            return false;
        }
        if (*cells[i] != 1 && *cells[i] != 2) {
            g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADNCELLS,
                        "guest root %s is %u: only 1 or 2 is supported", names[i], *cells[i]);
            return false;
        }
    }
    for (unsigned i = 0; i < p->spec->nr_regs; i++) {
        const SysbusFdtReg *r = &p->spec->regs[i];
        if ((p->addr_cells == 1 && r->base > UINT32_MAX) ||
            (p->size_cells == 1 && r->size > UINT32_MAX)) {
            g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADVALUE,
                        "region 0x%" PRIx64 "+0x%" PRIx64 " does not fit the guest root's "
                        "#address-cells/#size-cells", r->base, r->size);
            return false;
        }
    }
    return true;
}

static bool plan_compatible(NodePlan *p, GError **errp)
{
    const SysbusFdtSpec *s = p->spec;
    int count;

    p->compatible = g_byte_array_new();
    if (s->compatible) {
        if (!s->compatible[0]) {
            g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADVALUE, "compatible= is empty");
            return false;
        }
        for (unsigned i = 0; s->compatible[i]; i++) {
            byte_array_append_str(p->compatible, s->compatible[i]);
        }
    } else {
        int len;
        const void *val;
        if (!host_stringlist_count(p, "compatible", &count, errp)) {
            return false;
        }
        if (count <= 0) {
            g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_NOTFOUND,
                        "%s: give compatible=",
                        p->host ? "the host node has no compatible" : "no device-tree node");
            return false;
        }
        val = host_prop(p, "compatible", &len);
        g_byte_array_append(p->compatible, val, (guint)len);
    }
    if (s->amba &&
        !stringlist_contains(p->compatible->data, p->compatible->len, "arm,primecell")) {
        byte_array_append_str(p->compatible, "arm,primecell");
    }
    return true;
}

/* Node names take [A-Za-z0-9,._+-] (Devicetree Specification 2.2.1). */
static char *node_name_sanitize(const char *s, size_t n)
{
    char *out = g_strndup(s, n);
    for (char *c = out; *c; c++) {
        if (!g_ascii_isalnum(*c) && !strchr(",._+-", *c)) {
            *c = '-';
        }
    }
    return out;
}

static bool plan_names(NodePlan *p, GError **errp)
{
    const SysbusFdtSpec *s = p->spec;
    g_autofree char *base = NULL;
    int len;
    const char *host_name = host_prop(p, HOST_NODE_NAME_PROP, &len);

    if (host_name && (len < 1 || host_name[len - 1] || strlen(host_name) != (size_t)len - 1)) {
        g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADVALUE,
                    "host %s is not a string", HOST_NODE_NAME_PROP);
        return false;
    }
    if (host_name && *host_name && *host_name != '@') {
        base = node_name_sanitize(host_name, strcspn(host_name, "@"));
    } else {
        /* "arm,pl031" -> "pl031" */
        const char *first = (const char *)p->compatible->data;
        const char *comma = strchr(first, ',');
        const char *part = comma && comma[1] ? comma + 1 : first;
        base = node_name_sanitize(part, strlen(part));
    }
    if (!*base) {
        g_free(base);
        base = g_strdup("device");
    }
    if (s->nr_regs) {
        p->node_name = g_strdup_printf("%s@%" PRIx64, base, s->regs[0].base);
        p->clk_prefix = g_strdup_printf("%s-%" PRIx64, base, s->regs[0].base);
    } else {
        p->node_name = g_strdup(base);
        p->clk_prefix = g_strdup(base);
    }
    return true;
}

static int plan_add_guest_clock(NodePlan *p, const char *suffix, uint32_t rate)
{
    GuestClock *gc = g_new0(GuestClock, 1);
    gc->node_name = g_strdup_printf("%s-%s", p->clk_prefix, suffix);
    gc->rate = rate;
    g_ptr_array_add(p->guest_clocks, gc);
    return (int)p->guest_clocks->len - 1;
}

static HostClockProvider *plan_provider(NodePlan *p, GHashTable *providers, uint32_t phandle,
                                        GError **errp)
{
    HostClockProvider *hp = g_hash_table_lookup(providers, GUINT_TO_POINTER(phandle));
    g_autofree guint8 *val = NULL;
    g_autoptr(GError) err = NULL;
    size_t len;

    if (hp) {
        return hp;
    }
    hp = g_new0(HostClockProvider, 1);
    g_hash_table_insert(providers, GUINT_TO_POINTER(phandle), hp);
    if (!p->spec->dt_base_dir) {
        g_set_error(&hp->err, ARMPASS_FDT_ERROR, FDT_ERR_NOTFOUND,
                    "no host device tree to read it from");
        return hp;
    }
    hp->dir = host_dt_find_phandle(p->spec->dt_base_dir, phandle, &hp->err);
    if (!hp->dir) {
        return hp; /* assume #clock-cells 0 */
    }
    if (host_dt_read_prop(hp->dir, "#clock-cells", 4, &val, &len, &err)) {
        if (len != 4) {
            g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADNCELLS,
                        "host clock %s: #clock-cells is %zu bytes, not one cell", hp->dir, len);
            return NULL;
        }
        hp->cells = fdt_cell_at(val, 0);
    } else if (err) {
        g_propagate_error(errp, g_steal_pointer(&err));
        return NULL;
    }
    if (hp->cells > CLOCK_CELLS_MAX) {
        g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADNCELLS,
                    "host clock %s: #clock-cells %" PRIu32 " is above %d", hp->dir, hp->cells,
                    CLOCK_CELLS_MAX);
        return NULL;
    }
    return hp;
}

/* Host clocks -> one guest fixed clock per distinct specifier. */
static bool plan_host_clocks(NodePlan *p, GError **errp)
{
    const SysbusFdtSpec *s = p->spec;
    g_autoptr(GHashTable) providers = g_hash_table_new_full(NULL, NULL, NULL,
                                                            host_clock_provider_free);
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    const void *val;
    unsigned n, i = 0, idx = 0;

    if (!host_cells(p, "clocks", &n, errp)) {
        return false;
    }
    val = host_prop(p, "clocks", NULL);
    p->set_clocks = val != NULL;
    while (i < n) {
        uint32_t ph = fdt_cell_at(val, i);
        HostClockProvider *hp;
        g_autoptr(GString) key = g_string_new(NULL);
        gpointer found;
        int ref;

        if (ph == 0 || ph == UINT32_MAX) {
            g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADPHANDLE,
                        "clock %u of the host clocks has no provider (phandle 0x%" PRIx32 ")",
                        idx, ph);
            return false;
        }
        hp = plan_provider(p, providers, ph, errp);
        if (!hp) {
            return false;
        }
        if (hp->cells > n - i - 1) {
            g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADVALUE,
                        "clock %u of the host clocks is truncated: provider 0x%" PRIx32
                        " takes %" PRIu32 " argument cells, %u are left", idx, ph, hp->cells,
                        n - i - 1);
            return false;
        }
        for (unsigned c = 0; c <= hp->cells; c++) {
            g_string_append_printf(key, "%" PRIx32 ",", fdt_cell_at(val, i + c));
        }
        if (g_hash_table_lookup_extended(seen, key->str, NULL, &found)) {
            ref = GPOINTER_TO_INT(found);
        } else {
            g_autofree char *suffix = g_strdup_printf("clk%u", p->guest_clocks->len);
            uint32_t rate = s->clock_rate;
            if (!rate && hp->cells) {
                g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_NOTFOUND,
                            "clock %u (host phandle 0x%" PRIx32 ") is one output of a "
                            "provider with #clock-cells %" PRIu32 ", whose rate is not in the "
                            "device tree; give it with clock-rate=HZ", idx, ph, hp->cells);
                return false;
            }
            if (!rate) {
                g_autoptr(GError) rerr = NULL;
                if (!hp->dir) {
                    rerr = g_error_copy(hp->err);
                } else {
                    host_dir_clock_rate(hp->dir, &rate, &rerr);
                }
                if (rerr) {
                    g_set_error(errp, rerr->domain, rerr->code,
                                "rate of clock %u (host phandle 0x%" PRIx32 "): %s; give it "
                                "with clock-rate=HZ", idx, ph, rerr->message);
                    return false;
                }
            }
            ref = plan_add_guest_clock(p, suffix, rate);
            g_hash_table_insert(seen, g_strdup(key->str), GINT_TO_POINTER(ref));
        }
        g_array_append_val(p->clock_refs, ref);
        i += 1 + hp->cells;
        idx++;
    }
    return true;
}

/* The apb_pclk of an AMBA device without one: the board's, or its own at clock_rate. */
static bool plan_apb_pclk_ref(NodePlan *p, int *ref, GError **errp)
{
    if (p->spec->clock_rate) {
        *ref = plan_add_guest_clock(p, "apb-pclk", p->spec->clock_rate);
        return true;
    }
    if (!p->ms->apb_pclk_phandle) {
        g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_NOTFOUND,
                    "AMBA device needs apb_pclk but the machine has no apb-pclk clock");
        return false;
    }
    *ref = CLOCK_REF_BOARD;
    return true;
}

/* AMBA devices need a clock named apb_pclk (arm/primecell.yaml; Linux's amba bus gets it). */
static bool plan_amba_clocks(NodePlan *p, GError **errp)
{
    unsigned nr_clocks = p->clock_refs->len;
    int nr_names, len, ref;
    const void *names;

    if (!p->spec->amba) {
        return true;
    }
    if (p->spec->user_node) {
        if (host_prop(p, "clocks", NULL)) {
            return true; /* the user's own clocks, as they are */
        }
        nr_clocks = 0;
    }
    if (nr_clocks == 0) {
        if (!plan_apb_pclk_ref(p, &ref, errp)) {
            return false;
        }
        g_array_set_size(p->clock_refs, 0);
        g_array_append_val(p->clock_refs, ref);
        p->set_clocks = true;
        p->clock_names = g_byte_array_new();
        byte_array_append_str(p->clock_names, "apb_pclk");
        return true;
    }
    if (!host_stringlist_count(p, "clock-names", &nr_names, errp)) {
        return false;
    }
    names = host_prop(p, "clock-names", &len);
    if (nr_names > 0 && stringlist_contains(names, (size_t)len, "apb_pclk")) {
        return true;
    }
    if (nr_names < 0 && nr_clocks == 1) {
        p->clock_names = g_byte_array_new();
        byte_array_append_str(p->clock_names, "apb_pclk");
        return true;
    }
    if (nr_names >= 0 && (unsigned)nr_names == nr_clocks) {
        if (!plan_apb_pclk_ref(p, &ref, errp)) {
            return false;
        }
        g_array_append_val(p->clock_refs, ref);
        p->clock_names = g_byte_array_new();
        g_byte_array_append(p->clock_names, names, (guint)len);
        byte_array_append_str(p->clock_names, "apb_pclk");
        return true;
    }
    g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADVALUE,
                "AMBA device needs an apb_pclk clock, but the host has %u clocks and %d "
                "clock-names without it; describe the node with dt-node=FILE", nr_clocks,
                nr_names < 0 ? 0 : nr_names);
    return false;
}

PropAction prop_action(const NodePlan *p, const char *name)
{
    const SysbusFdtSpec *s = p->spec;
    int count;

    if (!strcmp(name, HOST_NODE_NAME_PROP) || !strcmp(name, "name")) {
        return PROP_SKIP;
    }
    if (!strcmp(name, "reg") || !strcmp(name, "compatible") ||
        !strcmp(name, "interrupt-parent")) {
        return PROP_REPLACE;
    }
    if (!strcmp(name, "interrupts")) {
        return s->nr_irqs ? PROP_REPLACE : PROP_DROP;
    }
    if (!strcmp(name, "interrupts-extended")) {
        return PROP_DROP; /* it would win over interrupts */
    }
    if ((!strcmp(name, "arm,primecell-periphid") && s->has_periphid) ||
        (!strcmp(name, "clocks") && p->set_clocks) ||
        (!strcmp(name, "clock-names") && p->clock_names)) {
        return PROP_REPLACE;
    }
    if (s->user_node) {
        return PROP_COPY;
    }
    if (!strcmp(name, "status")) {
        return PROP_REPLACE;
    }
    if (!strcmp(name, "interrupt-names") || !strcmp(name, "reg-names")) {
        unsigned want = name[0] == 'i' ? s->nr_irqs : s->nr_regs;
        count = fdt_stringlist_count(p->host, 0, name);
        return count >= 0 && (unsigned)count == want ? PROP_COPY : PROP_DROP;
    }
    return prop_in_drop_table(name) ? PROP_DROP : PROP_COPY;
}

/* user_node: its phandles must be free in the guest tree and each name one node; remembers
 * the highest. */
static bool plan_user_phandles(NodePlan *p, const void *fdt, int node, unsigned depth,
                               GError **errp)
{
    static const char *const names[] = { "phandle", "linux,phandle" };
    uint32_t mine = 0; /* this node's phandle, which linux,phandle may repeat */
    int child;

    if (depth > HOST_NODE_MAX_DEPTH) {
        g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADSTRUCTURE,
                    "dt-node nested deeper than %d levels", HOST_NODE_MAX_DEPTH);
        return false;
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(names); i++) {
        int len;
        const void *val = fdt_getprop(p->host, node, names[i], &len);
        uint32_t ph;
        if (!val) {
            continue;
        }
        ph = len == 4 ? fdt_cell_at(val, 0) : 0;
        if (ph == 0 || ph == UINT32_MAX) {
            g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADPHANDLE,
                        "dt-node: %s of node %s is not a valid phandle", names[i],
                        depth ? fdt_get_name(p->host, node, NULL) : "(device)");
            return false;
        }
        if (fdt_node_offset_by_phandle(fdt, ph) >= 0) {
            g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADPHANDLE,
                        "dt-node: phandle 0x%" PRIx32 " is already used in the guest tree",
                        ph);
            return false;
        }
        if (!p->user_phandles) {
            p->user_phandles = g_hash_table_new(NULL, NULL);
        }
        if (ph != mine && !g_hash_table_add(p->user_phandles, GUINT_TO_POINTER(ph))) {
            g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADPHANDLE,
                        "dt-node: phandle 0x%" PRIx32 " is given to two nodes", ph);
            return false;
        }
        mine = ph;
        p->max_user_phandle = MAX(p->max_user_phandle, ph);
    }
    fdt_for_each_subnode(child, p->host, node) {
        if (!plan_user_phandles(p, fdt, child, depth + 1, errp)) {
            return false;
        }
    }
    return true;
}

/* The nodes to add must not exist yet (each guest base address takes one device). */
static bool plan_check_names(const NodePlan *p, const void *fdt, GError **errp)
{
    for (int i = -1; i < (int)p->guest_clocks->len; i++) {
        const GuestClock *gc = i < 0 ? NULL : g_ptr_array_index(p->guest_clocks, i);
        const char *name = gc ? gc->node_name : p->node_name;
        if (fdt_subnode_offset(fdt, 0, name) >= 0) {
            g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_EXISTS,
                        "the guest tree already has a node %s", name);
            return false;
        }
    }
    return true;
}

bool node_plan(NodePlan *p, const void *fdt, GError **errp)
{
    const SysbusFdtSpec *s = p->spec;
    unsigned n;
    int prop, child;

    p->clock_refs = g_array_new(FALSE, FALSE, sizeof(int));
    p->guest_clocks = g_ptr_array_new_with_free_func(guest_clock_free);
    p->dropped = g_ptr_array_new_with_free_func(g_free);

    if (p->host) {
        int ret = fdt_check_untrusted(p->host, fdt_totalsize(p->host));
        if (ret < 0) {
            g_set_error(errp, ARMPASS_FDT_ERROR, -ret, "the host node blob is invalid: %s",
                        fdt_strerror(ret));
            return false;
        }
        if (!host_cells(p, "reg", &n, errp) || !host_cells(p, "interrupts", &n, errp)) {
            return false;
        }
    }
    if (s->nr_irqs && !p->ms->gic_phandle) {
        g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADPHANDLE,
                    "the machine has no interrupt controller phandle");
        return false;
    }
    if (!plan_guest_root(p, fdt, errp) || !plan_compatible(p, errp) || !plan_names(p, errp)) {
        return false;
    }
    if (s->user_node && p->host) {
        if (!plan_user_phandles(p, fdt, 0, 0, errp)) {
            return false;
        }
    } else if (!plan_host_clocks(p, errp)) {
        return false;
    }
    if (!plan_amba_clocks(p, errp)) {
        return false;
    }
    /* A user node's phandles are followed by its guest clocks' and must leave a valid one
     * (0xffffffff is not) for what comes next. */
    if (p->max_user_phandle > UINT32_MAX - 2 - p->guest_clocks->len) {
        g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADPHANDLE,
                    "dt-node: phandle 0x%" PRIx32 " leaves no phandle for the nodes armpass "
                    "adds after it (use smaller phandles)", p->max_user_phandle);
        return false;
    }
    if (!plan_check_names(p, fdt, errp)) {
        return false;
    }
    if (!p->host) {
        return true;
    }
    fdt_for_each_property_offset(prop, p->host, 0) {
        const char *name;
        fdt_getprop_by_offset(p->host, prop, &name, NULL);
        if (prop_action(p, name) == PROP_DROP) {
            g_ptr_array_add(p->dropped, g_strdup(name));
        }
    }
    if (!s->user_node) {
        fdt_for_each_subnode(child, p->host, 0) {
            g_ptr_array_add(p->dropped,
                            g_strdup_printf("node %s", fdt_get_name(p->host, child, NULL)));
        }
    }
    return true;
}

bool sysbus_fdt_add_node(void *fdt, MachineState *ms, const SysbusFdtSpec *spec,
                         GError **errp)
{
    g_auto(NodePlan) plan = { .spec = spec, .ms = ms, .host = spec->host_fdt };
    const char *who = spec->name ? spec->name : "device";

    if (!node_plan(&plan, fdt, errp)) {
        g_prefix_error(errp, "%s: ", who);
        return false;
    }
    if (!node_emit(&plan, fdt, errp)) {
        g_prefix_error(errp, "%s: ", who);
        return false;
    }
    if (spec->dropped) {
        for (unsigned i = 0; i < plan.dropped->len; i++) {
            g_ptr_array_add(spec->dropped, g_strdup(g_ptr_array_index(plan.dropped, i)));
        }
    }
    return true;
}
