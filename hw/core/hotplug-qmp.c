// SPDX-License-Identifier: GPL-2.0-only
/* QMP's device_add and device_del on any machine (include/hw/core/hotplug-qmp.h). */
#define G_LOG_DOMAIN "armpass-hotplug"
#include "hw/core/hotplug-qmp.h"

#include "hw/core/hotplug.h"

#include <string.h>

OptList *hotplug_qmp_device_opts(json_object *args, GError **errp)
{
    g_autoptr(GString) str = g_string_new(NULL);
    g_autoptr(GError) err = NULL;
    g_auto(GStrv) parts = NULL;
    OptList *ol = NULL;

    json_object_object_foreach(args, key, val) {
        const char *text;

        if (strpbrk(key, ",=") || !*key) {
            g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC, "Parameter '%s' is not a property "
                        "name", key);
            return NULL;
        }
        switch (json_object_get_type(val)) {
        case json_type_string:
        case json_type_int:
            text = json_object_get_string(val);
            break;
        case json_type_boolean:
            text = json_object_get_boolean(val) ? "on" : "off";
            break;
        default:
            g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC, "Parameter '%s' expects a string, "
                        "an integer or a boolean", key);
            return NULL;
        }
        parts = g_strsplit(text, ",", -1);
        if (strcmp(key, "driver") == 0) {
            g_autofree char *driver = g_strjoinv(",,", parts);
            g_string_prepend(str, driver);
        } else {
            g_autofree char *value = g_strjoinv(",,", parts);
            g_string_append_printf(str, ",%s=%s", key, value);
        }
        g_clear_pointer(&parts, g_strfreev);
    }
    if (!opt_list_parse(str->str, true, &ol, &err)) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC, "%s", err->message);
        return NULL;
    }
    return ol;
}

static bool qmp_device_add(QmpServer *qmp, json_object *args, json_object **ret, void *opaque,
                           GError **errp)
{
    MachineState *ms = opaque;
    const char *driver = json_object_get_string(json_object_object_get(args, "driver"));
    const DeviceClass *dc = device_class_find(ms->models, driver);
    g_autoptr(OptList) opts = NULL;
    g_autoptr(GError) err = NULL;

    (void)qmp, (void)ret;
    if (!dc) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC, "'%s' is not a valid device model "
                    "name (armpass -device help lists them)", driver);
        return false;
    }
    if (!dc->pci) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC, "%s devices live in the device tree, "
                    "which a running guest does not re-read: give them on the command line "
                    "(-device %s,...)", driver, driver);
        return false;
    }
    opts = hotplug_qmp_device_opts(args, errp);
    if (!opts) {
        return false;
    }
    if (!machine_hotplug_add(ms, opts, &err)) {
        g_set_error_literal(errp, QMP_ERROR, QMP_ERROR_GENERIC, err->message);
        return false;
    }
    return true;
}

static bool qmp_device_del(QmpServer *qmp, json_object *args, json_object **ret, void *opaque,
                           GError **errp)
{
    MachineState *ms = opaque;
    const char *id = json_object_get_string(json_object_object_get(args, "id"));
    g_autoptr(GError) err = NULL;

    (void)qmp, (void)ret;
    if (!machine_hotplug_del(ms, id, &err)) { /* the hot-plug layer finds it or says why */
        g_set_error_literal(errp, QMP_ERROR,
                            g_error_matches(err, HOTPLUG_ERROR, HOTPLUG_ERROR_NOT_FOUND)
                                ? QMP_ERROR_DEVICE_NOT_FOUND : QMP_ERROR_GENERIC,
                            err->message);
        return false;
    }
    return true;
}

static const QmpArg qmp_args_device_add[] = {
    { "driver", QMP_ARG_STR, true }, { "id", QMP_ARG_STR, false }, { NULL } };
static const QmpArg qmp_args_device_del[] = { { "id", QMP_ARG_STR, true }, { NULL } };

static const QmpCommand hotplug_qmp_commands[] = {
    { "device_add", qmp_device_add, qmp_args_device_add, true },
    { "device_del", qmp_device_del, qmp_args_device_del, false },
};

void hotplug_qmp_register(QmpServer *qmp, MachineState *ms)
{
    for (size_t i = 0; i < G_N_ELEMENTS(hotplug_qmp_commands); i++) {
        qmp_server_register(qmp, &hotplug_qmp_commands[i], ms);
    }
}

void hotplug_qmp_unregister(QmpServer *qmp)
{
    for (size_t i = 0; i < G_N_ELEMENTS(hotplug_qmp_commands); i++) {
        qmp_server_unregister(qmp, hotplug_qmp_commands[i].name);
    }
}
