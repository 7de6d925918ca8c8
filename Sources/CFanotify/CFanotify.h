// fanotify and file handles for Swift: <sys/fanotify.h> is not part of Swift's Glibc module, and `name_to_handle_at`
// takes a `struct file_handle` with a flexible array Swift cannot build, so each gets a small typed wrapper.
#ifndef VIGIL_CFANOTIFY_H
#define VIGIL_CFANOTIFY_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/statfs.h>

static inline int vigil_fanotify_init(unsigned int flags, unsigned int event_flags) { return fanotify_init(flags, event_flags); }

static inline int vigil_fanotify_mark(int descriptor, unsigned int flags, uint64_t mask, const char *path) {
    return fanotify_mark(descriptor, flags, mask, AT_FDCWD, path);
}

/// Writes `path`'s file handle as the kernel reports it in a fanotify FID record (bytes count, type, bytes) into
/// `out` (at most `capacity` bytes) and its filesystem id into `fsid`; returns the bytes written, or -1.
static inline int vigil_directory_handle(const char *path, unsigned char *out, int capacity, int32_t fsid[2]) {
    struct {
        struct file_handle head;
        unsigned char bytes[128];
    } handle;
    handle.head.handle_bytes = sizeof(handle.bytes);
    int mount = 0;
    if (name_to_handle_at(AT_FDCWD, path, &handle.head, &mount, 0) != 0) return -1;
    struct statfs info;
    if (statfs(path, &info) != 0) return -1;
    memcpy(fsid, &info.f_fsid, 8);
    int total = 8 + (int)handle.head.handle_bytes;
    if (total > capacity) return -1;
    memcpy(out, &handle.head.handle_bytes, 4);
    memcpy(out + 4, &handle.head.handle_type, 4);
    memcpy(out + 8, handle.head.f_handle, handle.head.handle_bytes);
    return total;
}

#endif
