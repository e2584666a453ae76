// SPDX-License-Identifier: GPL-2.0-only
/* "-device vfio-platform": a host platform device passed through (VFIO_DEVICE_FLAGS_PLATFORM). */
#include "hw/vfio/vfio-sysbus.h"

const DeviceClass vfio_platform_device_class = {
    .name = "vfio-platform",
    .desc = "a host platform device bound to vfio-platform, passed through",
    .instance_size = sizeof(VfioSysbusDevice),
    .props = vfio_sysbus_props,
    .realize = vfio_sysbus_realize,
    .fdt_node = vfio_sysbus_fdt_node,
    .no_hotplug = DEVICE_NO_HOTPLUG_FDT,
    .unrealize = vfio_sysbus_unrealize,
    .print_stats = vfio_sysbus_print_stats,
};
