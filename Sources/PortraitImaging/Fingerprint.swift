import CVips
import CVipsShim
import Foundation

/// What Portrait remembers of a rendition it wrote, to recognise it after another system
/// re-encodes it: the perceptual hash, and an 8×8 colour thumbnail. The hash alone is too
/// coarse for head-and-shoulders portraits, whose layouts are alike (different people come
/// within 4 bits); the thumbnail's colours tell them apart.
public struct Fingerprint: Sendable, Hashable, CustomStringConvertible {
    public var hash: PerceptualHash
    /// 8×8 sRGB pixels, row by row; empty for fingerprints stored before thumbnails were.
    public var thumbnail: [UInt8]

    static let side = 8
    /// The largest mean difference per colour sample (0–255) between a rendition and a
    /// re-encoded copy of it.
    public static let copyDifference = 6.0

    /// One shrink of the square to 32×32 serves both: the hash from its grey, the thumbnail
    /// from its 4×4 blocks.
    init(of square: VipsImageRef) throws {
        let grid = PerceptualHash.grid
        let shrunk = try square.apply { pv_resize($0, $1, Double(grid) / Double(square.width), Double(grid) / Double(square.height)) }
        hash = try PerceptualHash(ofShrunk: shrunk)
        let pixels = try shrunk.pixels()
        let (bands, width, block) = (shrunk.bands, shrunk.width, grid / Self.side)
        var thumbnail: [UInt8] = []
        for y in 0..<Self.side {
            for x in 0..<Self.side {
                for band in 0..<3 {
                    var sum = 0
                    for dy in 0..<block {
                        for dx in 0..<block {
                            sum += Int(pixels[((y * block + dy) * width + x * block + dx) * bands + min(band, bands - 1)])
                        }
                    }
                    thumbnail.append(UInt8(sum / (block * block)))
                }
            }
        }
        self.thumbnail = thumbnail
    }

    /// Parses `description`: the hash in hex, then `:` and the thumbnail in base64.
    public init?(text: String) {
        let parts = text.split(separator: ":", maxSplits: 1)
        guard let first = parts.first, let hash = PerceptualHash(hex: String(first)) else { return nil }
        self.hash = hash
        thumbnail = parts.count > 1 ? Data(base64Encoded: String(parts[1])).map(Array.init) ?? [] : []
    }

    public var description: String {
        thumbnail.isEmpty ? hash.description : "\(hash):\(Data(thumbnail).base64EncodedString())"
    }

    /// The mean difference per colour sample, or nil when either has no thumbnail.
    public func difference(from other: Fingerprint) -> Double? {
        guard thumbnail.count == other.thumbnail.count, !thumbnail.isEmpty else { return nil }
        let total = zip(thumbnail, other.thumbnail).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }
        return Double(total) / Double(thumbnail.count)
    }

    /// Whether `other` is this very image as a service re-encoded it — strictly: a different
    /// photo, however alike, is not.
    public func isCopy(of other: Fingerprint) -> Bool {
        guard hash.distance(to: other.hash) <= PerceptualHash.reencodedDistance else { return false }
        guard let difference = difference(from: other) else { return hash.distance(to: other.hash) <= 2 }
        return difference <= Self.copyDifference
    }
}
