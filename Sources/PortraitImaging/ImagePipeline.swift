import CVips
import CVipsShim
import Crypto
import Foundation
import PortraitCore

/// A photo's size, upright, as its header gives it.
public struct ImageHeader: Sendable {
    public var width: Int
    public var height: Int
    /// An embedded colour profile that decoding must apply (CMYK is converted by the decoder).
    var needsProfileApplied: Bool
}

/// Everything made from one photo in one decode.
public struct RenderedPhoto: Sendable {
    /// In the order of the profiles asked for.
    public var renditions: [Rendition]
    /// The fingerprint of each rendition as encoded (its JPEG decoded again): what a service's
    /// copy of it is compared with.
    public var fingerprints: [Fingerprint]
    /// The upright size of the original.
    public var width: Int
    public var height: Int
    /// Faces and the guideline measures, when a profile crops by face or they were asked for.
    public var measures: PhotoMeasures?
    /// Where the face crop cut its square, in the original's upright pixels.
    public var faceSquare: Square?

    /// A profile asked for a face crop and no face was found: its square is the centre's.
    public var faceCropFellBack: Bool {
        renditions.contains { $0.profile.crop == .face } && measures?.faces.isEmpty == true
    }
}

/// A person's photo as Portrait keeps it (`ImagePipeline.master(of:)`).
public struct Master: Sendable {
    public static let longSide = 1024
    static let quality = 92

    public var jpeg: Data
    public var width: Int
    public var height: Int
    /// Its centre square's: what is kept, and what its copies elsewhere are compared with.
    public var fingerprint: Fingerprint { readings[0] }
    /// Read as another system's copy: the centre square's, and for a photo that is not square
    /// the whole photo's too (`ImagePipeline.fingerprints(of:)`).
    public var readings: [Fingerprint]
}

/// Turns any supported photo into square JPEG renditions on libvips.
///
/// The photo is decoded once, with shrink-on-load straight to the largest size any profile needs,
/// turned upright, brought to 8-bit sRGB on white and materialised; every crop, rendition and the
/// perceptual hash are derived from that small copy.
public struct ImagePipeline: Sendable {
    /// Quality used when a profile has no byte cap, and the highest tried when it has one.
    public static let bestQuality = 90

    /// Decoders allowed to run on untrusted input; libvips has more (ImageMagick, PDF, SVG) that
    /// Portrait never hands a photo to.
    static let allowedLoaders: Set<String> = [
        "VipsForeignLoadJpegBuffer", "VipsForeignLoadPngBuffer", "VipsForeignLoadWebpBuffer",
        "VipsForeignLoadTiffBuffer", "VipsForeignLoadNsgifBuffer", "VipsForeignLoadHeifBuffer",
    ]

    /// Inputs larger than this are refused before decoding (decompression bombs, scanner TIFFs).
    public let maxInputBytes: Int

    public init(maxInputBytes: Int = Photo.maxInputBytes) {
        self.maxInputBytes = maxInputBytes
        Vips.ready
    }

    /// Renditions for `profiles`; `measure` adds the guideline measures even where no profile
    /// crops by face.
    public func render(_ photo: Photo, profiles: [RenditionProfile], measure: Bool = false) throws -> RenderedPhoto {
        try Self.withOwnErrors { try renderAlone(photo, profiles: profiles, measure: measure) }
    }

    /// Why faces cannot be found on this machine (OpenCV's trained cascades are missing), or nil.
    public static var faceDetectionProblem: String? { FaceDetector.setupProblem }

    /// Faces and the guideline measures alone (`portrait check-photos`).
    public func measures(of photo: Photo) throws -> PhotoMeasures {
        try Self.withOwnErrors {
            let (base, width, height) = try decode(photo, shortSide: FaceDetector.decodeSide)
            do {
                return try Self.measures(of: base, width: width, height: height, origin: photo.origin)
            } catch let failure as VipsFailure {
                throw ImageError.unreadable(origin: photo.origin, detail: failure.message)
            }
        }
    }

    /// The fingerprints of a photo as another system keeps it, to compare with what Portrait
    /// wrote: its centre square's (every service's square copy), and, when it is not square, the
    /// whole photo's too (a square that a service resized out of shape).
    public func fingerprints(of photo: Photo) throws -> [Fingerprint] {
        try Self.withOwnErrors {
            let (base, _, _) = try decode(photo, shortSide: Fingerprint.side * 4)
            do {
                return try Self.readings(of: base)
            } catch let failure as VipsFailure {
                throw ImageError.unreadable(origin: photo.origin, detail: failure.message)
            }
        }
    }

    private static func readings(of image: VipsImageRef) throws -> [Fingerprint] {
        let centre = try Fingerprint(of: try square(image, crop: .centre))
        return image.width == image.height ? [centre] : [centre, try Fingerprint(of: image)]
    }

    /// The photo Portrait keeps as a person's approved one, from which every target's renditions
    /// are made: upright, sRGB, metadata stripped, uncropped, at most `longSide` px on its long
    /// side (never enlarged), a high-quality JPEG; with the fingerprint of its centre square,
    /// which its copies elsewhere (square, smaller, re-encoded) are recognised by.
    public func master(of photo: Photo, longSide: Int = Master.longSide) throws -> Master {
        try Self.withOwnErrors {
            let (base, _, _) = try decode(photo) { _ in (Int32(longSide), Int32(longSide)) }
            do {
                let jpeg = try base.encoded(".jpg[Q=\(Master.quality),strip,optimize_coding]")
                return Master(jpeg: jpeg, width: base.width, height: base.height, readings: try Self.readings(of: base))
            } catch let failure as VipsFailure {
                throw ImageError.unreadable(origin: photo.origin, detail: failure.message)
            }
        }
    }

    /// Runs `work` beside other photos; if it finds the photo unreadable, runs it again alone, so
    /// the message in libvips' process-wide error buffer is this photo's and no other's.
    private static func withOwnErrors<T>(_ work: () throws -> T) throws -> T {
        do {
            return try Vips.gate.shared(work)
        } catch ImageError.unreadable {
            return try Vips.gate.alone(work)
        }
    }

    private func renderAlone(_ photo: Photo, profiles: [RenditionProfile], measure: Bool) throws -> RenderedPhoto {
        let neededSide = profiles.map(\.side).max() ?? Fingerprint.side
        let facing = profiles.contains { $0.crop == .face }
        // Never too small to find a face in. Not larger for a face crop to zoom into: decoding at
        // twice the side cost more than the whole centre-crop pipeline (docs: ARCHITECTURE).
        let decodeSide = facing || measure ? max(neededSide, FaceDetector.decodeSide) : neededSide
        let (base, width, height) = try decode(photo, shortSide: decodeSide)
        do {
            let measures = facing || measure ? try Self.measures(of: base, width: width, height: height, origin: photo.origin) : nil
            // The face in the decoded copy's pixels.
            let face = measures?.faces.first?.scaled(by: Double(base.width) / Double(width))
            let framed = face.map { FaceFraming.square(width: base.width, height: base.height, face: $0, minSide: neededSide) }
            var squares: [CropMode: VipsImageRef] = [:]
            func square(_ crop: CropMode) throws -> VipsImageRef {
                if let cached = squares[crop] { return cached }
                let made = try Self.square(base, crop: crop, framed: framed)
                squares[crop] = made
                return made
            }
            // Only the squares the profiles want: a face crop's photo pays for no centre square.
            let renditions = try profiles.map { profile in
                try rendition(from: try square(profile.crop), profile: profile, origin: photo.origin)
            }
            let fingerprints = try renditions.map { try Self.fingerprint(ofEncoded: $0.bytes) }
            return RenderedPhoto(renditions: renditions, fingerprints: fingerprints, width: width, height: height,
                                 measures: measures, faceSquare: facing ? framed?.scaled(by: Double(width) / Double(base.width)) : nil)
        } catch let failure as VipsFailure {
            throw ImageError.unreadable(origin: photo.origin, detail: failure.message)
        }
    }

    // MARK: - Fingerprints

    /// A rendition Portrait just encoded, decoded again (shrunk on load): the pixels a service
    /// received, which its copy is compared with.
    private static func fingerprint(ofEncoded jpeg: Data) throws -> Fingerprint {
        try jpeg.withUnsafeBytes { raw in
            let box = Int32(Fingerprint.side * 4)
            var out: UnsafeMutablePointer<VipsImage>?
            guard pv_thumbnail_buffer(raw.baseAddress, raw.count, &out, box, box) == 0, let out else {
                throw VipsFailure(message: Vips.takeError())
            }
            return try Fingerprint(of: try normalised(VipsImageRef(out)).materialised())
        }
    }

    // MARK: - Decoding

    /// What a photo is, from its header alone, after the guards: size, format, pixel count.
    public func inspect(_ photo: Photo) throws -> ImageHeader {
        try Vips.gate.shared { try header(of: photo).header }
    }

    /// The guards, then the header, and the loader that will decode the photo.
    private func header(of photo: Photo) throws -> (header: ImageHeader, loader: String) {
        let bytes = photo.bytes
        guard bytes.count <= maxInputBytes else {
            throw ImageError.tooLarge(origin: photo.origin, bytes: bytes.count, limit: maxInputBytes)
        }
        return try bytes.withUnsafeBytes { raw -> (ImageHeader, String) in
            guard let address = raw.baseAddress, raw.count > 0 else {
                throw ImageError.unreadable(origin: photo.origin, detail: "the file is empty")
            }
            guard let loader = vips_foreign_find_load_buffer(address, raw.count).map({ String(cString: $0) }) else {
                _ = Vips.takeError()
                throw ImageError.unreadable(origin: photo.origin, detail: "")
            }
            guard Self.allowedLoaders.contains(loader) else {
                throw ImageError.unsupportedFormat(origin: photo.origin, format: Self.formatName(loader))
            }
            guard let headerPointer = pv_image_new_from_buffer(address, raw.count) else {
                throw ImageError.unreadable(origin: photo.origin, detail: Vips.takeError())
            }
            let header = VipsImageRef(headerPointer)
            guard header.width * header.height <= Photo.maxInputPixels else {
                throw ImageError.tooManyPixels(origin: photo.origin, width: header.width, height: header.height)
            }
            let swapsAxes = vips_image_get_orientation_swap(header.pointer) != 0
            // Thumbnail turns CMYK into sRGB itself; other images with a profile need it applied,
            // since the profile is stripped on encode.
            let hasProfile = vips_image_get_typeof(header.pointer, "icc-profile-data") != 0
                && header.interpretation != VIPS_INTERPRETATION_CMYK
            return (ImageHeader(width: swapsAxes ? header.height : header.width,
                                height: swapsAxes ? header.width : header.height,
                                needsProfileApplied: hasProfile), loader)
        }
    }

    /// Decodes upright with the short side at most `shortSide`.
    private func decode(_ photo: Photo, shortSide: Int) throws -> (VipsImageRef, width: Int, height: Int) {
        // Fit the short side to `shortSide`: the long side is left unbounded.
        let unbounded = Int32(VIPS_MAX_COORD)
        return try decode(photo) { $0.width <= $0.height ? (Int32(shortSide), unbounded) : (unbounded, Int32(shortSide)) }
    }

    /// Checks the guards and the data's integrity, then decodes upright to fit within the box
    /// made from the header (never enlarging); returns the original's upright size too.
    private func decode(_ photo: Photo, box fit: (ImageHeader) -> (Int32, Int32)) throws -> (VipsImageRef, width: Int, height: Int) {
        let (header, loader) = try header(of: photo)
        if let damage = Integrity.damage(in: photo.bytes, loader: loader) {
            throw ImageError.unreadable(origin: photo.origin, detail: damage)
        }
        let (width, height) = (header.width, header.height)
        let box = fit(header)
        return try photo.bytes.withUnsafeBytes { raw -> (VipsImageRef, Int, Int) in
            do {
                var out: UnsafeMutablePointer<VipsImage>?
                guard pv_thumbnail_buffer(raw.baseAddress, raw.count, &out, box.0, box.1) == 0, let out else {
                    throw VipsFailure(message: Vips.takeError())
                }
                var image = VipsImageRef(out)
                if header.needsProfileApplied {
                    image = try image.apply { pv_icc_to_srgb($0, $1) }
                }
                // Materialise inside withUnsafeBytes: libvips reads the buffer lazily, without a copy.
                image = try Self.normalised(image).materialised()
                return (image, width, height)
            } catch let failure as VipsFailure {
                throw ImageError.unreadable(origin: photo.origin, detail: failure.message)
            }
        }
    }

    /// "VipsForeignLoadMagickBuffer" → "magick", for messages.
    private static func formatName(_ loader: String) -> String {
        loader.replacingOccurrences(of: "VipsForeignLoad", with: "").replacingOccurrences(of: "Buffer", with: "").lowercased()
    }

    /// 8-bit sRGB, three bands, transparency flattened on white. Metadata is dropped on encode.
    private static func normalised(_ input: VipsImageRef) throws -> VipsImageRef {
        var image = input
        if image.interpretation != VIPS_INTERPRETATION_sRGB || image.format != VIPS_FORMAT_UCHAR {
            image = try image.apply { pv_colourspace($0, $1, VIPS_INTERPRETATION_sRGB) }
        }
        if image.hasAlpha {
            image = try image.apply { pv_flatten($0, $1, 255, 255, 255, 255) }
        }
        if image.format != VIPS_FORMAT_UCHAR {
            image = try image.apply { pv_cast($0, $1, VIPS_FORMAT_UCHAR) }
        }
        if image.bands > 3 {
            image = try image.apply { pv_extract_band($0, $1, 0, 3) }
        }
        return image
    }

    // MARK: - Renditions

    /// The square for `crop`; a face crop cuts `framed` (`FaceFraming`, in `image`'s pixels), or
    /// the centre's when no face was found.
    private static func square(_ image: VipsImageRef, crop: CropMode, framed: Square? = nil) throws -> VipsImageRef {
        let side = min(image.width, image.height)
        func area(_ left: Int, _ top: Int, _ side: Int) throws -> VipsImageRef {
            try image.apply { pv_extract_area($0, $1, Int32(left), Int32(top), Int32(side), Int32(side)) }
        }
        let cropped: VipsImageRef
        switch crop {
        case .face where framed != nil:
            if framed!.side == image.width && framed!.side == image.height { return image }
            cropped = try area(framed!.left, framed!.top, framed!.side)
        case .centre, .face:
            if image.width == image.height { return image }
            cropped = try area((image.width - side) / 2, (image.height - side) / 2, side)
        case .attention:
            if image.width == image.height { return image }
            cropped = try image.apply { pv_smartcrop_attention($0, $1, Int32(side), Int32(side)) }
        }
        return try cropped.materialised()
    }

    /// Faces and the guideline measures from a small grey copy of the decoded photo (of the
    /// original's `width`×`height`).
    private static func measures(of base: VipsImageRef, width: Int, height: Int, origin: String) throws -> PhotoMeasures {
        // A box shrink by a whole factor, in one pass over pixels already in memory: a libvips
        // resize and colour conversion cost as much as the detection.
        let factor = Int((Double(base.width * base.height) / Double(FaceDetector.workingPixels)).squareRoot().rounded())
        let grey = GreyImage(shrinking: try base.pixels(), width: base.width, height: base.height, bands: base.bands, by: max(1, factor))
        do {
            return try FaceDetector.measure(grey, scale: Double(width) / Double(grey.width), width: width, height: height)
        } catch let failure as OpenCVFailure {
            throw ImageError.faceDetectionFailed(origin: origin, detail: failure.message)
        }
    }

    private func rendition(from square: VipsImageRef, profile: RenditionProfile, origin: String) throws -> Rendition {
        let side = profile.upscale ? profile.side : min(profile.side, square.width)
        var image = square
        if side != square.width {
            let scale = Double(side) / Double(square.width)
            image = try square.apply { pv_resize($0, $1, scale, scale) }
            // Rounding inside libvips can leave a pixel over; trim to the exact side.
            if image.width != side || image.height != side {
                image = try image.apply { pv_extract_area($0, $1, 0, 0, Int32(min(side, image.width)), Int32(min(side, image.height))) }
            }
            image = try image.materialised()
        }
        let (bytes, quality) = try Self.encode(image, maxBytes: profile.maxBytes, origin: origin, side: side)
        let digest = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        return Rendition(profile: profile, bytes: bytes, sha256: digest, width: image.width, height: image.height, quality: quality)
    }

    /// The highest quality whose JPEG fits the cap, by binary search (JPEG size grows with quality).
    private static func encode(_ image: VipsImageRef, maxBytes: Int?, origin: String, side: Int) throws -> (Data, Int) {
        func jpeg(_ quality: Int) throws -> Data {
            try image.encoded(".jpg[Q=\(quality),strip,optimize_coding]")
        }
        let best = try jpeg(bestQuality)
        guard let maxBytes, best.count > maxBytes else { return (best, bestQuality) }
        var found: (Data, Int)?
        var low = 1
        var high = bestQuality - 1
        while low <= high {
            let quality = (low + high) / 2
            let candidate = try jpeg(quality)
            if candidate.count <= maxBytes {
                found = (candidate, quality)
                low = quality + 1
            } else {
                high = quality - 1
            }
        }
        guard let found else { throw ImageError.cannotFit(origin: origin, side: side, maxBytes: maxBytes) }
        return found
    }
}
