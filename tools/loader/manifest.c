/*
 * manifest.c: check the payload manifest that tools/mkimage.py wrote
 * (format in manifest.h). CPU mode: 32-bit protected mode.
 *
 * The manifest decides where the loader writes megabytes of memory, so
 * every field is checked against the others before any of it is used.
 * A corrupt or stale image gives one PANIC line naming the field.
 */
#include "manifest.h"
#include "panic.h"
#include "string.h"

#define REMEDY "rebuild the image with tools/mkimage.py"

/* [offset, offset + size) must lie inside the payload. */
static void check_file(const struct manifest *m, const char *what, uint32_t index,
                       uint32_t offset, uint32_t size)
{
    if ((uint64_t)offset + size > m->payload_size)
        panic("manifest is corrupt: %s %u (offset 0x%x, %u bytes) ends beyond the "
              "payload (%u bytes): " REMEDY, what, index, offset, size, m->payload_size);
    if (offset % MANIFEST_FILE_ALIGN)
        panic("manifest is corrupt: %s %u at offset 0x%x is not 4 KiB aligned: " REMEDY,
              what, index, offset);
}

/* A string must start in the string area and end (NUL) inside the manifest. */
static void check_string(const struct manifest *m, const char *what, uint32_t index,
                         uint32_t offset)
{
    if (offset < MANIFEST_STRINGS_OFFSET || offset >= MANIFEST_SIZE ||
        strnlen((const char *)m + offset, MANIFEST_SIZE - offset) == MANIFEST_SIZE - offset)
        panic("manifest is corrupt: the string of %s %u (offset 0x%x) is not a "
              "terminated string in the manifest's string area: " REMEDY, what, index, offset);
}

void manifest_check(const struct manifest *m, uint32_t lba)
{
    if (m->magic != MANIFEST_MAGIC)
        panic("no manifest at LBA %u (magic 0x%08x, expected 0x%08x \"HVLM\"): "
              "this disk was not made by tools/mkimage.py, or the boot sector and the "
              "payload come from different images", lba, m->magic, MANIFEST_MAGIC);
    if (m->version != MANIFEST_VERSION)
        panic("manifest version %u, but this loader reads version %u: "
              "rebuild the image with the tools/mkimage.py of this tree",
              m->version, MANIFEST_VERSION);
    if (m->module_count > MANIFEST_MAX_MODULES)
        panic("manifest is corrupt: %u modules, at most %u: " REMEDY,
              m->module_count, MANIFEST_MAX_MODULES);
    if (m->payload_size < MANIFEST_SIZE)
        panic("manifest is corrupt: payload of %u bytes is smaller than the manifest: " REMEDY,
              m->payload_size);
    if (m->staging_addr % MANIFEST_FILE_ALIGN)
        panic("manifest is corrupt: staging address 0x%08x is not 4 KiB aligned: " REMEDY,
              m->staging_addr);
    if (m->kernel_size == 0)
        panic("manifest is corrupt: the kernel is empty: " REMEDY);
    check_file(m, "kernel", 0, m->kernel_offset, m->kernel_size);
    check_string(m, "kernel", 0, m->cmdline);
    for (uint32_t i = 0; i < m->module_count; i++) {
        check_file(m, "module", i, m->modules[i].offset, m->modules[i].size);
        check_string(m, "module", i, m->modules[i].string);
    }
}

const char *manifest_string(const struct manifest *m, uint32_t offset)
{
    return (const char *)m + offset;
}
