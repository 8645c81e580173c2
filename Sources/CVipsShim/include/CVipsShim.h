// Fixed-argument wrappers for the libvips calls Portrait uses. libvips' operations are variadic
// (option name/value pairs ending in NULL), which Swift cannot call; and one call from a header
// that vips.h does not include. Nothing else belongs here.
#ifndef PORTRAIT_CVIPSSHIM_H
#define PORTRAIT_CVIPSSHIM_H

#include <vips/vips.h>

/// Opens an image lazily: only the header is read until pixels are needed.
VipsImage *pv_image_new_from_buffer(const void *buf, size_t len);

/// Decodes with shrink-on-load to fit width x height (never enlarging), upright by EXIF
/// orientation; CMYK comes out as sRGB. fail_on=error makes decoder errors (a truncated file, a
/// PNG checksum) fail the decode; JPEG damage that libjpeg only warns about is checked apart.
int pv_thumbnail_buffer(const void *buf, size_t len, VipsImage **out, int width, int height);

/// Applies the embedded ICC profile, giving sRGB (relative colorimetric: in-gamut colours stay put).
int pv_icc_to_srgb(VipsImage *in, VipsImage **out);
int pv_colourspace(VipsImage *in, VipsImage **out, VipsInterpretation space);
int pv_flatten(VipsImage *in, VipsImage **out, double red, double green, double blue, double max_alpha);
int pv_cast(VipsImage *in, VipsImage **out, VipsBandFormat format);
int pv_extract_band(VipsImage *in, VipsImage **out, int band, int count);
int pv_extract_area(VipsImage *in, VipsImage **out, int left, int top, int width, int height);
int pv_smartcrop_attention(VipsImage *in, VipsImage **out, int width, int height);
int pv_resize(VipsImage *in, VipsImage **out, double hscale, double vscale);
/// Turns off libvips' liborc-compiled loops (vips/vector.h, which vips.h does not include).
void pv_vector_disable(void);
/// Encodes by file suffix with options, e.g. ".jpg[Q=85,strip,optimize_coding]" or ".png[bitdepth=16]".
int pv_write_to_buffer(VipsImage *in, const char *suffix, void **buf, size_t *len);

#endif
