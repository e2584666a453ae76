/* SPDX-License-Identifier: GPL-2.0-only */
/* The machine's VFIO context and the -object iommufd / vfio-container it holds. */
#ifndef ARMPASS_HW_VFIO_VFIO_OBJECTS_H
#define ARMPASS_HW_VFIO_VFIO_OBJECTS_H

#include "hw/core/device.h"
#include "hw/vfio/vfio-common.h"

/*
 * ms->vfio, made on the first call (on ms->sysfs_root, ms->dev_vfio or "/dev/vfio",
 * ms->dev_iommu or "/dev/iommu", ms->as) with every -object of ms->cfg registered (nothing is
 * opened until a device uses it). Errors: a duplicate id (the command-line parser refuses
 * them first).
 */
VfioContext *vfio_machine_context(MachineState *ms, GError **errp);

#endif
