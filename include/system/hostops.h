/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * HostOps: the one table through which armpass makes every call that touches the kernel's
 * KVM and VFIO interfaces (open, ioctl, mmap, pread/pwrite, eventfd). The real backend calls
 * the system; unit tests swap in a fake that serves canned data and fails on demand.
 */
#ifndef ARMPASS_SYSTEM_HOSTOPS_H
#define ARMPASS_SYSTEM_HOSTOPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

typedef struct HostOps {
    /* Each returns what the system call returns and sets errno as it would. */
    int (*open)(void *opaque, const char *path, int flags);
    int (*close)(void *opaque, int fd);
    int (*ioctl)(void *opaque, int fd, unsigned long request, void *arg);
    void *(*mmap)(void *opaque, void *addr, size_t len, int prot, int flags, int fd, off_t off);
    int (*munmap)(void *opaque, void *addr, size_t len);
    ssize_t (*pread)(void *opaque, int fd, void *buf, size_t len, off_t off);
    ssize_t (*pwrite)(void *opaque, int fd, const void *buf, size_t len, off_t off);
    int (*eventfd)(void *opaque, unsigned int initval, int flags);
    /* fstat(2): what a descriptor passed in by a manager (fd=) is. */
    int (*fstat)(void *opaque, int fd, struct stat *st);
    void *opaque;
} HostOps;

/* The backend that calls the real kernel. */
extern const HostOps host_ops_system;

static inline int host_ioctl(const HostOps *ops, int fd, unsigned long req, void *arg)
{
    return ops->ioctl(ops->opaque, fd, req, arg);
}

#endif
