// SPDX-License-Identifier: GPL-2.0-only
/* Before any guest is built: which of a configuration's VFIO devices will pin guest RAM for
 * DMA, and in whose RLIMIT_MEMLOCK account (Type1: the process's locked_vm; iommufd: the
 * user's), so that a short limit is refused up front rather than at VFIO_IOMMU_MAP_DMA. */
#define G_LOG_DOMAIN "armpass-vfio"
#include "hw/vfio/vfio-common.h"

#include "system/options.h"

#include <string.h>

/* The device's sysfs folder from host= or sysfsdev=, or NULL. */
static char *device_sysfs_path(const OptList *ol, const char *sysfs_root)
{
    const char *host = opt_list_get(ol, "host");
    const char *sysfsdev = opt_list_get(ol, "sysfsdev");
    static const char *const buses[] = { "pci", "platform", "amba" };

    if (sysfsdev) {
        return g_strdup(sysfsdev);
    }
    for (unsigned i = 0; host && i < G_N_ELEMENTS(buses); i++) {
        g_autofree char *p = g_build_filename(sysfs_root, "bus", buses[i], "devices", host, NULL);
        if (g_file_test(p, G_FILE_TEST_EXISTS)) {
            return g_steal_pointer(&p);
        }
        /* vfio-pci's host= may leave out the domain (01:00.0). */
        if (i == 0 && strlen(host) < 12) {
            g_autofree char *q = g_strdup_printf("%s/bus/pci/devices/0000:%s", sysfs_root, host);
            if (g_file_test(q, G_FILE_TEST_EXISTS)) {
                return g_steal_pointer(&q);
            }
        }
    }
    return NULL;
}

/* The device sits in a no-IOMMU group: VFIO pins nothing for it. */
static bool device_in_noiommu_group(const char *path)
{
    g_autofree char *namefile = g_build_filename(path, "iommu_group", "name", NULL);
    g_autofree char *gname = NULL;

    return g_file_get_contents(namefile, &gname, NULL, NULL) &&
           strstr(gname, "vfio-noiommu") != NULL;
}

void vfio_guest_ram_pinning(const ArmpassConfig *cfg, const char *sysfs_root, bool *type1,
                            bool *iommufd)
{
    *type1 = *iommufd = false;
    for (guint i = 0; i < cfg->devices->len; i++) {
        const OptList *ol = g_ptr_array_index(cfg->devices, i);
        g_autofree char *path = NULL;

        if (!ol->first || (strcmp(ol->first, "vfio-pci") && strcmp(ol->first, "vfio-platform") &&
                           strcmp(ol->first, "vfio-amba"))) {
            continue;
        }
        path = device_sysfs_path(ol, sysfs_root);
        if (path && device_in_noiommu_group(path)) {
            continue;
        }
        /* A device armpass cannot find is left to its realize to refuse; counting it errs
         * on the side of the limit. */
        if (opt_list_get(ol, "iommufd")) {
            *iommufd = true;
        } else {
            *type1 = true;
        }
    }
}

unsigned vfio_config_noiommu_devices(const ArmpassConfig *cfg, const char *sysfs_root)
{
    unsigned n = 0;

    for (guint i = 0; i < cfg->devices->len; i++) {
        const OptList *ol = g_ptr_array_index(cfg->devices, i);
        g_autofree char *path = NULL;

        if (!ol->first || (strcmp(ol->first, "vfio-pci") && strcmp(ol->first, "vfio-platform") &&
                           strcmp(ol->first, "vfio-amba"))) {
            continue;
        }
        path = device_sysfs_path(ol, sysfs_root);
        n += path && device_in_noiommu_group(path);
    }
    return n;
}
