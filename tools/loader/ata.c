/*
 * ata.c: read sectors from the boot disk with ATA PIO.
 * CPU mode: 32-bit protected mode, interrupts off, so the driver polls
 * the status register instead of waiting for IRQ 14.
 *
 * The boot disk is the master device of the primary ATA channel (command
 * block at ports 0x1F0-0x1F7, control block at 0x3F6), which is where
 * Bochs (ata0-master) and QEMU (-drive if=ide, the first one) attach it;
 * main.c checks that this disk really is the one the BIOS booted from.
 *
 * Why not the BIOS? INT 13h works only in real mode and into buffers
 * below 1 MiB, so every 64 KiB would cost a mode switch and a copy. PIO
 * reads land straight at any 32-bit address, which makes an image of many
 * MiB load in a fraction of a second under an emulator.
 *
 * Commands and identify words are those of the ATA/ATAPI standard (T13):
 * IDENTIFY DEVICE (ECh), SET MULTIPLE MODE (C6h), READ MULTIPLE (C4h) and
 * READ MULTIPLE EXT (29h), READ SECTORS (20h) and READ SECTORS EXT (24h).
 */
#include "ata.h"
#include "layout.h"
#include "panic.h"
#include "x86io.h"
#include <stdbool.h>

enum {
    ATA_DATA = 0x1F0,
    ATA_ERROR = 0x1F1,
    ATA_SECTOR_COUNT = 0x1F2,
    ATA_LBA_LOW = 0x1F3,
    ATA_LBA_MID = 0x1F4,
    ATA_LBA_HIGH = 0x1F5,
    ATA_DEVICE = 0x1F6,
    ATA_STATUS = 0x1F7,             /* read */
    ATA_COMMAND = 0x1F7,            /* write */
    ATA_CONTROL = 0x3F6,            /* write: device control; read: alternate status */
};

enum {
    STATUS_ERR = 0x01,
    STATUS_DRQ = 0x08,              /* the device has data for us */
    STATUS_DF = 0x20,               /* device fault */
    STATUS_BSY = 0x80,
    CONTROL_NIEN = 0x02,            /* no interrupts: we poll */
    DEVICE_MASTER_LBA = 0xE0,       /* bit 6: LBA; bits 7 and 5: obsolete, set */
};

enum {
    CMD_READ_SECTORS = 0x20,
    CMD_READ_SECTORS_EXT = 0x24,
    CMD_READ_MULTIPLE_EXT = 0x29,
    CMD_READ_MULTIPLE = 0xC4,
    CMD_SET_MULTIPLE_MODE = 0xC6,
    CMD_IDENTIFY_DEVICE = 0xEC,
};

#define LBA28_LIMIT     (1u << 28)
#define CHUNK_SECTORS   256          /* the most one LBA28 command can read */
#define SPIN_LIMIT      20000000     /* status polls before we call the disk dead */

static struct {
    uint64_t sectors;                /* capacity */
    bool lba48;                      /* 48-bit LBA commands available */
    uint32_t multiple;               /* sectors per DRQ block; 1: READ SECTORS */
} disk;

/* ATA requires 400 ns between writing the command and trusting the status
 * register; four reads of the alternate status take at least that long. */
/*
 * Data blocks are read 32 bits at a time. The ATA data register is 16 bits
 * wide, but PC IDE controllers (and Bochs and QEMU) split a 32-bit access
 * into two 16-bit transfers. Half the port accesses makes the payload load
 * about 30% faster under Bochs, where each one is a device emulation call.
 * (lib/x86io.h has only insw; IDENTIFY data, read once, uses that. If a
 * controller mangled 32-bit reads, main.c's comparison of LBA 0 with the
 * boot sector in memory would stop the boot.)
 */
static inline void insl(uint16_t port, void *buf, size_t count)
{
    __asm__ volatile("rep insl" : "+D"(buf), "+c"(count) : "d"(port) : "memory");
}

static void wait_400ns(void)
{
    for (int i = 0; i < 4; i++)
        inb(ATA_CONTROL);
}

static uint8_t wait_not_busy(const char *doing)
{
    for (uint32_t i = 0; i < SPIN_LIMIT; i++) {
        uint8_t status = inb(ATA_STATUS);
        if (!(status & STATUS_BSY))
            return status;
    }
    panic("ATA disk stays busy while %s: is the boot disk the IDE primary master?", doing);
}

/* Wait for the next data block of a read (DRQ), or for its error. */
static void wait_for_data(uint64_t lba)
{
    uint8_t status = wait_not_busy("reading");
    if (status & (STATUS_ERR | STATUS_DF))
        panic("ATA read error at LBA %llu (status 0x%02x, error 0x%02x): "
              "is the image complete? rebuild it with tools/mkimage.py",
              (unsigned long long)lba, status, inb(ATA_ERROR));
    if (!(status & STATUS_DRQ))
        panic("ATA disk sent no data for LBA %llu (status 0x%02x)",
              (unsigned long long)lba, status);
}

/* Load the task-file registers for a transfer of `count` sectors. LBA48
 * writes each register twice, high byte first (the "previous" content). */
static void write_taskfile(uint64_t lba, uint32_t count, bool ext)
{
    outb(ATA_DEVICE, DEVICE_MASTER_LBA | (ext ? 0 : (uint8_t)((lba >> 24) & 0x0F)));
    wait_400ns();
    if (ext) {
        outb(ATA_SECTOR_COUNT, (uint8_t)(count >> 8));
        outb(ATA_LBA_LOW, (uint8_t)(lba >> 24));
        outb(ATA_LBA_MID, (uint8_t)(lba >> 32));
        outb(ATA_LBA_HIGH, (uint8_t)(lba >> 40));
    }
    outb(ATA_SECTOR_COUNT, (uint8_t)count);   /* 0 means 256 (LBA28) */
    outb(ATA_LBA_LOW, (uint8_t)lba);
    outb(ATA_LBA_MID, (uint8_t)(lba >> 8));
    outb(ATA_LBA_HIGH, (uint8_t)(lba >> 16));
}

static void issue_command(uint8_t command)
{
    outb(ATA_COMMAND, command);
    wait_400ns();
}

/* IDENTIFY DEVICE: 256 words describing the disk. A missing device reads
 * as status 0x00 or 0xFF (nothing drives the bus); an ATAPI or SATA
 * device aborts the command and leaves its signature in LBA mid/high. */
static void identify_disk(uint16_t id[256])
{
    outb(ATA_CONTROL, CONTROL_NIEN);
    outb(ATA_DEVICE, DEVICE_MASTER_LBA);
    wait_400ns();
    uint8_t status = inb(ATA_STATUS);
    if (status == 0x00 || status == 0xFF)
        panic("no disk on the primary ATA channel (status 0x%02x): "
              "attach the image as IDE primary master", status);
    write_taskfile(0, 0, false);
    issue_command(CMD_IDENTIFY_DEVICE);
    status = wait_not_busy("identifying");
    if (inb(ATA_LBA_MID) || inb(ATA_LBA_HIGH) || (status & STATUS_ERR))
        panic("primary ATA master is not an ATA disk (ATAPI/SATA signature %02x%02x): "
              "attach the image as an IDE hard disk", inb(ATA_LBA_HIGH), inb(ATA_LBA_MID));
    if (!(status & STATUS_DRQ))
        panic("ATA disk sent no IDENTIFY data (status 0x%02x)", status);
    insw(ATA_DATA, id, 256);
}

/* SET MULTIPLE MODE: one DRQ block (so one status poll) per `sectors`
 * sectors instead of per sector. Returns false if the disk refused. */
static bool set_multiple_mode(uint32_t sectors)
{
    write_taskfile(0, sectors, false);
    issue_command(CMD_SET_MULTIPLE_MODE);
    return !(wait_not_busy("setting multiple mode") & (STATUS_ERR | STATUS_DF));
}

void ata_init(void)
{
    uint16_t id[256];
    identify_disk(id);

    if (!(id[49] & (1 << 9)))                     /* word 49 bit 9: LBA */
        panic("ATA disk does not support LBA addressing");
    disk.lba48 = id[83] & (1 << 10);              /* word 83 bit 10: 48-bit */
    if (disk.lba48)
        disk.sectors = (uint64_t)id[100] | (uint64_t)id[101] << 16 |
                       (uint64_t)id[102] << 32 | (uint64_t)id[103] << 48;
    else
        disk.sectors = (uint32_t)id[60] | (uint32_t)id[61] << 16;

    uint32_t max_multiple = id[47] & 0xFF;        /* word 47: sectors per block */
    disk.multiple = 1;
    if (max_multiple > 1 && set_multiple_mode(max_multiple))
        disk.multiple = max_multiple;
}

static uint8_t read_command(bool ext)
{
    if (disk.multiple > 1)
        return ext ? CMD_READ_MULTIPLE_EXT : CMD_READ_MULTIPLE;
    return ext ? CMD_READ_SECTORS_EXT : CMD_READ_SECTORS;
}

/* One command: `count` (1..CHUNK_SECTORS) sectors, in DRQ blocks of
 * disk.multiple sectors (the last block may be shorter). */
static uint8_t *read_chunk(uint64_t lba, uint32_t count, uint8_t *dst)
{
    bool ext = lba + count > LBA28_LIMIT;
    write_taskfile(lba, count, ext);
    issue_command(read_command(ext));
    for (uint32_t done = 0; done < count;) {
        uint32_t block = count - done < disk.multiple ? count - done : disk.multiple;
        wait_for_data(lba + done);
        insl(ATA_DATA, dst, block * (SECTOR_SIZE / 4));
        dst += block * SECTOR_SIZE;
        done += block;
    }
    if (wait_not_busy("finishing a read") & (STATUS_ERR | STATUS_DF))
        panic("ATA read error after LBA %llu", (unsigned long long)lba);
    return dst;
}

void ata_read(uint64_t lba, uint32_t count, void *dst)
{
    if (lba + count > disk.sectors)
        panic("disk has %llu sectors, but the image needs sectors %llu-%llu: "
              "was the image truncated?", (unsigned long long)disk.sectors,
              (unsigned long long)lba, (unsigned long long)(lba + count - 1));
    if (lba + count > LBA28_LIMIT && !disk.lba48)
        panic("disk lacks 48-bit LBA, needed to read past sector %u", LBA28_LIMIT);
    uint8_t *p = dst;
    while (count) {
        uint32_t n = count < CHUNK_SECTORS ? count : CHUNK_SECTORS;
        p = read_chunk(lba, n, p);
        lba += n;
        count -= n;
    }
}
