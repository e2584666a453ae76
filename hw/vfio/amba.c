// SPDX-License-Identifier: GPL-2.0-only
/* "-device vfio-amba": a host AMBA primecell passed through (VFIO_DEVICE_FLAGS_AMBA); its guest
 * node carries "arm,primecell" and an apb_pclk clock, which Linux's AMBA bus needs to probe. */
#include "hw/vfio/vfio-sysbus.h"

const DeviceClass vfio_amba_device_class = {
    .name = "vfio-amba",
    .desc = "a host AMBA primecell bound to vfio-amba, passed through",
    .instance_size = sizeof(VfioSysbusDevice),
    .props = vfio_amba_props,
    .realize = vfio_sysbus_realize,
    .fdt_node = vfio_sysbus_fdt_node,
    .no_hotplug = DEVICE_NO_HOTPLUG_FDT,
    .unrealize = vfio_sysbus_unrealize,
    .print_stats = vfio_sysbus_print_stats,
};
