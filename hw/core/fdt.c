// SPDX-License-Identifier: GPL-2.0-only
/* Small libfdt helpers shared by the board and the device models: generic, below both. */
#include "hw/core/fdt.h"

#include <string.h>

G_DEFINE_QUARK(armpass-fdt-error, armpass_fdt_error)

bool fdt_setprop_reg64(void *fdt, int node, const uint64_t *pairs, unsigned nr_pairs,
                       GError **errp)
{
    g_autofree fdt64_t *cells = g_new(fdt64_t, nr_pairs * 2);
    for (unsigned i = 0; i < nr_pairs * 2; i++) {
        cells[i] = cpu_to_fdt64(pairs[i]);
    }
    FDT_CHECK(fdt_setprop(fdt, node, "reg", cells, sizeof(fdt64_t) * nr_pairs * 2));
    return true;
}

bool fdt_setprop_strings(void *fdt, int node, const char *name, const char *const *strs,
                         GError **errp)
{
    g_autoptr(GByteArray) buf = g_byte_array_new();
    for (unsigned i = 0; strs[i]; i++) {
        g_byte_array_append(buf, (const guint8 *)strs[i], strlen(strs[i]) + 1);
    }
    FDT_CHECK(fdt_setprop(fdt, node, name, buf->data, buf->len));
    return true;
}

bool fdt_setprop_gic_spi(void *fdt, int node, unsigned spi, uint32_t flags, GError **errp)
{
    fdt32_t cells[3] = { cpu_to_fdt32(GIC_FDT_IRQ_TYPE_SPI), cpu_to_fdt32(spi),
                         cpu_to_fdt32(flags) };
    FDT_CHECK(fdt_setprop(fdt, node, "interrupts", cells, sizeof(cells)));
    return true;
}
