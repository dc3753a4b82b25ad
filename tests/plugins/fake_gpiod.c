/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A stand-in for libgpiod v1 at the chip edge, preloaded (LD_PRELOAD) into
 * meterbox-agent by integration tests on a machine without a GPIO chip: the
 * gpio plugin runs unchanged down to its gpiod_* calls, which land here.
 * Every requested or set output is written to the file $MB_FAKE_GPIO_STATE
 * as "CHIP OFFSET VALUE" lines (the whole state, rewritten each time); an
 * input reads the value last written to the same offset.  Only the chip
 * named "fakechip" exists.  Not thread-safe beyond what the agent needs: one
 * bus thread drives the gpio meters.
 */
#include <errno.h>
#include <gpiod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINES 64

struct gpiod_chip {
        int open;
};
struct gpiod_line {
        int offset, requested, output, value;
};

static struct gpiod_chip chip;
static struct gpiod_line lines[LINES];

static void save(void)
{
        const char *path = getenv("MB_FAKE_GPIO_STATE");
        char tmp[4096];
        FILE *f;

        if (!path)
                return;
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        if (!(f = fopen(tmp, "w")))
                return;
        for (int i = 0; i < LINES; i++)
                if (lines[i].requested && lines[i].output)
                        fprintf(f, "fakechip %d %d\n", i, lines[i].value);
        fclose(f);
        rename(tmp, path);
}

struct gpiod_chip *gpiod_chip_open_lookup(const char *descr)
{
        if (!descr || strcmp(descr, "fakechip") != 0) {
                errno = ENOENT;
                return NULL;
        }
        chip.open = 1;
        return &chip;
}

void gpiod_chip_close(struct gpiod_chip *c)
{
        c->open = 0;
}

struct gpiod_line *gpiod_chip_get_line(struct gpiod_chip *c, unsigned int offset)
{
        if (!c->open || offset >= LINES) {
                errno = EINVAL;
                return NULL;
        }
        lines[offset].offset = (int)offset;
        return &lines[offset];
}

int gpiod_line_request_output(struct gpiod_line *line, const char *consumer, int value)
{
        line->requested = 1;
        line->output = 1;
        line->value = value;
        save();
        return 0;
}

int gpiod_line_request_input(struct gpiod_line *line, const char *consumer)
{
        line->requested = 1;
        line->output = 0;
        return 0;
}

int gpiod_line_set_value(struct gpiod_line *line, int value)
{
        line->value = value;
        save();
        return 0;
}

int gpiod_line_get_value(struct gpiod_line *line)
{
        return line->value;
}

void gpiod_line_release(struct gpiod_line *line)
{
        line->requested = 0;
}
