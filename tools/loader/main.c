/*
 * main.c: stage2's C part, the loader's whole story in one function.
 * CPU mode: 32-bit protected mode, flat segments, paging off, interrupts
 * off. entry.S calls loader_main() after asking the BIOS what only it
 * knows (bios.h); from here on there is no BIOS, only the hardware.
 *
 *   1. check what entry.S found: the A20 gate, the memory map;
 *   2. find the boot disk on the primary ATA channel (ata.c);
 *   3. read the manifest, the payload's first 4 KiB, and check it;
 *   4. read the whole payload to the staging address, once that is known
 *      to be RAM out of the loader's way; the modules are now in place;
 *   5. inspect the kernel's staged copy (lib/mbimage.c), check where it goes,
 *      copy it there;
 *   6. build the Multiboot information (bootinfo.c) and enter the kernel.
 * Every failure is one "PANIC loader: ..." line on COM1 and a power-off.
 */
#include "ata.h"
#include "bios.h"
#include "bootinfo.h"
#include "mbimage.h"
#include "layout.h"
#include "manifest.h"
#include "memmap.h"
#include "panic.h"
#include "serial.h"
#include "string.h"

#define FOUR_GIB         0x100000000ull
#define REMEDY_MEMORY    "give the machine more memory (Bochs megs:, QEMU -m)"
#define REMEDY_REBUILD   "rebuild the image with tools/mkimage.py"

void loader_main(void);
_Noreturn void enter_kernel(uint32_t entry, uint32_t mbi);   /* entry.S */

static struct manifest manifest;        /* read once before staging the payload */
static uint8_t sector[SECTOR_SIZE];

static void check_bios_info(void)
{
    if (!bios_info.a20_on)
        panic("could not open the A20 gate (INT 15h AX=2401h, the 8042 and port 92h "
              "all failed): every odd MiB would alias the one below it");
    if (bios_info.e820_count == 0)
        panic("the BIOS gave no memory map (INT 15h EAX=E820h), which this loader "
              "needs: boot this machine with GRUB");
    if ((uint32_t)bios_info.conventional_kb * 1024 < HANDOFF_LIMIT ||
        !memmap_is_usable(STAGE2_ADDR, HANDOFF_LIMIT))
        panic("low memory 0x%x-0x%x, where this loader and the Multiboot information "
              "live, is not all RAM (INT 12h: %u KiB)", STAGE2_ADDR, HANDOFF_LIMIT,
              bios_info.conventional_kb);
}

/* The BIOS booted the disk whose sector 0 is at MBR_ADDR (boot.S never
 * writes to itself); ATA must be reading that same disk. */
static void check_boot_disk(void)
{
    ata_read(0, 1, sector);
    if (memcmp(sector, phys_to_ptr(MBR_ADDR), SECTOR_SIZE) != 0)
        panic("the disk on the primary ATA master is not the one the BIOS booted "
              "(drive 0x%02x): attach the image as the first IDE disk", bios_info.drive);
}

/* [start, end) must be RAM that the loader may overwrite. */
static void check_ram(const char *what, uint64_t start, uint64_t end, const char *remedy_low)
{
    if (start < LOADER_RESERVED_END)
        panic("%s (0x%08llx-0x%08llx) starts in the first MiB, which the BIOS and this "
              "loader use: %s", what, (unsigned long long)start, (unsigned long long)end,
              remedy_low);
    if (end > FOUR_GIB)
        panic("%s (0x%08llx-0x%08llx) does not end below 4 GiB: %s", what,
              (unsigned long long)start, (unsigned long long)end, REMEDY_REBUILD);
    if (!memmap_is_usable(start, end))
        panic("%s needs RAM at 0x%08llx-0x%08llx, but usable RAM there ends at "
              "0x%08llx (E820): %s", what, (unsigned long long)start,
              (unsigned long long)end, (unsigned long long)memmap_usable_end(start),
              REMEDY_MEMORY);
}

static void read_manifest(uint32_t lba)
{
    ata_read(lba, MANIFEST_SIZE / SECTOR_SIZE, &manifest);
    manifest_check(&manifest, lba);
}

/* Where the payload goes: whole sectors from the staging address. */
static uint64_t staging_end(void)
{
    uint32_t sectors = (manifest.payload_size + SECTOR_SIZE - 1) / SECTOR_SIZE;
    return manifest.staging_addr + (uint64_t)sectors * SECTOR_SIZE;
}

/* One long read straight to the staging address: no bounce buffers. */
static void stage_payload(uint32_t lba)
{
    uint64_t start = manifest.staging_addr, end = staging_end();
    check_ram("the staging area", start, end, REMEDY_REBUILD);
    ata_read(lba, (uint32_t)((end - start) / SECTOR_SIZE), phys_to_ptr(start));
}

/* Paging is off: a physical address is a pointer. */
static void place_physical(void *ctx, uint64_t paddr, const uint8_t *src, uint64_t filesz,
                           uint64_t memsz)
{
    (void)ctx;
    uint8_t *dst = phys_to_ptr(paddr);
    memcpy(dst, src, filesz);
    memset(dst + filesz, 0, memsz - filesz);
}

static void load_kernel(struct mb_image *k)
{
    uint64_t staged = manifest.staging_addr + (uint64_t)manifest.kernel_offset;
    if (!mbimage_inspect(k, phys_to_ptr(staged), manifest.kernel_size))
        panic("%s", k->error);
    check_ram("the kernel", k->start, k->end, "link the kernel at 1 MiB or above");
    if (k->start < staging_end() && manifest.staging_addr < k->end)
        panic("the kernel (0x%08llx-0x%08llx) overlaps the staging area "
              "(0x%08x-0x%08llx): " REMEDY_REBUILD ", which stages above the kernel",
              (unsigned long long)k->start, (unsigned long long)k->end,
              manifest.staging_addr, (unsigned long long)staging_end());
    mbimage_place(k, place_physical, NULL);
}

void loader_main(void)
{
    serial_init();
    check_bios_info();
    ata_init();
    check_boot_disk();

    uint32_t payload_lba = BOOT_FIELDS->payload_lba;
    read_manifest(payload_lba);
    stage_payload(payload_lba);

    struct mb_image kernel;
    load_kernel(&kernel);
    enter_kernel(kernel.entry, bootinfo_build(&manifest));
}
