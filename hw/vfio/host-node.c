// SPDX-License-Identifier: GPL-2.0-only
/* Imports a passed-through device's host device-tree node (sysfs, .dtb, .dts); host clocks. */
#define G_LOG_DOMAIN "armpass-fdt"
#include "hw/vfio/host-node.h"

#include "hw/core/fdt.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Bounds of the walk over the whole host tree for a phandle. */
#define HOST_DT_WALK_MAX_DEPTH 32
#define HOST_DT_WALK_MAX_NODES 100000

/* ---- Reading host files ---- */

/*
 * Reads a regular file of at most max bytes into *data (g_free it; never NULL) and *len.
 * Errors (G_FILE_ERROR): cannot open or read, not a regular file, larger than max.
 */
static bool read_file_bounded(const char *path, size_t max, guint8 **data, size_t *len,
                              GError **errp)
{
    g_autoptr(GByteArray) buf = g_byte_array_new();
    guint8 chunk[4096];
    struct stat st;
    int fd;

    /* O_NONBLOCK: a FIFO planted in the folder must not hang us before fstat rejects it. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", path,
                    g_strerror(e));
        return false;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: not a regular file", path);
        close(fd);
        return false;
    }
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            int e = errno;
            g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", path,
                        g_strerror(e));
            close(fd);
            return false;
        }
        if (n == 0) {
            break;
        }
        if ((size_t)n > max - buf->len) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_NOSPC, "%s: larger than %zu bytes",
                        path, max);
            close(fd);
            return false;
        }
        g_byte_array_append(buf, chunk, (guint)n);
    }
    close(fd);
    *len = buf->len;
    g_byte_array_append(buf, (const guint8 *)"", 1); /* never NULL, even when empty */
    *data = g_byte_array_free(g_steal_pointer(&buf), FALSE);
    return true;
}

/* Reads the property file dir/name of at most max bytes. Returns false with *errp unset
 * when the file does not exist. */
bool host_dt_read_prop(const char *dir, const char *name, size_t max, guint8 **data,
                       size_t *len, GError **errp)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autoptr(GError) err = NULL;

    if (read_file_bounded(path, max, data, len, &err)) {
        return true;
    }
    if (!g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
        g_propagate_error(errp, g_steal_pointer(&err));
    }
    return false;
}

/*
 * fdt_check_full() over len bytes, made safe for any input and completed, for two holes of
 * libfdt 1.6.1 (Debian 12) that hostile blobs reach:
 *  - it dereferences a NULL node name when the header's version is 2-15 (fdt_get_name()
 *    fails on a pre-v16 root name without '/'): such blobs (dtc before 2008) are refused
 *    first, -FDT_ERR_BADVERSION;
 *  - a property length of 0xfffffff8-0xffffffff wraps its step to the next tag back into the
 *    property itself, so the tree passes and fdt_getprop() returns a length of -8 to -1:
 *    every property is checked to have a length >= 0 whose bytes lie within len,
 *    -FDT_ERR_BADSTRUCTURE.
 * Returns 0 or a negative libfdt error.
 */
int fdt_check_untrusted(const void *fdt, size_t len)
{
    int ret, node, prop;

    if (len >= FDT_V1_SIZE && fdt_magic(fdt) == FDT_MAGIC && fdt_version(fdt) < 16) {
        return -FDT_ERR_BADVERSION;
    }
    ret = fdt_check_full(fdt, len);
    if (ret < 0) {
        return ret;
    }
    for (node = 0; node >= 0; node = fdt_next_node(fdt, node, NULL)) {
        fdt_for_each_property_offset(prop, fdt, node) {
            int plen;
            const char *val = fdt_getprop_by_offset(fdt, prop, NULL, &plen);

            if (!val) {
                return plen;
            }
            if (plen < 0 || (size_t)plen > len - (size_t)(val - (const char *)fdt)) {
                return -FDT_ERR_BADSTRUCTURE;
            }
        }
        if (prop != -FDT_ERR_NOTFOUND) {
            return prop;
        }
    }
    return node == -FDT_ERR_NOTFOUND ? 0 : node;
}

/* ---- One-line errors ---- */

/*
 * Moves err into *errp with every control character of its message escaped ("\n", "\r",
 * "\t", else "\xHH"): the messages name host paths, and a file or folder name may hold a
 * newline (a firmware's node name, a folder given with sysfsdev= or dt-node=), which would
 * make an error of several lines where armpass promises one. Takes err.
 */
static void propagate_one_line(GError **errp, GError *err)
{
    GString *msg = g_string_sized_new(strlen(err->message));

    for (const unsigned char *p = (const unsigned char *)err->message; *p; p++) {
        if (*p == '\n') {
            g_string_append(msg, "\\n");
        } else if (*p == '\r') {
            g_string_append(msg, "\\r");
        } else if (*p == '\t') {
            g_string_append(msg, "\\t");
        } else if (*p < 0x20 || *p == 0x7f) {
            g_string_append_printf(msg, "\\x%02x", *p);
        } else {
            g_string_append_c(msg, (char)*p);
        }
    }
    g_free(err->message);
    err->message = g_string_free(msg, FALSE);
    g_propagate_error(errp, err);
}

/* ---- host_node_load_sysfs ---- */

/* Turns a sequential-write libfdt error into a GError; NOSPACE means the size bound. */
static bool sw_check(int ret, const char *path, GError **errp)
{
    if (ret == -FDT_ERR_NOSPACE) {
        g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_NOSPACE,
                    "%s: the node is larger than %d bytes", path, HOST_NODE_MAX_SIZE);
        return false;
    }
    if (ret < 0) {
        g_set_error(errp, ARMPASS_FDT_ERROR, -ret, "%s: %s", path, fdt_strerror(ret));
        return false;
    }
    return true;
}

static gint compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

typedef struct SysfsWalk {
    void *fdt;                              /* sequential-write buffer */
    dev_t dev[HOST_NODE_MAX_DEPTH + 1];     /* the folders from the device node down */
    ino_t ino[HOST_NODE_MAX_DEPTH + 1];
} SysfsWalk;

static bool sysfs_add_node(SysfsWalk *w, const char *dir, unsigned depth, GError **errp)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) children = g_ptr_array_new_with_free_func(g_free);
    const char *entry;
    struct stat st;
    GDir *d;

    if (stat(dir, &st) < 0) {
        int e = errno;
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", dir,
                    g_strerror(e));
        return false;
    }
    for (unsigned i = 0; i < depth; i++) {
        if (w->dev[i] == st.st_dev && w->ino[i] == st.st_ino) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_LOOP,
                        "%s: symlink loop: the folder is its own ancestor", dir);
            return false;
        }
    }
    if (depth > HOST_NODE_MAX_DEPTH) {
        g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADSTRUCTURE,
                    "%s: child nodes nested deeper than %d levels", dir, HOST_NODE_MAX_DEPTH);
        return false;
    }
    w->dev[depth] = st.st_dev;
    w->ino[depth] = st.st_ino;

    d = g_dir_open(dir, 0, errp);
    if (!d) {
        return false;
    }
    while ((entry = g_dir_read_name(d))) {
        g_ptr_array_add(names, g_strdup(entry));
    }
    g_dir_close(d);
    /* readdir order is the file system's: sort for a reproducible blob. */
    g_ptr_array_sort(names, compare_strings);

    /* Properties first (the blob format wants them before child nodes). */
    for (unsigned i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        g_autofree char *path = g_build_filename(dir, name, NULL);
        g_autofree guint8 *val = NULL;
        size_t len;

        if (stat(path, &st) < 0) {
            int e = errno;
            g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", path,
                        g_strerror(e));
            return false;
        }
        if (S_ISDIR(st.st_mode)) {
            g_ptr_array_add(children, g_strdup(name));
            continue;
        }
        if (!S_ISREG(st.st_mode)) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "%s: neither a property file nor a node folder", path);
            return false;
        }
        if (!strcmp(name, "name") || !strcmp(name, HOST_NODE_NAME_PROP)) {
            continue;
        }
        if (!read_file_bounded(path, HOST_NODE_MAX_SIZE, &val, &len, errp) ||
            !sw_check(fdt_property(w->fdt, name, val, (int)len), path, errp)) {
            return false;
        }
    }
    for (unsigned i = 0; i < children->len; i++) {
        const char *name = g_ptr_array_index(children, i);
        g_autofree char *path = g_build_filename(dir, name, NULL);

        if (!sw_check(fdt_begin_node(w->fdt, name), path, errp) ||
            !sysfs_add_node(w, path, depth + 1, errp) ||
            !sw_check(fdt_end_node(w->fdt), path, errp)) {
            return false;
        }
    }
    return true;
}

/* Finishes a sequential-write blob: packs it, checks it and trims the buffer. */
static void *sw_finish(void *fdt, const char *path, GError **errp)
{
    int ret;

    if (!sw_check(fdt_finish(fdt), path, errp)) {
        g_free(fdt);
        return NULL;
    }
    ret = fdt_check_full(fdt, fdt_totalsize(fdt));
    if (ret < 0) {
        g_set_error(errp, ARMPASS_FDT_ERROR, -ret, "%s: the imported node is invalid: %s",
                    path, fdt_strerror(ret));
        g_free(fdt);
        return NULL;
    }
    return g_realloc(fdt, fdt_totalsize(fdt));
}

static void *load_sysfs(const char *of_node_dir, GError **errp)
{
    g_autofree char *real = NULL;
    g_autofree char *node_name = NULL;
    g_autofree SysfsWalk *w = g_new0(SysfsWalk, 1);
    g_autofree void *fdt = NULL;
    struct stat st;

    if (stat(of_node_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                    "%s: no such folder: the device has no device-tree node; "
                    "describe it with dt-node=FILE", of_node_dir);
        return NULL;
    }
    real = realpath(of_node_dir, NULL);
    if (!real) {
        int e = errno;
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", of_node_dir,
                    g_strerror(e));
        return NULL;
    }
    node_name = g_path_get_basename(real);

    fdt = g_malloc0(HOST_NODE_MAX_SIZE);
    w->fdt = fdt;
    if (!sw_check(fdt_create(fdt, HOST_NODE_MAX_SIZE), of_node_dir, errp) ||
        !sw_check(fdt_finish_reservemap(fdt), of_node_dir, errp) ||
        !sw_check(fdt_begin_node(fdt, ""), of_node_dir, errp) ||
        !sw_check(fdt_property_string(fdt, HOST_NODE_NAME_PROP, node_name), of_node_dir,
                  errp) ||
        !sysfs_add_node(w, real, 0, errp) ||
        !sw_check(fdt_end_node(fdt), of_node_dir, errp)) {
        return NULL;
    }
    return sw_finish(g_steal_pointer(&fdt), of_node_dir, errp);
}

void *host_node_load_sysfs(const char *of_node_dir, GError **errp)
{
    GError *err = NULL;
    void *blob = load_sysfs(of_node_dir, &err);

    if (!blob) {
        propagate_one_line(errp, err);
    }
    return blob;
}

/* ---- host_node_load_file ---- */

/* Copies node (properties and children, at most HOST_NODE_MAX_DEPTH deep) of src into the
 * sequential-write blob dst, inside the node dst has open. */
static bool sw_copy_node(const void *src, int node, void *dst, unsigned depth,
                         const char *path, GError **errp)
{
    int prop, child;

    if (depth > HOST_NODE_MAX_DEPTH) {
        g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADSTRUCTURE,
                    "%s: child nodes nested deeper than %d levels", path, HOST_NODE_MAX_DEPTH);
        return false;
    }
    fdt_for_each_property_offset(prop, src, node) {
        const char *name;
        int len;
        const void *val = fdt_getprop_by_offset(src, prop, &name, &len);
        if (!val) {
            return sw_check(len, path, errp);
        }
        if (!sw_check(fdt_property(dst, name, val, len), path, errp)) {
            return false;
        }
    }
    if (prop != -FDT_ERR_NOTFOUND) {
        return sw_check(prop, path, errp);
    }
    fdt_for_each_subnode(child, src, node) {
        if (!sw_check(fdt_begin_node(dst, fdt_get_name(src, child, NULL)), path, errp) ||
            !sw_copy_node(src, child, dst, depth + 1, path, errp) ||
            !sw_check(fdt_end_node(dst), path, errp)) {
            return false;
        }
    }
    if (child != -FDT_ERR_NOTFOUND) {
        return sw_check(child, path, errp);
    }
    return true;
}

/* Compiles device-tree source with dtc; returns the .dtb's bytes. */
static guint8 *dtc_compile(const char *path, size_t *len, GError **errp)
{
    g_autofree char *tmpdir = NULL;
    g_autofree char *out = NULL;
    g_autofree char *err_text = NULL;
    g_autoptr(GError) err = NULL;
    guint8 *data = NULL;
    int status = 0;

    tmpdir = g_dir_make_tmp("armpass-dtc-XXXXXX", errp);
    if (!tmpdir) {
        return NULL;
    }
    out = g_build_filename(tmpdir, "node.dtb", NULL);
    {
        /* -q: the warnings a lone node's source draws (no #address-cells above it...). */
        const char *argv[] = { "dtc", "-q", "-I", "dts", "-O", "dtb", "-o", out, "--", path,
                               NULL };
        if (!g_spawn_sync(NULL, (char **)argv, NULL,
                          G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                          &err_text, &status, &err)) {
            if (g_error_matches(err, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT)) {
                g_set_error(errp, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT,
                            "%s: compiling it needs dtc, which is not installed: install "
                            "device-tree-compiler (or give a .dtb)", path);
            } else {
                g_set_error(errp, err->domain, err->code, "%s: cannot run dtc: %s", path,
                            err->message);
            }
            rmdir(tmpdir);
            return NULL;
        }
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        g_auto(GStrv) lines = g_strsplit(err_text ? err_text : "", "\n", -1);
        const char *first = "";
        for (unsigned i = 0; lines[i]; i++) {
            if (*g_strstrip(lines[i])) {
                first = lines[i];
                break;
            }
        }
        g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADVALUE, "%s: dtc failed: %s", path,
                    *first ? first : "no message");
        unlink(out);
        rmdir(tmpdir);
        return NULL;
    }
    read_file_bounded(out, HOST_NODE_MAX_SIZE, &data, len, errp);
    unlink(out);
    rmdir(tmpdir);
    return data;
}

static void *load_blob(const void *data, size_t len, const char *path, GError **errp);

static void *load_file(const char *path, GError **errp)
{
    g_autofree guint8 *data = NULL;
    size_t len;

    if (!read_file_bounded(path, HOST_NODE_MAX_SIZE, &data, &len, errp)) {
        return NULL;
    }
    if (len < sizeof(fdt32_t) || fdt_cell_at(data, 0) != FDT_MAGIC) {
        g_autofree guint8 *dtb = dtc_compile(path, &len, errp);
        if (!dtb) {
            return NULL;
        }
        g_free(data);
        data = g_steal_pointer(&dtb);
    }
    return load_blob(data, len, path, errp);
}

void *host_node_load_file(const char *path, GError **errp)
{
    GError *err = NULL;
    void *blob = load_file(path, &err);

    if (!blob) {
        propagate_one_line(errp, err);
    }
    return blob;
}

static void *load_blob(const void *data, size_t len, const char *path, GError **errp)
{
    g_autofree void *fdt = NULL;
    const char *child_name = NULL;
    int node = 0, ret;

    if (len > HOST_NODE_MAX_SIZE) {
        g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_NOSPACE,
                    "%s: larger than %d bytes", path, HOST_NODE_MAX_SIZE);
        return NULL;
    }
    ret = fdt_check_untrusted(data, len);
    if (ret < 0) {
        g_set_error(errp, ARMPASS_FDT_ERROR, -ret, "%s: not a valid device tree blob: %s",
                    path, fdt_strerror(ret));
        return NULL;
    }
    if (!fdt_getprop(data, 0, "compatible", NULL)) {
        int child, nr = 0;
        fdt_for_each_subnode(child, data, 0) {
            node = child;
            nr++;
        }
        if (nr != 1) {
            g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_NOTFOUND,
                        "%s: no device node: the root has no compatible and %d child nodes "
                        "(want the device as the root or as its only child)", path, nr);
            return NULL;
        }
        child_name = fdt_get_name(data, node, NULL);
    }

    fdt = g_malloc0(HOST_NODE_MAX_SIZE);
    if (!sw_check(fdt_create(fdt, HOST_NODE_MAX_SIZE), path, errp) ||
        !sw_check(fdt_finish_reservemap(fdt), path, errp) ||
        !sw_check(fdt_begin_node(fdt, ""), path, errp)) {
        return NULL;
    }
    /* (unless the node names itself the same way) */
    if (child_name && !fdt_getprop(data, node, HOST_NODE_NAME_PROP, NULL) &&
        !sw_check(fdt_property_string(fdt, HOST_NODE_NAME_PROP, child_name), path, errp)) {
        return NULL;
    }
    if (!sw_copy_node(data, node, fdt, 0, path, errp) ||
        !sw_check(fdt_end_node(fdt), path, errp)) {
        return NULL;
    }
    return sw_finish(g_steal_pointer(&fdt), path, errp);
}

void *host_node_load_blob(const void *data, size_t len, const char *path, GError **errp)
{
    GError *err = NULL;
    void *blob = load_blob(data, len, path, &err);

    if (!blob) {
        propagate_one_line(errp, err);
    }
    return blob;
}

/* ---- host_dt_clock_rate ---- */

typedef struct PhandleWalk {
    uint32_t phandle;
    unsigned nodes;
    char *found;
} PhandleWalk;

static bool node_dir_phandle(const char *dir, uint32_t *phandle)
{
    static const char *const names[] = { "phandle", "linux,phandle" };

    for (unsigned i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree guint8 *val = NULL;
        size_t len;
        if (host_dt_read_prop(dir, names[i], 4, &val, &len, NULL) && len == 4) {
            *phandle = fdt_cell_at(val, 0);
            return true;
        }
    }
    return false;
}

static void phandle_walk(PhandleWalk *w, const char *dir, unsigned depth)
{
    uint32_t ph;
    const char *entry;
    GDir *d;

    if (w->found || depth > HOST_DT_WALK_MAX_DEPTH || ++w->nodes > HOST_DT_WALK_MAX_NODES) {
        return;
    }
    if (node_dir_phandle(dir, &ph) && ph == w->phandle) {
        w->found = g_strdup(dir);
        return;
    }
    d = g_dir_open(dir, 0, NULL);
    if (!d) {
        return;
    }
    while (!w->found && (entry = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(dir, entry, NULL);
        struct stat st;
        /* lstat: symlinks are not followed, so the walk cannot loop. */
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            phandle_walk(w, path, depth + 1);
        }
    }
    g_dir_close(d);
}

/* The folder of the host node with that phandle under base (g_free it). */
char *host_dt_find_phandle(const char *base, uint32_t phandle, GError **errp)
{
    PhandleWalk w = { .phandle = phandle };
    struct stat st;

    if (stat(base, &st) < 0 || !S_ISDIR(st.st_mode)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                    "host device tree %s: no such folder", base);
        return NULL;
    }
    phandle_walk(&w, base, 0);
    if (!w.found) {
        g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_NOTFOUND,
                    "no node with phandle 0x%" PRIx32 " under %s", phandle, base);
    }
    return w.found;
}

/* Reads clock-frequency of the host node folder dir, without the clock-rate= hint. */
bool host_dir_clock_rate(const char *dir, uint32_t *hz, GError **errp)
{
    g_autofree guint8 *val = NULL;
    g_autoptr(GError) err = NULL;
    uint64_t rate;
    size_t len;

    if (!host_dt_read_prop(dir, "clock-frequency", 8, &val, &len, &err)) {
        if (err) {
            g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADVALUE,
                        "host clock %s: %s", dir, err->message);
        } else {
            g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_NOTFOUND,
                        "host clock %s has no clock-frequency", dir);
        }
        return false;
    }
    if (len == 4) {
        rate = fdt_cell_at(val, 0);
    } else if (len == 8) {
        rate = ((uint64_t)fdt_cell_at(val, 0) << 32) | fdt_cell_at(val, 1);
    } else {
        g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADVALUE,
                    "host clock %s: clock-frequency is %zu bytes, not 4 or 8", dir, len);
        return false;
    }
    if (rate == 0 || rate > UINT32_MAX) {
        g_set_error(errp, ARMPASS_FDT_ERROR, FDT_ERR_BADVALUE,
                    "host clock %s: clock-frequency %" PRIu64 " Hz is out of range", dir,
                    rate);
        return false;
    }
    *hz = (uint32_t)rate;
    return true;
}

bool host_dt_clock_rate(const char *dt_base_dir, uint32_t phandle, uint32_t *hz, GError **errp)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = host_dt_find_phandle(dt_base_dir, phandle, &err);

    if (!dir || !host_dir_clock_rate(dir, hz, &err)) {
        g_set_error(errp, err->domain, err->code, "%s; give the rate with clock-rate=HZ",
                    err->message);
        return false;
    }
    return true;
}


const char *host_node_dma_reason(const void *blob)
{
    static const char *const props[] = { "dma-coherent", "#dma-cells", "dmas", "dma-ranges" };

    if (!blob) {
        return NULL;
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(props); i++) {
        if (fdt_getprop(blob, 0, props[i], NULL)) {
            return props[i];
        }
    }
    if (fdt_node_check_compatible(blob, 0, "virtio,mmio") == 0) {
        return "compatible virtio,mmio (a virtio device is a DMA master)";
    }
    return NULL;
}
