// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci's expansion ROM: the ROM BAR shows the device's ROM region (read through VFIO) or
 * a romfile=, read-only; rombar=off hides it. Source: PCI Local Bus Specification 3.0,
 * 6.2.5.2 (Expansion ROM Base Address Register) and 6.3 (PCI Expansion ROMs);
 * include/uapi/linux/vfio.h (VFIO_PCI_ROM_REGION_INDEX).
 */
#define G_LOG_DOMAIN "armpass-vfio"
#include "hw/vfio/vfio-pci.h"

#include "vfio-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#define VFIO_PCI_ROMFILE_MAX (16u << 20) /* bytes: the largest ROM BAR armpass offers */
#define VFIO_PCI_ROM_MIN     2048        /* bytes: the smallest ROM BAR (PCI 3.0, 6.2.5.2) */

static uint64_t rom_read(void *opaque, uint64_t off, unsigned size)
{
    VfioPciDevice *d = opaque;
    uint64_t val = 0;

    if (d->rom_data) {
        for (unsigned i = 0; i < size; i++) {
            val |= (uint64_t)(off + i < d->rom_size ? d->rom_data[off + i] : 0xff) << (8 * i);
        }
        return val;
    }
    return d->rom_region.mr.ops->read(d->rom_region.mr.opaque, off, size);
}

static void rom_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    (void)opaque, (void)off, (void)val, (void)size; /* read-only: dropped */
}

static const MemoryRegionOps rom_ops = {
    .read = rom_read,
    .write = rom_write,
};

static uint64_t pow2_ceil(uint64_t n)
{
    uint64_t p = VFIO_PCI_ROM_MIN;

    while (p < n) {
        p <<= 1;
    }
    return p;
}

static bool rom_from_file(VfioPciDevice *d, GError **errp)
{
    g_autoptr(GError) err = NULL;
    gchar *data;
    gsize len;

    if (!g_file_get_contents(d->romfile, &data, &len, &err)) {
        vfio_set_error(errp, ENOENT, d->name, "romfile=%s: %s (give a readable file, or "
                       "romfile= empty for no ROM)", d->romfile, err->message);
        return false;
    }
    if (len > VFIO_PCI_ROMFILE_MAX || len == 0) {
        vfio_set_error(errp, EFBIG, d->name, "romfile=%s: %zu bytes: a ROM holds 1 byte to "
                       "16 MiB", d->romfile, (size_t)len);
        g_free(data);
        return false;
    }
    d->rom_size = pow2_ceil(len);
    d->rom_data = g_malloc(d->rom_size);
    memset(d->rom_data, 0xff, d->rom_size);
    memcpy(d->rom_data, data, len);
    g_free(data);
    return true;
}

bool vfio_pci_rom_init(VfioPciDevice *d, GError **errp)
{
    g_autofree char *name = NULL;

    if (!d->rombar || (d->romfile && !*d->romfile)) {
        g_debug("vfio %s: no ROM for the guest (%s)", d->name,
                d->rombar ? "romfile= empty" : "rombar=off");
        return true;
    }
    if (d->romfile) {
        if (!rom_from_file(d, errp)) {
            return false;
        }
    } else {
        if (d->vdev->num_regions <= VFIO_PCI_ROM_REGION_INDEX) {
            return true;
        }
        if (!vfio_region_setup(d->vdev, VFIO_PCI_ROM_REGION_INDEX, false, &d->rom_region,
                               errp)) {
            return false;
        }
        if (d->rom_region.info.size == 0 ||
            (d->rom_region.info.size & (d->rom_region.info.size - 1))) {
            g_debug("vfio %s: ROM region of 0x%" PRIx64 " bytes: no ROM for the guest",
                    d->name, d->rom_region.info.size);
            vfio_region_finalize(&d->rom_region);
            return true;
        }
        d->rom_size = d->rom_region.info.size;
    }
    name = g_strdup_printf("%s.rom", d->name);
    memory_region_init_io(&d->rom, name, d->rom_size, &rom_ops, d);
    pci_register_bar(&d->pdev, PCI_ROM_SLOT, 0, d->rom_size, &d->rom);
    d->rom_ready = true;
    g_debug("vfio %s: ROM BAR: 0x%" PRIx64 " bytes from %s", d->name, d->rom_size,
            d->romfile ? d->romfile : "the device");
    return true;
}

void vfio_pci_rom_uninit(VfioPciDevice *d)
{
    if (d->rom_ready) {
        memory_region_finalize(&d->rom);
        d->rom_ready = false;
    }
    if (d->rom_region.dev) {
        vfio_region_finalize(&d->rom_region);
    }
    g_clear_pointer(&d->rom_data, g_free);
    d->rom_size = 0;
}
