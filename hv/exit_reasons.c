/* exit_reasons.c: names of the basic exit reasons (exit_reasons.h). Pure. */
#include "exit_reasons.h"

const char *exit_reason_name(unsigned basic_reason)
{
    switch (basic_reason) {
#define EXIT_REASON_CASE(name, num, text) case num: return text;
    EXIT_REASON_LIST(EXIT_REASON_CASE)
#undef EXIT_REASON_CASE
    }
    return "unknown exit reason";
}
