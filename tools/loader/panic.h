/*
 * panic.h: the loader's one way to fail. The runner and the student both
 * read COM1, so a failure is a single line there,
 *     PANIC loader: <what is wrong and what to do>
 * followed by the power-off (lib/poweroff.c), never a hang.
 */
#pragma once

_Noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
