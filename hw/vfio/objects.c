// SPDX-License-Identifier: GPL-2.0-only
/* The machine's VFIO context, made by its first VFIO device, with the -object iommufd and
 * -object vfio-container of the command line registered in it. */
#define G_LOG_DOMAIN "armpass-vfio"
#include "hw/vfio/vfio-objects.h"

#include <string.h>

VfioContext *vfio_machine_context(MachineState *ms, GError **errp)
{
    VfioContext *ctx;

    if (ms->vfio) {
        return ms->vfio;
    }
    ctx = vfio_context_new(ms->ops, ms->sysfs_root, ms->dev_vfio ? ms->dev_vfio : "/dev/vfio",
                           ms->as);
    if (ms->dev_iommu) {
        vfio_context_set_iommu_path(ctx, ms->dev_iommu);
    }
    for (guint i = 0; ms->cfg && ms->cfg->objects && i < ms->cfg->objects->len; i++) {
        const ArmpassObject *o = g_ptr_array_index(ms->cfg->objects, i);
        bool ok = !strcmp(o->type, "iommufd")
                      ? vfio_context_add_iommufd(ctx, o->id, o->fd, errp)
                      : vfio_context_add_container(ctx, o->id, o->fd, errp);

        if (!ok) {
            vfio_context_free(ctx);
            return NULL;
        }
    }
    ms->vfio = ctx;
    return ctx;
}
