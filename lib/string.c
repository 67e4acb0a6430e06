/*
 * string.c: memory and string functions for freestanding code.
 * GCC may emit calls to memcpy, memmove, memset and memcmp by itself (for
 * struct copies, for example), so every freestanding binary links these.
 *
 * memcpy and memset use the string instructions (REP MOVS, REP STOS) a word
 * at a time: CPUs and emulators run them far faster than a byte loop (the
 * hypervisor clears megabytes of guest RAM; Bochs counts each repetition
 * as an instruction, so wider steps are fewer).
 */
#include "string.h"

/* The widest string step this build has: 8 bytes in 64-bit code, 4 in 32-bit. */
#if __SIZEOF_POINTER__ == 8
#define WORD_SUFFIX "q"
#else
#define WORD_SUFFIX "l"
#endif
#define WORD sizeof(unsigned long)

void *memcpy(void *dst, const void *src, size_t n)
{
    void *d = dst;
    size_t words = n / WORD, bytes = n % WORD;
    __asm__ volatile("rep movs" WORD_SUFFIX : "+D"(d), "+S"(src), "+c"(words) : : "memory");
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(bytes) : : "memory");
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d < s)
        return memcpy(dst, src, n);
    while (n--)
        d[n] = s[n];
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    void *d = dst;
    unsigned long pattern = (unsigned char)c * (~0ul / 0xFF);   /* c in every byte */
    size_t words = n / WORD, bytes = n % WORD;
    __asm__ volatile("rep stos" WORD_SUFFIX : "+D"(d), "+c"(words) : "a"(pattern) : "memory");
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(bytes) : "a"(pattern) : "memory");
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            return 0;
    }
    return 0;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return NULL;
    }
}
