/* Status names and descriptions, generated from GM_STATUS_TABLE so the enum, the
 * names and the texts cannot drift apart. */
#include "core.h"

#include "gapmap_version.h"

const char *gm_status_name(gm_status status)
{
    switch (status) {
#define GM__STATUS_NAME(name, value, text) \
    case name:                             \
        return #name;
        GM_STATUS_TABLE(GM__STATUS_NAME)
#undef GM__STATUS_NAME
    }
    return "GM_UNKNOWN";
}

const char *gm_status_str(gm_status status)
{
    switch (status) {
#define GM__STATUS_TEXT(name, value, text) \
    case name:                             \
        return text;
        GM_STATUS_TABLE(GM__STATUS_TEXT)
#undef GM__STATUS_TEXT
    }
    return "unknown status";
}

const char *gm_version(void)
{
    return GAPMAP_VERSION_STRING;
}
