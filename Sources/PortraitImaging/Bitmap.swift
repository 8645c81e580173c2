import CVips
import CVipsShim
import Foundation

/// Raw pixels, for making sample photos (the demo, tests, the benchmark) and for reading back
/// what a rendition looks like.
public struct Bitmap: Sendable {
    public enum Colour: Sendable {
        case grey, rgb, rgba, cmyk
        var bands: Int {
            switch self {
            case .grey: 1
            case .rgb: 3
            case .rgba, .cmyk: 4
            }
        }
    }

    public enum Format: Sendable {
        /// `orientation` is written as the EXIF orientation tag (1–8).
        case jpeg(quality: Int, orientation: Int?)
        case png
        case tiff
        case webp
        case gif
        case heif
    }

    public var width: Int
    public var height: Int
    public var colour: Colour
    /// 8 or 16.
    public var bitsPerSample: Int
    /// Row by row, band-interleaved; 16-bit samples in native byte order.
    public var samples: Data

    public init(width: Int, height: Int, colour: Colour, bitsPerSample: Int = 8, samples: Data) {
        precondition(samples.count == width * height * colour.bands * bitsPerSample / 8, "sample count does not match the size")
        self.width = width
        self.height = height
        self.colour = colour
        self.bitsPerSample = bitsPerSample
        self.samples = samples
    }

    /// An 8-bit RGB bitmap whose pixels `colourAt` gives.
    public init(width: Int, height: Int, colourAt: (Int, Int) -> (UInt8, UInt8, UInt8)) {
        var samples = Data(count: width * height * 3)
        samples.withUnsafeMutableBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            for y in 0..<height {
                for x in 0..<width {
                    let (r, g, b) = colourAt(x, y)
                    let offset = (y * width + x) * 3
                    bytes[offset] = r
                    bytes[offset + 1] = g
                    bytes[offset + 2] = b
                }
            }
        }
        self.init(width: width, height: height, colour: .rgb, samples: samples)
    }

    /// Decodes an image as stored (no orientation applied) to 8-bit samples.
    public init(decoding data: Data) throws {
        let decoded = try Vips.gate.shared { try data.withUnsafeBytes { raw -> (VipsImageRef, Data) in
            guard let pointer = pv_image_new_from_buffer(raw.baseAddress, raw.count) else {
                throw VipsFailure(message: Vips.takeError())
            }
            var image = VipsImageRef(pointer)
            if image.format != VIPS_FORMAT_UCHAR {
                image = try image.apply { pv_cast($0, $1, VIPS_FORMAT_UCHAR) }
            }
            return (image, try image.pixels())
        } }
        let image = decoded.0
        let colour: Colour = switch image.bands {
        case 1: .grey
        case 3: .rgb
        default: image.interpretation == VIPS_INTERPRETATION_CMYK ? .cmyk : .rgba
        }
        self.init(width: image.width, height: image.height, colour: colour, samples: decoded.1)
    }

    /// The 8-bit samples of one pixel.
    public func pixel(x: Int, y: Int) -> [UInt8] {
        precondition(bitsPerSample == 8)
        let offset = (y * width + x) * colour.bands
        return Array(samples[samples.startIndex + offset..<samples.startIndex + offset + colour.bands])
    }

    public func encoded(as format: Format) throws -> Data {
        try Vips.gate.shared { try encodedUnlocked(as: format) }
    }

    private func encodedUnlocked(as format: Format) throws -> Data {
        let bandFormat = bitsPerSample == 16 ? VIPS_FORMAT_USHORT : VIPS_FORMAT_UCHAR
        let image = try samples.withUnsafeBytes { raw -> VipsImageRef in
            guard let pointer = vips_image_new_from_memory_copy(raw.baseAddress, raw.count, Int32(width), Int32(height), Int32(colour.bands), bandFormat) else {
                throw VipsFailure(message: Vips.takeError())
            }
            return VipsImageRef(pointer)
        }
        image.pointer.pointee.Type = switch (colour, bitsPerSample) {
        case (.grey, 16): VIPS_INTERPRETATION_GREY16
        case (.grey, _): VIPS_INTERPRETATION_B_W
        case (.cmyk, _): VIPS_INTERPRETATION_CMYK
        case (_, 16): VIPS_INTERPRETATION_RGB16
        default: VIPS_INTERPRETATION_sRGB
        }
        switch format {
        case .jpeg(let quality, let orientation):
            if let orientation { vips_image_set_int(image.pointer, "orientation", Int32(orientation)) }
            return try image.encoded(".jpg[Q=\(quality)]")
        case .png:
            return try image.encoded(".png[bitdepth=\(bitsPerSample)]")
        case .tiff:
            return try image.encoded(".tif")
        case .webp:
            return try image.encoded(".webp")
        case .gif:
            return try image.encoded(".gif")
        case .heif:
            return try image.encoded(".heic")
        }
    }
}

extension Bitmap {
    /// Scaled to `width`×`height` (out of shape if asked) by averaging the area each new pixel
    /// covers: a plain resampler of its own, unlike libvips', as another system's would be. 8-bit only.
    public func scaled(toWidth newWidth: Int, height newHeight: Int) -> Bitmap {
        precondition(bitsPerSample == 8 && newWidth > 0 && newHeight > 0)
        let bands = colour.bands
        let source = [UInt8](samples)
        var out = [UInt8](repeating: 0, count: newWidth * newHeight * bands)
        let (sx, sy) = (Double(width) / Double(newWidth), Double(height) / Double(newHeight))
        for y in 0..<newHeight {
            let top = Int(Double(y) * sy), bottom = max(top + 1, min(height, Int((Double(y + 1) * sy).rounded(.up))))
            for x in 0..<newWidth {
                let left = Int(Double(x) * sx), right = max(left + 1, min(width, Int((Double(x + 1) * sx).rounded(.up))))
                for band in 0..<bands {
                    var sum = 0
                    for yy in top..<bottom {
                        for xx in left..<right { sum += Int(source[(yy * width + xx) * bands + band]) }
                    }
                    out[(y * newWidth + x) * bands + band] = UInt8(sum / ((bottom - top) * (right - left)))
                }
            }
        }
        return Bitmap(width: newWidth, height: newHeight, colour: colour, samples: Data(out))
    }
}
