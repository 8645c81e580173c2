#include "CImageCheck.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>
#include <zlib.h>

/// Cameras sometimes pad the end of a file with a few bytes; damage leaves thousands.
#define TOLERATED_EXTRANEOUS_BYTES 64

struct check_error {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    int damaged;
    char message[JMSG_LENGTH_MAX];
};

static void on_error(j_common_ptr cinfo) {
    struct check_error *error = (struct check_error *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, error->message);
    longjmp(error->jump, 1);
}

/// Warnings (level -1) that mean the data is corrupt; other warnings and trace messages pass.
static void on_message(j_common_ptr cinfo, int level) {
    struct check_error *error = (struct check_error *)cinfo->err;
    if (level >= 0 || error->damaged) return;
    switch (cinfo->err->msg_code) {
    case JWRN_EXTRANEOUS_DATA:
        if (cinfo->err->msg_parm.i[0] <= TOLERATED_EXTRANEOUS_BYTES) return;
        break;
    case JWRN_HIT_MARKER:
    case JWRN_HUFF_BAD_CODE:
    case JWRN_ARITH_BAD_CODE:
    case JWRN_JPEG_EOF:
    case JWRN_MUST_RESYNC:
    case JWRN_NOT_SEQUENTIAL:
        break;
    default:
        return;
    }
    error->damaged = 1;
    (*cinfo->err->format_message)(cinfo, error->message);
}

int pi_jpeg_check(const void *buf, size_t len, char *message, size_t capacity) {
    struct jpeg_decompress_struct cinfo;
    struct check_error error;
    memset(&error, 0, sizeof error);
    cinfo.err = jpeg_std_error(&error.pub);
    error.pub.error_exit = on_error;
    error.pub.emit_message = on_message;
    JSAMPARRAY row = NULL;
    if (setjmp(error.jump)) {
        jpeg_destroy_decompress(&cinfo);
        snprintf(message, capacity, "%s", error.message);
        return 1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, (const unsigned char *)buf, (unsigned long)len);
    jpeg_read_header(&cinfo, TRUE);
    cinfo.scale_num = 1;
    cinfo.scale_denom = 8;
    cinfo.dct_method = JDCT_IFAST;
    cinfo.do_fancy_upsampling = FALSE;
    if (cinfo.jpeg_color_space == JCS_YCbCr || cinfo.jpeg_color_space == JCS_GRAYSCALE)
        cinfo.out_color_space = JCS_GRAYSCALE;
    jpeg_start_decompress(&cinfo);
    row = (*cinfo.mem->alloc_sarray)((j_common_ptr)&cinfo, JPOOL_IMAGE,
                                     cinfo.output_width * cinfo.output_components, 1);
    while (cinfo.output_scanline < cinfo.output_height && !error.damaged)
        jpeg_read_scanlines(&cinfo, row, 1);
    if (!error.damaged) jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    if (error.damaged) {
        snprintf(message, capacity, "%s", error.message);
        return 1;
    }
    return 0;
}

static unsigned long big_endian32(const unsigned char *p) {
    return ((unsigned long)p[0] << 24) | ((unsigned long)p[1] << 16) | ((unsigned long)p[2] << 8) | p[3];
}

int pi_png_check(const void *buf, size_t len, char *message, size_t capacity) {
    const unsigned char *bytes = buf;
    size_t offset = 8;  // the signature
    while (offset + 12 <= len) {
        unsigned long length = big_endian32(bytes + offset);
        if (length > len - offset - 12) {
            snprintf(message, capacity, "chunk at offset %zu claims %lu bytes, past the end of the file", offset, length);
            return 1;
        }
        const unsigned char *type = bytes + offset + 4;
        unsigned long expected = big_endian32(type + 4 + length);
        unsigned long actual = crc32(crc32(0L, Z_NULL, 0), type, (uInt)(4 + length));
        if (actual != expected) {
            snprintf(message, capacity, "%.4s chunk at offset %zu fails its checksum", (const char *)type, offset);
            return 1;
        }
        if (memcmp(type, "IEND", 4) == 0) return 0;
        offset += 12 + length;
    }
    snprintf(message, capacity, "the file ends before its IEND chunk");
    return 1;
}
