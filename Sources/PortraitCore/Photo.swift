import Foundation

/// A photo's bytes as a system stores them.
public struct Photo: Sendable {
    public var bytes: Data
    /// The version the system reports for these bytes, when it reports one.
    public var version: String?
    /// Where the bytes came from, for error messages: a file path or a system and person.
    public var origin: String

    public init(bytes: Data, version: String?, origin: String) {
        self.bytes = bytes
        self.version = version
        self.origin = origin
    }

    /// Inputs larger than this are refused before decoding (decompression bombs, scanner TIFFs).
    public static let maxInputBytes = 50 * 1024 * 1024
    /// Images with more pixels than this are refused before decoding.
    public static let maxInputPixels = 100_000_000
}

/// How a square is cut from a portrait that is not square.
public enum CropMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// The centre square: what Graph and most directories do themselves.
    case centre
    /// libvips' attention-based crop: follows faces and detail away from the centre.
    case attention
    /// Head and shoulders around the largest face (`FaceFraming`); the centre when there is none.
    case face
}

/// One image a system wants: a square JPEG of `side` pixels, at most `maxBytes` long.
public struct RenditionProfile: Sendable, Hashable, Codable, CustomStringConvertible {
    public var side: Int
    public var maxBytes: Int?
    public var crop: CropMode
    /// Whether a smaller original may be enlarged to `side`; otherwise the rendition keeps its size.
    public var upscale: Bool

    public init(side: Int, maxBytes: Int? = nil, crop: CropMode = .centre, upscale: Bool = false) {
        self.side = side
        self.maxBytes = maxBytes
        self.crop = crop
        self.upscale = upscale
    }

    /// For people: "648×648 JPEG, centre crop, at most 10 KB".
    public var summary: String {
        var text = "\(side)×\(side) JPEG, \(crop.rawValue) crop"
        if let maxBytes {
            text += maxBytes >= 1_048_576 && maxBytes % 1_048_576 == 0 ? ", at most \(maxBytes / 1_048_576) MB"
                : maxBytes % 1024 == 0 ? ", at most \(maxBytes / 1024) KB" : ", at most \(maxBytes) bytes"
        }
        if upscale { text += ", enlarged if smaller" }
        return text
    }

    /// Stable text for the store: a changed profile means every rendition must be made again.
    public var description: String {
        var text = "jpeg \(side)px \(crop.rawValue)"
        if let maxBytes { text += " <=\(maxBytes)B" }
        if upscale { text += " upscale" }
        return text
    }
}

/// A rendered image, ready to store.
public struct Rendition: Sendable {
    public var profile: RenditionProfile
    public var bytes: Data
    /// Lowercase hex SHA-256 of `bytes`.
    public var sha256: String
    public var width: Int
    public var height: Int
    public var quality: Int

    public init(profile: RenditionProfile, bytes: Data, sha256: String, width: Int, height: Int, quality: Int) {
        self.profile = profile
        self.bytes = bytes
        self.sha256 = sha256
        self.width = width
        self.height = height
        self.quality = quality
    }

    public var mediaType: String { "image/jpeg" }
}
