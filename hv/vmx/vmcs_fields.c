/* vmcs_fields.c: printable names of the VMCS fields (vmcs_fields.h). Pure. */
#include <stddef.h>
#include "vmx/vmcs_fields.h"

const char *vmcs_field_name(unsigned encoding)
{
    switch (encoding) {
#define VMCS_FIELD_CASE(name, enc) case enc: return #name;
    VMCS_FIELD_LIST(VMCS_FIELD_CASE)
#undef VMCS_FIELD_CASE
    }
    return NULL;
}
