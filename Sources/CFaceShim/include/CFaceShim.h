// A plain C interface to the few OpenCV calls Portrait uses (Debian's libopencv-objdetect-dev and
// libopencv-imgproc-dev): OpenCV's API is C++, and no C++ type crosses into Swift.
#ifndef PORTRAIT_CFACESHIM_H
#define PORTRAIT_CFACESHIM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A trained cascade (e.g. OpenCV's frontal-face Haar cascade). Not safe to use from two threads
/// at once: keep one per thread.
typedef struct pf_cascade pf_cascade;

/// An object found, in the grey image's pixels; `neighbours` is how many overlapping detection
/// windows agreed on it (OpenCV's own measure of confidence).
typedef struct {
    int x, y, width, height;
    int neighbours;
} pf_box;

/// Loads a cascade file; NULL with a message in `error` when it cannot be read.
pf_cascade *pf_cascade_load(const char *path, char *error, size_t error_size);
void pf_cascade_free(pf_cascade *cascade);

/// Finds objects from `min_side` to `max_side` px wide (0: no limit) in an 8-bit grey image
/// (rows of `width` bytes), after equalising its histogram. Writes up to `capacity` boxes,
/// largest first, and returns how many were found, or -1 with a message in `error` when OpenCV
/// fails.
int pf_cascade_detect(pf_cascade *cascade, const unsigned char *grey, int width, int height,
                      int min_side, int max_side, int min_neighbours, pf_box *boxes, int capacity,
                      char *error, size_t error_size);

/// The variance of the Laplacian of an 8-bit grey image: high when sharp, low when blurred.
/// Returns -1 with a message in `error` when OpenCV fails.
double pf_laplacian_variance(const unsigned char *grey, int width, int height, char *error, size_t error_size);

#ifdef __cplusplus
}
#endif

#endif
