import CImageCheck
import Foundation

/// Damage that decoders pass over without an error: a JPEG whose entropy-coded data is broken
/// (libjpeg only warns, and libvips decodes it into a half-grey or colour-shifted photo), a PNG
/// whose chunks fail their checksums (libvips' thumbnailer renders it), and a lossy WebP with a
/// zeroed stretch (VP8 has no checksum: libwebp decodes it silently).
enum Integrity {
    /// A stretch this long of one byte value cannot occur in compressed image data; zeroed or
    /// erased sectors are 512 bytes and up.
    static let longestPlausibleRun = 512

    /// What is wrong with the data, or nil when nothing is known to be.
    static func damage(in bytes: Data, loader: String) -> String? {
        switch loader {
        case "VipsForeignLoadJpegBuffer": checked(bytes, pi_jpeg_check)
        case "VipsForeignLoadPngBuffer": checked(bytes, pi_png_check)
        case "VipsForeignLoadWebpBuffer": webpDamage(bytes)
        default: nil
        }
    }

    /// Runs one of CImageCheck's checks: 0 is intact, otherwise it wrote what is wrong.
    private static func checked(_ bytes: Data, _ check: (UnsafeRawPointer?, Int, UnsafeMutablePointer<CChar>?, Int) -> Int32) -> String? {
        var message = [CChar](repeating: 0, count: 256)
        let damaged = bytes.withUnsafeBytes { raw in check(raw.baseAddress, raw.count, &message, message.count) }
        return damaged == 0 ? nil : String(cString: message)
    }

    /// Scans the compressed payload of each image chunk (`VP8 `, `VP8L`, `ALPH`) of the RIFF file.
    private static func webpDamage(_ bytes: Data) -> String? {
        let start = bytes.startIndex
        var offset = 12
        while offset + 8 <= bytes.count {
            let tag = String(decoding: bytes[(start + offset)..<(start + offset + 4)], as: UTF8.self)
            let size = bytes[(start + offset + 4)..<(start + offset + 8)].reversed().reduce(0) { $0 << 8 | Int($1) }
            let payload = (offset + 8)..<min(bytes.count, offset + 8 + size)
            if ["VP8 ", "VP8L", "ALPH"].contains(tag), let run = longestRun(in: bytes, payload), run.length >= longestPlausibleRun {
                return String(format: "%d bytes of 0x%02X at offset %d inside the %@ image data: the file is damaged",
                              run.length, run.value, run.offset, tag.trimmingCharacters(in: .whitespaces))
            }
            offset += 8 + size + (size & 1)
        }
        return nil
    }

    /// The longest run of one byte value within `range` (offsets from the start of `bytes`).
    static func longestRun(in bytes: Data, _ range: Range<Int>) -> (offset: Int, length: Int, value: UInt8)? {
        bytes.withUnsafeBytes { raw -> (Int, Int, UInt8)? in
            let buffer = raw.bindMemory(to: UInt8.self)
            guard !range.isEmpty else { return nil }
            var best = (offset: range.lowerBound, length: 1, value: buffer[range.lowerBound])
            var runStart = range.lowerBound
            for index in (range.lowerBound + 1)..<range.upperBound where buffer[index] != buffer[runStart] {
                if index - runStart > best.length { best = (runStart, index - runStart, buffer[runStart]) }
                runStart = index
            }
            if range.upperBound - runStart > best.length { best = (runStart, range.upperBound - runStart, buffer[runStart]) }
            return best
        }
    }
}
