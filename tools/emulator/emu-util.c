/* awps-emulator: small helpers shared by every file. */
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>
#include <time.h>

#include "emu.h"

void emu_logf(const emu *e, const char *fmt, ...)
{
    va_list ap;

    if (e && !e->verbose)
        return;
    va_start(ap, fmt);
    flockfile(stderr);
    fputs("awps-emulator: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    funlockfile(stderr);
    va_end(ap);
}

int64_t emu_now_s(void)
{
    return (int64_t)time(NULL);
}

emu_hub *emu_hub_find(emu *e, const char *name)
{
    if (!e || !name)
        return NULL;
    for (size_t i = 0; i < e->n_hubs; i++)
        if (!strcasecmp(e->hubs[i]->name, name))
            return e->hubs[i];
    return NULL;
}
