/* SPDX-License-Identifier: Apache-2.0 */
#include "ctl_width.h"

#include <string.h>

/* East Asian Wide (W) and Fullwidth (F) blocks, UAX #11, ascending. */
static const uint32_t wide[][2] = {
    {0x1100, 0x115F}, /* Hangul Jamo initials */
    {0x231A, 0x231B}, /* watch, hourglass */
    {0x2329, 0x232A}, /* angle brackets */
    {0x23E9, 0x23EC},   {0x23F0, 0x23F0}, {0x23F3, 0x23F3}, {0x25FD, 0x25FE}, {0x2614, 0x2615},
    {0x2648, 0x2653},   {0x267F, 0x267F}, {0x2693, 0x2693}, {0x26A1, 0x26A1}, /* high voltage sign
                                                                               */
    {0x26AA, 0x26AB},   {0x26BD, 0x26BE}, {0x26C4, 0x26C5}, {0x26CE, 0x26CE}, {0x26D4, 0x26D4},
    {0x26EA, 0x26EA},   {0x26F2, 0x26F3}, {0x26F5, 0x26F5}, {0x26FA, 0x26FA}, {0x26FD, 0x26FD},
    {0x2705, 0x2705},   {0x270A, 0x270B}, {0x2728, 0x2728}, {0x274C, 0x274C}, {0x274E, 0x274E},
    {0x2753, 0x2755},   {0x2757, 0x2757}, {0x2795, 0x2797}, {0x27B0, 0x27B0}, {0x27BF, 0x27BF},
    {0x2B1B, 0x2B1C},   {0x2B50, 0x2B50}, {0x2B55, 0x2B55}, {0x2E80, 0x303E}, /* CJK radicals,
                                                                                 Kangxi, CJK symbols
                                                                                 and punctuation */
    {0x3041, 0x33FF},   /* kana, bopomofo, Hangul compatibility, CJK compatibility */
    {0x3400, 0x4DBF},   /* CJK extension A */
    {0x4E00, 0x9FFF},   /* CJK unified ideographs */
    {0xA000, 0xA4CF},   /* Yi */
    {0xA960, 0xA97F},   /* Hangul Jamo extended A */
    {0xAC00, 0xD7A3},   /* Hangul syllables */
    {0xF900, 0xFAFF},   /* CJK compatibility ideographs */
    {0xFE10, 0xFE19},   /* vertical forms */
    {0xFE30, 0xFE6F},   /* CJK compatibility forms, small forms */
    {0xFF00, 0xFF60},   /* fullwidth forms */
    {0xFFE0, 0xFFE6},   /* fullwidth signs (￥) */
    {0x16FE0, 0x18CFF}, /* Tangut, Khitan */
    {0x1B000, 0x1B2FF}, /* kana supplement and extensions, Nushu */
    {0x1F300, 0x1F64F}, /* pictographs and emoticons (emoji presentation) */
    {0x1F680, 0x1F6FF}, /* transport and map symbols */
    {0x1F900, 0x1F9FF}, /* supplemental symbols and pictographs */
    {0x20000, 0x2FFFD}, /* CJK extensions B-F, compatibility supplement */
    {0x30000, 0x3FFFD}, /* CJK extension G and later */
};

/* Zero-width: combining marks, joiners, variation selectors. */
static const uint32_t zero[][2] = {
    {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x0610, 0x061A}, {0x064B, 0x065F},
    {0x200B, 0x200F}, {0x2028, 0x202E}, {0x2060, 0x2064}, {0x20D0, 0x20FF}, {0x302A, 0x302F},
    {0x3099, 0x309A}, {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F}, {0xFEFF, 0xFEFF}, {0xE0100, 0xE01EF},
};

static int in(const uint32_t (*t)[2], size_t n, uint32_t cp)
{
        size_t lo = 0, hi = n;

        while (lo < hi) {
                size_t mid = (lo + hi) / 2;

                if (cp < t[mid][0])
                        hi = mid;
                else if (cp > t[mid][1])
                        lo = mid + 1;
                else
                        return 1;
        }
        return 0;
}

int ctl_cp_width(uint32_t cp)
{
        if (in(zero, sizeof(zero) / sizeof(zero[0]), cp))
                return 0;
        return in(wide, sizeof(wide) / sizeof(wide[0]), cp) ? 2 : 1;
}

/* Decode one UTF-8 sequence at s: its length in bytes (>= 1) and *cp, or 1
 * with *cp = 0xFFFD for a byte that does not start a valid sequence. */
static size_t decode(const unsigned char *s, uint32_t *cp)
{
        size_t n;
        uint32_t c;

        if (s[0] < 0x80) {
                *cp = s[0];
                return 1;
        }
        if (s[0] >= 0xC2 && s[0] <= 0xDF) {
                n = 2;
                c = s[0] & 0x1F;
        } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
                n = 3;
                c = s[0] & 0x0F;
        } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
                n = 4;
                c = s[0] & 0x07;
        } else {
                *cp = 0xFFFD;
                return 1;
        }
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xC0) != 0x80) {
                        *cp = 0xFFFD;
                        return 1;
                }
                c = (c << 6) | (s[i] & 0x3F);
        }
        /* overlong forms, surrogates and beyond U+10FFFF are not text */
        if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
            (c >= 0xD800 && c <= 0xDFFF)) {
                *cp = 0xFFFD;
                return 1;
        }
        *cp = c;
        return n;
}

size_t ctl_text_width(const char *s)
{
        const unsigned char *p = (const unsigned char *)s;
        size_t w = 0;

        while (*p) {
                uint32_t cp;

                p += decode(p, &cp);
                w += (size_t)ctl_cp_width(cp);
        }
        return w;
}

void ctl_print_padded(FILE *f, const char *s, size_t width, int right)
{
        size_t w = ctl_text_width(s);
        size_t pad = w < width ? width - w : 0;

        if (right)
                fprintf(f, "%*s", (int)pad, "");
        fputs(s, f);
        if (!right)
                fprintf(f, "%*s", (int)pad, "");
}
