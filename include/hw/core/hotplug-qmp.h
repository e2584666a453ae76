/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * QMP's device_add and device_del (hw/core/hotplug.h underneath): their arguments checked and
 * turned into what -device takes, for any machine. The commands' opaque is the MachineState.
 * Apart from the board so that the QMP fuzzer (tests/fuzz/fuzz-qmp.c) drives the same code.
 * Source: QEMU's qapi/qdev.json (device_add, device_del); docs/operating.md ("Hot-plug").
 */
#ifndef ARMPASS_HW_CORE_HOTPLUG_QMP_H
#define ARMPASS_HW_CORE_HOTPLUG_QMP_H

#include "hw/core/device.h"
#include "system/options.h"
#include "system/qmp.h"

#include <json-c/json.h>

/*
 * device_add's arguments (a JSON object) as a -device option list: driver first, then every
 * other member as key=value (booleans on/off, integers in decimal, strings as given), through
 * -device's own parser (commas in values doubled, as on the command line). Returns the list
 * (opt_list_free it). Errors (QMP_ERROR GenericError, one line): a member name that is empty
 * or holds ',' or '=' (not a property name), a value that is not a string, integer or
 * boolean, no driver, or what the option parser refuses.
 */
OptList *hotplug_qmp_device_opts(json_object *args, GError **errp);

/*
 * Registers device_add and device_del on qmp for machine ms (main thread), and withdraws
 * them. device_add: driver (string, required), id (string), any other member a property of
 * the device; device_del: id (string, required). Errors are QMP's: DeviceNotFound for
 * device_del of an unknown id, GenericError for everything else, each one line.
 */
void hotplug_qmp_register(QmpServer *qmp, MachineState *ms);
void hotplug_qmp_unregister(QmpServer *qmp);

#endif
