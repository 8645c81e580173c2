// Integrity checks libvips does not make. libjpeg reports damaged entropy-coded data only as
// warnings, which libvips passes over (and leaves in its process-wide error buffer), so a JPEG
// with a zeroed or overwritten stretch decodes "successfully" into a half-grey photo; and
// libvips' thumbnailer renders a PNG whose chunks fail their checksums.
#ifndef PORTRAIT_CIMAGECHECK_H
#define PORTRAIT_CIMAGECHECK_H

#include <stddef.h>

/// Decodes the whole JPEG stream (at 1/8 scale, so only the entropy decoding costs anything) and
/// returns 0 when it is intact, or 1 with libjpeg's message in `message` when it is damaged: an
/// error, or a warning that means corrupt data (a bad code, a premature end, data left over).
int pi_jpeg_check(const void *buf, size_t len, char *message, size_t capacity);

/// Walks a PNG's chunks and checks each one's CRC; 0 when all are intact up to IEND, or 1 with
/// what is wrong in `message`.
int pi_png_check(const void *buf, size_t len, char *message, size_t capacity);

#endif
