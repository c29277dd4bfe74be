/* json.h - the one JSON string writer: both the report's and the export's
 * JSON go through it, so a name is escaped the same way everywhere.
 */
#ifndef TL_UTIL_JSON_H
#define TL_UTIL_JSON_H

#include <stdio.h>

/* Writes s as a JSON string, quotes included. '"' and '\\' are escaped,
 * \b \f \n \r \t take their short forms, every other byte below 0x20 and
 * DEL (0x7f) become \u00XX. Valid UTF-8 is copied; a byte that does not
 * begin a valid UTF-8 sequence (stray continuation, overlong form,
 * surrogate, beyond U+10FFFF, cut short) is read as Latin-1 and written as
 * \u00XX, so the output is always valid UTF-8 and says which byte it was. */
void tl_json_str(FILE *f, const char *s);

#endif
