/*
 * test_pv_note.c: lib/pv_note.c, a PV kernel's ELF note (lib/pv_abi.h
 * section 3): found in a SHT_NOTE section or a PT_NOTE segment, among other
 * notes; each way the note can be wrong refused with its reason; a note cut
 * short, or tables past the file's end, read no byte beyond it.
 */
#include "unit.h"
#include "elf.h"
#include "pv_note.h"
#include <string.h>

static uint8_t file[4096];
static struct pv_elf_note note;
static const char *why;

#define NOTES_AT 0x200u

static int setup(void **state)
{
    (void)state;
    memset(file, 0, sizeof(file));
    memset(&note, 0, sizeof(note));
    why = NULL;
    return 0;
}

/* One note at off: returns the offset after it. */
static uint32_t put_note(uint32_t off, const char *name, uint32_t type, const void *desc, uint32_t descsz)
{
    uint32_t namesz = (uint32_t)strlen(name) + 1;
    uint32_t h[3] = { namesz, descsz, type };
    memcpy(file + off, h, 12);
    memcpy(file + off + 12, name, namesz);
    off += 12 + ((namesz + 3) & ~3u);
    memcpy(file + off, desc, descsz);
    return off + ((descsz + 3) & ~3u);
}

static uint32_t put_pv_note(uint32_t off, uint32_t version, uint32_t entry, uint32_t base)
{
    struct pv_elf_note n = { version, entry, base };
    return put_note(off, PV_NOTE_NAME, PV_NOTE_TYPE, &n, sizeof(n));
}

static struct elf32_ehdr *put_ehdr(void)
{
    struct elf32_ehdr eh = { .e_type = ET_EXEC, .e_machine = EM_386, .e_version = EV_CURRENT };
    memcpy(eh.e_ident, "\x7f" "ELF", 4);
    eh.e_ident[EI_CLASS] = ELFCLASS32;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    memcpy(file, &eh, sizeof(eh));
    return (struct elf32_ehdr *)file;
}

/* A section table at 0x100: the null section and a SHT_NOTE over [NOTES_AT, end). */
static void put_note_section(uint32_t end)
{
    struct elf32_ehdr *eh = put_ehdr();
    eh->e_shoff = 0x100, eh->e_shentsize = sizeof(struct elf32_shdr), eh->e_shnum = 2;
    struct elf32_shdr sh = { .sh_type = SHT_NOTE, .sh_offset = NOTES_AT, .sh_size = end - NOTES_AT };
    memcpy(file + 0x100 + sizeof(sh), &sh, sizeof(sh));
}

/* A program header table at 0x40: a PT_NOTE over [NOTES_AT, end). */
static void put_note_segment(uint32_t end)
{
    struct elf32_ehdr *eh = put_ehdr();
    eh->e_phoff = 0x40, eh->e_phentsize = sizeof(struct elf32_phdr), eh->e_phnum = 1;
    struct elf32_phdr ph = { .p_type = PT_NOTE, .p_offset = NOTES_AT, .p_filesz = end - NOTES_AT };
    memcpy(file + 0x40, &ph, sizeof(ph));
}

static enum pv_note_result find(void)
{
    return pv_note_find(file, sizeof(file), &note, &why);
}

static void test_found_in_a_section_after_other_notes(void **state)
{
    (void)state;
    uint32_t off = put_note(NOTES_AT, "GNU", 3, "\1\2\3\4\5\6\7", 7);      /* padded descriptor */
    off = put_note(off, "hvlab", 0x1234, "abcd", 4);                      /* our name, another type */
    off = put_note(off, "hvlabx", PV_NOTE_TYPE, "abcdefghijkl", 12);       /* another name */
    put_note_section(put_pv_note(off, PV_VERSION, 0xC0100028, PV_VIRT_BASE));
    assert_int_equal(find(), PV_NOTE_OK);
    assert_int_equal(note.entry, 0xC0100028);
    assert_int_equal(note.abi_version, PV_VERSION);
    assert_int_equal(note.virt_base, PV_VIRT_BASE);
}

static void test_found_in_a_segment(void **state)
{
    (void)state;
    put_note_segment(put_pv_note(NOTES_AT, PV_VERSION | 7, PV_VIRT_BASE, PV_VIRT_BASE));  /* a later minor */
    assert_int_equal(find(), PV_NOTE_OK);
    assert_int_equal(note.entry, PV_VIRT_BASE);
}

static void test_absent(void **state)
{
    (void)state;
    assert_int_equal(find(), PV_NOTE_ABSENT);                  /* not even ELF */
    assert_string_equal(why, "the kernel has no PV note (an ELF note \"hvlab\" of type 0x5056 in .note.hvlab)");
    put_note_section(put_note(NOTES_AT, "GNU", 3, "abcd", 4));
    assert_int_equal(find(), PV_NOTE_ABSENT);
    file[EI_CLASS] = ELFCLASS64;                               /* a PV kernel is ELF32 */
    put_pv_note(NOTES_AT, PV_VERSION, 0xC0100000, PV_VIRT_BASE);
    assert_int_equal(find(), PV_NOTE_ABSENT);
}

static void test_each_wrong_note_says_why(void **state)
{
    (void)state;
    put_note_section(put_pv_note(NOTES_AT, 2u << 16, 0xC0100000, PV_VIRT_BASE));
    assert_int_equal(find(), PV_NOTE_BAD);
    assert_string_equal(why, "the note's ABI version is not this hypervisor's (major 1)");
    put_note_section(put_pv_note(NOTES_AT, PV_VERSION, 0x80100000, 0x80000000));
    assert_int_equal(find(), PV_NOTE_BAD);
    assert_string_equal(why, "the note's virt_base is not 0xC0000000, the only base this hypervisor builds");
    put_note_section(put_pv_note(NOTES_AT, PV_VERSION, 0x00100000, PV_VIRT_BASE));
    assert_int_equal(find(), PV_NOTE_BAD);
    assert_string_equal(why, "the note's entry is not in the kernel's direct map (0xC0000000-0xFC000000)");
    put_note_section(put_pv_note(NOTES_AT, PV_VERSION, PV_HYPERVISOR_VIRT, PV_VIRT_BASE));
    assert_int_equal(find(), PV_NOTE_BAD);
    put_note_section(put_note(NOTES_AT, PV_NOTE_NAME, PV_NOTE_TYPE, "12345678", 8));
    assert_int_equal(find(), PV_NOTE_BAD);
    assert_string_equal(why, "the note's descriptor is not 12 bytes (abi_version, entry, virt_base)");
}

/* A note whose sizes run past its section, and tables past the file: no
 * byte outside is read (ASan in the fuzzer; here, what is found). */
static void test_cut_short_and_out_of_bounds(void **state)
{
    (void)state;
    uint32_t end = put_pv_note(NOTES_AT, PV_VERSION, 0xC0100000, PV_VIRT_BASE);
    put_note_section(end - 4);                                 /* the descriptor's last word cut */
    assert_int_equal(find(), PV_NOTE_ABSENT);
    uint32_t huge = 0xFFFFFFF0u;
    memcpy(file + NOTES_AT, &huge, 4);                         /* namesz near 2^32: no wrap */
    put_note_section(end);
    assert_int_equal(find(), PV_NOTE_ABSENT);
    struct elf32_ehdr *eh = put_ehdr();
    eh->e_shoff = sizeof(file) - 8;                            /* the table past the end */
    eh->e_phoff = 0xFFFFFFF0u, eh->e_phentsize = sizeof(struct elf32_phdr), eh->e_phnum = 2;
    assert_int_equal(find(), PV_NOTE_ABSENT);
    assert_int_equal(pv_note_find(file, 20, &note, &why), PV_NOTE_ABSENT);   /* shorter than a header */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_found_in_a_section_after_other_notes, setup),
        cmocka_unit_test_setup(test_found_in_a_segment, setup),
        cmocka_unit_test_setup(test_absent, setup),
        cmocka_unit_test_setup(test_each_wrong_note_says_why, setup),
        cmocka_unit_test_setup(test_cut_short_and_out_of_bounds, setup),
    };
    return RUN_UNIT_TESTS("pv_note", tests);
}
