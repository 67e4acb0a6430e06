/*
 * pc_firmware.c: the BIOS Data Area, the EBDA, the MP tables and ACPI's
 * tables in a guest's low memory (64-bit, VMX root). See pc_firmware.h.
 *
 * References: the MultiProcessor Specification 1.4 (chapter 4: the
 * floating pointer, the configuration table and its entries; 4.1: where a
 * kernel searches); ACPI 6.x, 5.2.5 (RSDP: "RSD PTR ", in the first KiB of
 * the EBDA or 0xE0000-0xFFFFF, 16-byte aligned), 5.2.7-5.2.8 (RSDT, XSDT),
 * 5.2.12 (MADT: Processor Local APIC, I/O APIC, Interrupt Source Override,
 * Local APIC NMI). Every table's bytes sum to 0.
 */
#include "guest/pc_firmware.h"
#include "cpu/panic.h"
#include "string.h"
#include "x86/x86.h"

#define BDA                0x400u
#define BDA_COM1           0x400u   /* I/O port of COM1 (word) */
#define BDA_EQUIPMENT      0x410u   /* equipment list (word) */
#define BDA_BASE_MEMORY    0x413u   /* KiB of base memory (word) */
#define BDA_EBDA_SEGMENT   0x40Eu   /* the EBDA's real-mode segment (word) */
#define EQUIPMENT_ONE_SERIAL (1u << 9)   /* bits 11:9: number of serial ports */
#define EQUIPMENT_80X25_COLOR (2u << 4)  /* bits 5:4: the initial video mode */
/* The video BIOS's fields after it set text mode 3 (IBM PC/AT BIOS
 * technical reference, "Video Display Data Area"): where a kernel finds the
 * CRTC's ports and the screen's size before it drives the screen. The
 * cursor positions (0x450) stay 0: the top left, the screen blank. */
#define BDA_VIDEO_MODE     0x449u   /* byte */
#define BDA_VIDEO_COLUMNS  0x44Au   /* word */
#define BDA_VIDEO_PAGE_SIZE 0x44Cu  /* word: bytes a page */
#define BDA_CURSOR_SHAPE   0x460u   /* word: start and end scan lines */
#define BDA_CRTC_PORT      0x463u   /* word: 0x3D4 colour, 0x3B4 mono */
#define BDA_VIDEO_ROWS     0x484u   /* byte: rows minus one */
#define BDA_CHAR_HEIGHT    0x485u   /* word: scan lines a character */
#define EBDA_KIB           1u

#define MP_FLOATING        (PC_EBDA_BASE + 0x10)
#define MP_CONFIG          (PC_EBDA_BASE + 0x20)
#define RSDP_AT            PC_BIOS_AREA
#define RSDT_AT            (PC_BIOS_AREA + 0x40)
#define XSDT_AT            (PC_BIOS_AREA + 0x80)
#define MADT_AT            (PC_BIOS_AREA + 0x100)
#define FACS_AT            (PC_BIOS_AREA + 0x180)   /* 64-byte aligned (ACPI 5.2.10) */
#define FADT_AT            (PC_BIOS_AREA + 0x200)
#define DSDT_AT            (PC_BIOS_AREA + 0x300)
#define BIOS_AREA_END      0x100000u

#define ISA_IRQS           16

/* ---- the MP tables (MP spec 1.4, chapter 4) ---- */

struct mp_floating {
    char signature[4];              /* "_MP_" */
    uint32_t config;                /* the configuration table's physical address */
    uint8_t length;                 /* in 16-byte units: 1 */
    uint8_t revision;               /* 4: version 1.4 */
    uint8_t checksum;
    uint8_t feature[5];             /* [0] 0: a table is there; [1] bit 7 0: virtual wire */
} __attribute__((packed));

struct mp_config {
    char signature[4];              /* "PCMP" */
    uint16_t length;                /* the base table, header and entries */
    uint8_t revision;
    uint8_t checksum;
    char oem[8], product[12];
    uint32_t oem_table;
    uint16_t oem_table_size, entries;
    uint32_t lapic;                 /* the local APICs' address */
    uint16_t extended_length;
    uint8_t extended_checksum, reserved;
} __attribute__((packed));

struct mp_processor {
    uint8_t type, apic_id, apic_version, flags;    /* type 0; flags: enabled, bootstrap */
    uint32_t signature, features;
    uint32_t reserved[2];
} __attribute__((packed));

struct mp_bus {
    uint8_t type, bus_id;           /* type 1 */
    char name[6];                   /* "ISA   " */
} __attribute__((packed));

struct mp_ioapic {
    uint8_t type, id, version, flags;   /* type 2; flags: enabled */
    uint32_t address;
} __attribute__((packed));

struct mp_interrupt {
    uint8_t type, kind;             /* type 3 (I/O APIC) or 4 (local); kind: INT 0, NMI 1, ExtINT 3 */
    uint16_t flags;                 /* 0: as the bus says (ISA: edge, active high) */
    uint8_t bus, irq, dest_apic, dest_pin;
} __attribute__((packed));

enum { MP_PROCESSOR, MP_BUS, MP_IOAPIC, MP_IO_INTERRUPT, MP_LOCAL_INTERRUPT };
enum { MP_INT, MP_NMI, MP_SMI, MP_EXTINT };

struct mp_tables {
    struct mp_config header;
    struct mp_processor cpu;
    struct mp_bus bus;
    struct mp_ioapic ioapic;
    struct mp_interrupt interrupts[ISA_IRQS - 1 + 2];   /* the ISA IRQs but 2 (the cascade); LINT0, LINT1 */
} __attribute__((packed));

_Static_assert(sizeof(struct mp_floating) == 16, "MP floating pointer: 16 bytes");
_Static_assert(sizeof(struct mp_config) == 44, "MP configuration table header: 44 bytes");
_Static_assert(sizeof(struct mp_processor) == 20 && sizeof(struct mp_bus) == 8 &&
               sizeof(struct mp_ioapic) == 8 && sizeof(struct mp_interrupt) == 8, "MP entries");
_Static_assert(MP_CONFIG + sizeof(struct mp_tables) <= PC_EBDA_BASE + EBDA_KIB * 1024,
               "the MP tables fit in the EBDA's KiB");

/* ---- ACPI (6.x, 5.2) ---- */

struct acpi_rsdp {
    char signature[8];              /* "RSD PTR " */
    uint8_t checksum;               /* of the first 20 bytes */
    char oem[6];
    uint8_t revision;               /* 2: the XSDT's address follows */
    uint32_t rsdt;
    uint32_t length;                /* 36 */
    uint64_t xsdt;
    uint8_t extended_checksum;      /* of all 36 */
    uint8_t reserved[3];
} __attribute__((packed));

struct acpi_header {
    char signature[4];
    uint32_t length;
    uint8_t revision, checksum;
    char oem[6], oem_table[8];
    uint32_t oem_revision;
    char creator[4];
    uint32_t creator_revision;
} __attribute__((packed));

struct madt_lapic { uint8_t type, length, processor, apic_id; uint32_t flags; } __attribute__((packed));
struct madt_ioapic { uint8_t type, length, id, reserved; uint32_t address, gsi_base; } __attribute__((packed));
struct madt_override { uint8_t type, length, bus, source; uint32_t gsi; uint16_t flags; } __attribute__((packed));
struct madt_lapic_nmi { uint8_t type, length, processor; uint16_t flags; uint8_t lint; } __attribute__((packed));

struct madt {
    struct acpi_header header;
    uint32_t lapic;
    uint32_t flags;                 /* PCAT_COMPAT: 8259As there too */
    struct madt_lapic cpu;
    struct madt_ioapic ioapic;
    struct madt_override irq0;      /* ISA IRQ 0 on GSI 2 */
    struct madt_lapic_nmi nmi;      /* LINT1 of every processor: NMI */
} __attribute__((packed));

enum { MADT_LAPIC, MADT_IOAPIC, MADT_OVERRIDE, MADT_NMI_SOURCE, MADT_LAPIC_NMI };
#define MADT_PCAT_COMPAT 1u
#define MADT_ENABLED     1u
#define ACPI_ALL_PROCESSORS 0xFF

struct acpi_rsdt { struct acpi_header header; uint32_t entry[2]; } __attribute__((packed));
struct acpi_xsdt { struct acpi_header header; uint64_t entry[2]; } __attribute__((packed));

/* The FADT as ACPI 1.0 laid it out (revision 1, 116 bytes; 5.2.9): what a
 * kernel needs to find the DSDT and to power off, no more. No SMI command
 * port: the machine is in ACPI mode from the start (SCI_EN reads 1). */
struct acpi_fadt {
    struct acpi_header header;
    uint32_t facs, dsdt;
    uint8_t int_model, pm_profile;
    uint16_t sci_int;
    uint32_t smi_cmd;
    uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
    uint32_t pm1a_evt, pm1b_evt, pm1a_cnt, pm1b_cnt, pm2_cnt, pm_tmr, gpe0, gpe1;
    uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len, gpe0_len, gpe1_len, gpe1_base, cst_cnt;
    uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
    uint8_t duty_offset, duty_width, day_alarm, month_alarm, century;
    uint16_t iapc_boot_arch;
    uint8_t reserved;
    uint32_t flags;
} __attribute__((packed));

#define FADT_C2_NONE   101      /* a latency above 100 us: no C2 (5.2.9) */
#define FADT_C3_NONE   1001     /* above 1000 us: no C3 */
#define FADT_WBINVD    (1u << 0)
#define FADT_PROC_C1   (1u << 2)
#define FADT_PWR_BUTTON (1u << 4)    /* no fixed-feature power button */
#define FADT_SLP_BUTTON (1u << 5)
#define BOOT_ARCH_LEGACY_DEVICES 1u

struct acpi_facs {
    char signature[4];              /* "FACS": no checksum */
    uint32_t length;                /* 64 */
    uint32_t hardware_signature, waking_vector, global_lock, flags;
    uint8_t reserved[40];
} __attribute__((packed));

/* The DSDT's AML (ACPI 20.2): Name (_S5, Package (4) { 5, 5, 0, 0 }), the
 * soft-off state's SLP_TYPa and SLP_TYPb. */
static const uint8_t dsdt_aml[] = {
    0x08, '_', 'S', '5', '_',       /* NameOp, NameSeg */
    0x12, 0x08, 0x04,               /* PackageOp, PkgLength 8, NumElements 4 */
    0x0A, PC_SLP_TYP_S5, 0x0A, PC_SLP_TYP_S5, 0x00, 0x00,   /* BytePrefix 5, BytePrefix 5, Zero, Zero */
};

_Static_assert(sizeof(struct acpi_rsdp) == 36 && sizeof(struct acpi_header) == 36 &&
               sizeof(struct acpi_fadt) == 116 && sizeof(struct acpi_facs) == 64, "ACPI sizes");
_Static_assert(RSDP_AT + sizeof(struct acpi_rsdp) <= RSDT_AT && RSDT_AT + sizeof(struct acpi_rsdt) <= XSDT_AT &&
               XSDT_AT + sizeof(struct acpi_xsdt) <= MADT_AT && MADT_AT + sizeof(struct madt) <= FACS_AT &&
               FACS_AT + sizeof(struct acpi_facs) <= FADT_AT && FADT_AT + sizeof(struct acpi_fadt) <= DSDT_AT &&
               DSDT_AT + sizeof(struct acpi_header) + sizeof(dsdt_aml) <= BIOS_AREA_END,
               "the ACPI tables do not overlap");

/* The byte that makes n bytes sum to 0 (the field itself 0 first). */
static uint8_t checksum(const void *p, size_t n)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += ((const uint8_t *)p)[i];
    return (uint8_t)-sum;
}

static void *place(struct guest *g, uint32_t gpa, size_t len)
{
    void *p = guest_ptr(g, gpa, len);
    if (!p)
        panic("pc_firmware: 0x%x-0x%lx is outside the guest's RAM", gpa, gpa + len);
    memset(p, 0, len);
    return p;
}

static void put16(struct guest *g, uint32_t gpa, uint16_t v)
{
    memcpy(guest_ptr(g, gpa, 2), &v, 2);
}

static void write_bda(struct guest *g)
{
    put16(g, BDA_COM1, 0x3F8);
    put16(g, BDA_EQUIPMENT, EQUIPMENT_ONE_SERIAL | EQUIPMENT_80X25_COLOR);
    *(uint8_t *)guest_ptr(g, BDA_VIDEO_MODE, 1) = 3;
    put16(g, BDA_VIDEO_COLUMNS, 80);
    put16(g, BDA_VIDEO_PAGE_SIZE, 0x1000);
    put16(g, BDA_CURSOR_SHAPE, 0x0607);
    put16(g, BDA_CRTC_PORT, 0x3D4);
    *(uint8_t *)guest_ptr(g, BDA_VIDEO_ROWS, 1) = 25 - 1;
    put16(g, BDA_CHAR_HEIGHT, 16);
    put16(g, BDA_BASE_MEMORY, PC_EBDA_BASE / 1024);
    put16(g, BDA_EBDA_SEGMENT, PC_EBDA_BASE >> 4);
    uint8_t *ebda = place(g, PC_EBDA_BASE, EBDA_KIB * 1024);
    ebda[0] = EBDA_KIB;             /* its first byte: its size in KiB */
}

static struct mp_interrupt mp_interrupt(uint8_t type, uint8_t kind, uint8_t irq, uint8_t apic, uint8_t pin)
{
    return (struct mp_interrupt){ .type = type, .kind = kind, .bus = 0, .irq = irq, .dest_apic = apic,
                                  .dest_pin = pin };
}

static void write_mp(struct guest *g)
{
    struct mp_tables *t = place(g, MP_CONFIG, sizeof(*t));
    struct cpuid_regs id = cpuid(1, 0);
    t->cpu = (struct mp_processor){ .type = MP_PROCESSOR, .apic_id = 0,
                                    .apic_version = PC_LAPIC_VERSION, .flags = 3,
                                    .signature = id.eax, .features = id.edx };
    t->bus = (struct mp_bus){ .type = MP_BUS, .bus_id = 0, .name = { 'I', 'S', 'A', ' ', ' ', ' ' } };
    t->ioapic = (struct mp_ioapic){ .type = MP_IOAPIC, .id = PC_IOAPIC_ID,
                                    .version = PC_IOAPIC_VERSION, .flags = 1,
                                    .address = PC_IOAPIC_BASE };
    unsigned n = 0;
    for (uint8_t irq = 0; irq < ISA_IRQS; irq++)
        if (irq != 2)
            t->interrupts[n++] = mp_interrupt(MP_IO_INTERRUPT, MP_INT, irq, PC_IOAPIC_ID,
                                              irq == 0 ? PC_IRQ0_PIN : irq);
    t->interrupts[n++] = mp_interrupt(MP_LOCAL_INTERRUPT, MP_EXTINT, 0, 0xFF, 0);
    t->interrupts[n++] = mp_interrupt(MP_LOCAL_INTERRUPT, MP_NMI, 0, 0xFF, 1);
    t->header = (struct mp_config){ .signature = { 'P', 'C', 'M', 'P' }, .length = sizeof(*t),
                                    .revision = 4, .oem = { 'H', 'V', 'L', 'A', 'B', ' ', ' ', ' ' },
                                    .product = { 'H', 'V', 'L', 'A', 'B', ' ', 'V', 'M', ' ', ' ', ' ', ' ' },
                                    .entries = (uint16_t)(3 + n),
                                    .lapic = PC_LAPIC_BASE };
    t->header.checksum = checksum(t, sizeof(*t));

    struct mp_floating *f = place(g, MP_FLOATING, sizeof(*f));
    *f = (struct mp_floating){ .signature = { '_', 'M', 'P', '_' }, .config = MP_CONFIG, .length = 1,
                               .revision = 4 };
    f->checksum = checksum(f, sizeof(*f));
}

static void acpi_header(struct acpi_header *h, const char *signature, uint32_t length, uint8_t revision)
{
    *h = (struct acpi_header){ .length = length, .revision = revision, .oem = { 'H', 'V', 'L', 'A', 'B', ' ' },
                               .oem_table = { 'H', 'V', 'L', 'A', 'B', 'V', 'M', ' ' }, .oem_revision = 1,
                               .creator = { 'H', 'V', 'L', 'B' }, .creator_revision = 1 };
    memcpy(h->signature, signature, 4);
}

static void write_acpi(struct guest *g)
{
    struct madt *m = place(g, MADT_AT, sizeof(*m));
    acpi_header(&m->header, "APIC", sizeof(*m), 3);
    m->lapic = PC_LAPIC_BASE;
    m->flags = MADT_PCAT_COMPAT;
    m->cpu = (struct madt_lapic){ MADT_LAPIC, sizeof(m->cpu), 0, 0, MADT_ENABLED };
    m->ioapic = (struct madt_ioapic){ MADT_IOAPIC, sizeof(m->ioapic), PC_IOAPIC_ID, 0,
                                      PC_IOAPIC_BASE, 0 };
    m->irq0 = (struct madt_override){ MADT_OVERRIDE, sizeof(m->irq0), 0, 0, PC_IRQ0_PIN, 0 };
    m->nmi = (struct madt_lapic_nmi){ MADT_LAPIC_NMI, sizeof(m->nmi), ACPI_ALL_PROCESSORS, 0, 1 };
    m->header.checksum = checksum(m, sizeof(*m));

    struct acpi_header *dsdt = place(g, DSDT_AT, sizeof(*dsdt) + sizeof(dsdt_aml));
    acpi_header(dsdt, "DSDT", sizeof(*dsdt) + sizeof(dsdt_aml), 1);
    memcpy(dsdt + 1, dsdt_aml, sizeof(dsdt_aml));
    dsdt->checksum = checksum(dsdt, dsdt->length);
    struct acpi_facs *facs = place(g, FACS_AT, sizeof(*facs));
    *facs = (struct acpi_facs){ .signature = { 'F', 'A', 'C', 'S' }, .length = sizeof(*facs) };
    struct acpi_fadt *f = place(g, FADT_AT, sizeof(*f));
    acpi_header(&f->header, "FACP", sizeof(*f), 1);
    f->facs = FACS_AT;
    f->dsdt = DSDT_AT;
    f->sci_int = PC_SCI_IRQ;
    f->pm1a_evt = PC_PM1A_EVT;
    f->pm1a_cnt = PC_PM1A_CNT;
    f->pm1_evt_len = 4;
    f->pm1_cnt_len = 2;
    f->p_lvl2_lat = FADT_C2_NONE;
    f->p_lvl3_lat = FADT_C3_NONE;
    f->iapc_boot_arch = BOOT_ARCH_LEGACY_DEVICES;
    f->flags = FADT_WBINVD | FADT_PROC_C1 | FADT_PWR_BUTTON | FADT_SLP_BUTTON;
    f->header.checksum = checksum(f, sizeof(*f));

    struct acpi_rsdt *r = place(g, RSDT_AT, sizeof(*r));
    acpi_header(&r->header, "RSDT", sizeof(*r), 1);
    r->entry[0] = MADT_AT;
    r->entry[1] = FADT_AT;
    r->header.checksum = checksum(r, sizeof(*r));
    struct acpi_xsdt *x = place(g, XSDT_AT, sizeof(*x));
    acpi_header(&x->header, "XSDT", sizeof(*x), 1);
    x->entry[0] = MADT_AT;
    x->entry[1] = FADT_AT;
    x->header.checksum = checksum(x, sizeof(*x));

    struct acpi_rsdp *p = place(g, RSDP_AT, sizeof(*p));
    *p = (struct acpi_rsdp){ .signature = { 'R', 'S', 'D', ' ', 'P', 'T', 'R', ' ' },
                             .oem = { 'H', 'V', 'L', 'A', 'B', ' ' }, .revision = 2, .rsdt = RSDT_AT,
                             .length = sizeof(*p), .xsdt = XSDT_AT };
    p->checksum = checksum(p, 20);
    p->extended_checksum = checksum(p, sizeof(*p));
}

void pc_firmware_write(struct guest *g, bool apics)
{
    write_bda(g);
    if (!apics)
        return;
    write_mp(g);
    write_acpi(g);
}
