import Foundation
import PortraitCore
import PortraitImaging

/// How an emulated service keeps an upload: what a later download gives back. Portrait must
/// recognise its own write whatever a service does, so the tests sweep every one of these
/// (`SandboxOptions.graphCopies`, `googleCopies`); `documented` is the default.
public enum CopyBehaviour: Sendable, Hashable, CustomStringConvertible {
    /// As the service's documentation says: Graph's centre square of at most 648 px, Google's 96×96.
    case documented
    /// The bytes as uploaded.
    case asUploaded
    /// The same pixels in other bytes: a comment segment of the service's own.
    case samePixels
    /// Decoded and encoded again at this JPEG quality.
    case reencoded(quality: Int)
    /// Scaled to this size, square or a little out of shape, by a resampler that is not libvips',
    /// and encoded at quality 85.
    case resized(width: Int, height: Int)
    /// Exif and XMP segments added; the image data untouched.
    case metadataAdded
    /// Every application and comment segment dropped; the image data untouched.
    case metadataDropped
    /// A JPEG served as PNG and a PNG as JPEG (quality 90): the same picture in another format.
    case otherFormat
    /// One of the others, drawn per upload from the sandbox's seed.
    case random

    /// Every behaviour a test sweeps: each kind once, qualities from 60 to 95, sizes from 96 to 648.
    public static let sweep: [CopyBehaviour] = [
        .documented, .asUploaded, .samePixels, .reencoded(quality: 60), .reencoded(quality: 75), .reencoded(quality: 95),
        .resized(width: 96, height: 96), .resized(width: 240, height: 240), .resized(width: 600, height: 600),
        .resized(width: 648, height: 600), .metadataAdded, .metadataDropped, .otherFormat, .random,
    ]

    /// What `random` draws from.
    static let drawn = sweep.filter { $0 != .random && $0 != .documented }

    /// This behaviour for one upload: `random` draws one of the others from `next`.
    func resolved(_ next: () -> UInt64) -> CopyBehaviour {
        self == .random ? Self.drawn[Int(next() % UInt64(Self.drawn.count))] : self
    }

    /// The copy this behaviour keeps of `upload`, as a service with photos of `side` would
    /// (`documented`: the centre square at `side`; `random`: one drawn from `seed`).
    public func copy(of upload: Data, side: Int, seed: UInt64 = 1) async -> Data {
        switch self {
        case .documented:
            return await ServiceCopy.documented(upload, side: side, upscale: side < 200, pipeline: ImagePipeline())
        case .random:
            var random = SeededRandom(seed: seed)
            return await ServiceCopy.made(upload, by: resolved { random.next() })
        default:
            return await ServiceCopy.made(upload, by: self)
        }
    }

    public var description: String {
        switch self {
        case .documented: "documented"
        case .asUploaded: "as uploaded"
        case .samePixels: "same pixels, other bytes"
        case .reencoded(let quality): "re-encoded at Q\(quality)"
        case .resized(let width, let height): "resized to \(width)×\(height)"
        case .metadataAdded: "metadata added"
        case .metadataDropped: "metadata dropped"
        case .otherFormat: "another format"
        case .random: "random per upload"
        }
    }
}

/// The copy a cloud service keeps of an upload. The services do that work on their own servers,
/// so the emulator must not take the measured client's CPU for it: the copy is made when first
/// read, and the documented copy of an upload that is already what the service keeps is only
/// marked (other bytes, the same pixels).
enum ServiceCopy {
    /// A JPEG with a comment segment after its start marker.
    static func marked(_ jpeg: Data, by service: String) -> Data {
        inserted(segment: 0xFE, Array(service.utf8), into: jpeg)
    }

    private static func inserted(segment marker: UInt8, _ payload: [UInt8], into jpeg: Data) -> Data {
        let length = payload.count + 2
        var copy = Data(jpeg.prefix(2))
        copy.append(contentsOf: [0xFF, marker, UInt8(length >> 8), UInt8(length & 0xFF)] + payload)
        copy.append(jpeg.dropFirst(2))
        return copy
    }

    /// Whether an upload is already a JPEG square of at most `side` (exactly `side` when `exact`).
    static func isKept(_ upload: Data, header: ImageHeader, side: Int, exact: Bool) -> Bool {
        header.width == header.height && (exact ? header.width == side : header.width <= side) && upload.starts(with: [0xFF, 0xD8])
    }

    /// The service's documented copy of an upload (the centre square at `side`), made off the
    /// cooperative threads; an upload whose header was fine but whose pixels are not is served as
    /// it came.
    static func documented(_ upload: Data, side: Int, upscale: Bool, pipeline: ImagePipeline) async -> Data {
        let copy = try? await offload {
            try pipeline.render(Photo(bytes: upload, version: nil, origin: "upload"),
                                profiles: [RenditionProfile(side: side, upscale: upscale)]).renditions.first?.bytes
        }
        return copy.flatMap { $0 } ?? upload
    }

    /// The copy `behaviour` (never `random` or `documented`: those are resolved at upload) makes.
    static func made(_ upload: Data, by behaviour: CopyBehaviour) async -> Data {
        let copy = try? await offload { () throws -> Data in
            switch behaviour {
            case .documented, .random, .asUploaded: return upload
            case .samePixels: return marked(upload, by: "sandbox copy")
            case .metadataAdded:
                let exif = Array("Exif\0\0".utf8) + [0x4D, 0x4D, 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00]
                let xmp = Array("http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"/>".utf8)
                return inserted(segment: 0xE1, xmp, into: inserted(segment: 0xE1, exif, into: upload))
            case .metadataDropped: return withoutMetadata(upload)
            case .reencoded(let quality): return try Bitmap(decoding: upload).encoded(as: .jpeg(quality: quality, orientation: nil))
            case .resized(let width, let height):
                return try Bitmap(decoding: upload).scaled(toWidth: width, height: height).encoded(as: .jpeg(quality: 85, orientation: nil))
            case .otherFormat:
                let bitmap = try Bitmap(decoding: upload)
                return try upload.starts(with: [0xFF, 0xD8]) ? bitmap.encoded(as: .png) : bitmap.encoded(as: .jpeg(quality: 90, orientation: nil))
            }
        }
        return copy ?? upload
    }

    /// A JPEG without its APPn and comment segments (what a service that strips metadata keeps).
    static func withoutMetadata(_ jpeg: Data) -> Data {
        let bytes = [UInt8](jpeg)
        guard bytes.starts(with: [0xFF, 0xD8]) else { return jpeg }
        var out: [UInt8] = [0xFF, 0xD8]
        var at = 2
        while at + 4 <= bytes.count, bytes[at] == 0xFF {
            let marker = bytes[at + 1]
            // Start of scan: the image data follows, to the end.
            if marker == 0xDA { break }
            let length = Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
            let isMetadata = (0xE0...0xEF).contains(marker) || marker == 0xFE
            if !isMetadata { out += bytes[at..<min(bytes.count, at + 2 + length)] }
            at += 2 + length
        }
        out += bytes[min(at, bytes.count)...]
        return Data(out)
    }
}

/// A JWT as a token endpoint receives it: decoded header and claims, the signed input and the
/// signature; nil when it is not three base64url parts of JSON.
struct ReceivedJWT {
    let header: [String: Any]
    let claims: [String: Any]
    let signingInput: Data
    let signature: Data

    init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3,
              let headerData = Base64URL.decode(parts[0]), let claimsData = Base64URL.decode(parts[1]),
              let signature = Base64URL.decode(parts[2]),
              let header = (try? JSONSerialization.jsonObject(with: headerData)) as? [String: Any],
              let claims = (try? JSONSerialization.jsonObject(with: claimsData)) as? [String: Any] else { return nil }
        self.header = header
        self.claims = claims
        signingInput = Data((parts[0] + "." + parts[1]).utf8)
        self.signature = signature
    }
}
