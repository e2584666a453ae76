// SPDX-License-Identifier: GPL-2.0-only
/* The HostOps backend that makes real system calls. */
#include "system/hostops.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int sys_open(void *o, const char *path, int flags)
{
    (void)o;
    return open(path, flags | O_CLOEXEC);
}
static int sys_close(void *o, int fd)
{
    (void)o;
    return close(fd);
}
static int sys_ioctl(void *o, int fd, unsigned long req, void *arg)
{
    (void)o;
    return ioctl(fd, req, arg);
}
static void *sys_mmap(void *o, void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    (void)o;
    return mmap(addr, len, prot, flags, fd, off);
}
static int sys_munmap(void *o, void *addr, size_t len)
{
    (void)o;
    return munmap(addr, len);
}
static ssize_t sys_pread(void *o, int fd, void *buf, size_t len, off_t off)
{
    (void)o;
    return pread(fd, buf, len, off);
}
static ssize_t sys_pwrite(void *o, int fd, const void *buf, size_t len, off_t off)
{
    (void)o;
    return pwrite(fd, buf, len, off);
}
static int sys_eventfd(void *o, unsigned int initval, int flags)
{
    (void)o;
    return eventfd(initval, flags | EFD_CLOEXEC);
}

static int sys_fstat(void *o, int fd, struct stat *st)
{
    (void)o;
    return fstat(fd, st);
}

const HostOps host_ops_system = {
    .open = sys_open,
    .close = sys_close,
    .ioctl = sys_ioctl,
    .mmap = sys_mmap,
    .munmap = sys_munmap,
    .pread = sys_pread,
    .pwrite = sys_pwrite,
    .eventfd = sys_eventfd,
    .fstat = sys_fstat,
};
