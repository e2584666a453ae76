// SPDX-License-Identifier: GPL-2.0-only
/* Finding a -device model in a board's list, creating a device from its option string
 * (properties set by type), and the -device help text. The board owns the list. */
#include "hw/core/device.h"

#include <string.h>

const DeviceClass *device_class_find(const DeviceClass *const *models, const char *name)
{
    for (const DeviceClass *const *dc = models; *dc; dc++) {
        if (strcmp((*dc)->name, name) == 0) {
            return *dc;
        }
    }
    return NULL;
}

static const Property *property_find(const DeviceClass *dc, const char *name)
{
    for (const Property *p = dc->props; p && p->name; p++) {
        if (strcmp(p->name, name) == 0) {
            return p;
        }
    }
    return NULL;
}

/* "a, b, c" or NULL when the class has no properties. */
static char *property_names(const DeviceClass *dc)
{
    GString *s = g_string_new(NULL);

    for (const Property *p = dc->props; p && p->name; p++) {
        g_string_append_printf(s, "%s%s", s->len ? ", " : "", p->name);
    }
    if (s->len == 0) {
        g_string_free(s, TRUE);
        return NULL;
    }
    return g_string_free(s, FALSE);
}

static const char *prop_type_name(PropType type)
{
    switch (type) {
    case PROP_STRING:
        return "string";
    case PROP_BOOL:
        return "bool (on/off)";
    case PROP_UINT64:
        return "uint64 (decimal or 0x-hex)";
    case PROP_SIZE:
        return "size (bytes, K/M/G/T suffix)";
    }
    return "?";
}

static bool property_set(DeviceState *dev, const Property *prop, const char *value,
                         GError **errp)
{
    char *base = (char *)dev;

    switch (prop->type) {
    case PROP_STRING: {
        char **field = (char **)(base + prop->offset);

        g_free(*field);
        *field = g_strdup(value);
        break;
    }
    case PROP_BOOL:
        if (!parse_bool(value, (bool *)(base + prop->offset), errp)) {
            return false;
        }
        break;
    case PROP_UINT64:
        if (!parse_uint64(value, (uint64_t *)(base + prop->offset), errp)) {
            return false;
        }
        break;
    case PROP_SIZE:
        if (!parse_size(value, 0, (uint64_t *)(base + prop->offset), errp)) {
            return false;
        }
        break;
    }
    /* set_offset 0 would be the DeviceState header itself: it means "not recorded". */
    if (prop->set_offset != 0) {
        *(bool *)(base + prop->set_offset) = true;
    }
    return true;
}

bool device_id_valid(const char *id)
{
    if (!id || !g_ascii_isalpha(id[0]) || strlen(id) > 127) {
        return false;
    }
    for (const char *p = id; *p; p++) {
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.' && *p != '_') {
            return false;
        }
    }
    return true;
}

DeviceState *device_create_from_class(const DeviceClass *dc, const OptList *opts, unsigned index,
                                      GError **errp)
{
    DeviceState *dev;

    g_assert(dc->instance_size >= sizeof(DeviceState));
    dev = g_malloc0(dc->instance_size);
    dev->klass = dc;
    dev->id = g_strdup_printf("%s.%u", dc->name, index);

    for (guint i = 0; i < opts->pairs->len; i++) {
        const OptPair *pair = g_ptr_array_index(opts->pairs, i);
        const Property *prop = property_find(dc, pair->key);

        if (strcmp(pair->key, "id") == 0) {
            if (!device_id_valid(pair->value)) {
                g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                            "-device %s: id=%s: give a name that starts with a letter and "
                            "holds only letters, digits, '-', '.' and '_'", dc->name,
                            pair->value);
                device_free(dev);
                return NULL;
            }
            g_free(dev->id);
            dev->id = g_strdup(pair->value);
            dev->id_set = true;
            continue;
        }
        if (!prop) {
            g_autofree char *names = property_names(dc);

            if (names) {
                g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_UNKNOWN,
                            "-device %s: unknown property \"%s\" (valid: %s; try -device "
                            "%s,help)", dc->name, pair->key, names, dc->name);
            } else {
                g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_UNKNOWN,
                            "-device %s: unknown property \"%s\" (%s has no properties)",
                            dc->name, pair->key, dc->name);
            }
            device_free(dev);
            return NULL;
        }
        if (!property_set(dev, prop, pair->value, errp)) {
            g_prefix_error(errp, "-device %s: property \"%s\": ", dc->name, prop->name);
            device_free(dev);
            return NULL;
        }
    }
    return dev;
}

DeviceState *device_create(const DeviceClass *const *models, const OptList *opts,
                           unsigned index, GError **errp)
{
    const DeviceClass *dc;

    if (!opts->first) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_INVALID,
                    "-device: no device type given (put it first, e.g. -device pl011; try "
                    "-device help)");
        return NULL;
    }
    dc = device_class_find(models, opts->first);
    if (!dc) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_UNKNOWN,
                    "-device %s: unknown device type (try -device help)", opts->first);
        return NULL;
    }
    return device_create_from_class(dc, opts, index, errp);
}

void device_free(DeviceState *dev)
{
    if (!dev) {
        return;
    }
    for (const Property *p = dev->klass->props; p && p->name; p++) {
        if (p->type == PROP_STRING) {
            g_free(*(char **)((char *)dev + p->offset));
        }
    }
    g_free(dev->id);
    g_free(dev);
}

char *device_help_text(const DeviceClass *const *models, const char *driver, GError **errp)
{
    const DeviceClass *dc;

    if (!driver) {
        GString *s = g_string_new("Devices (-device DRIVER,help lists a driver's properties):\n");
        for (const DeviceClass *const *c = models; *c; c++) {
            g_string_append_printf(s, "  %s: %s\n", (*c)->name, (*c)->desc);
        }
        return g_string_free(s, FALSE);
    }
    dc = device_class_find(models, driver);
    if (!dc) {
        g_set_error(errp, ARMPASS_OPTIONS_ERROR, ARMPASS_OPTIONS_ERROR_UNKNOWN,
                    "-device %s: unknown device type (try -device help)", driver);
        return NULL;
    }
    return device_class_help_text(dc);
}

char *device_class_help_text(const DeviceClass *dc)
{
    GString *s = g_string_new(NULL);

    g_string_append_printf(s, "%s: %s\n", dc->name, dc->desc);
    if (!dc->props || !dc->props->name) {
        g_string_append(s, "  (no properties)\n");
    }
    for (const Property *p = dc->props; p && p->name; p++) {
        g_string_append_printf(s, "  %s=<%s>", p->name, prop_type_name(p->type));
        if (p->desc) {
            g_string_append_printf(s, ": %s", p->desc);
        }
        g_string_append_c(s, '\n');
    }
    g_string_append(s, "  (every device also takes id=NAME: its name for bus= and device_del)\n");
    return g_string_free(s, FALSE);
}
