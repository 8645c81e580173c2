import CVips
import CVipsShim
import Foundation

/// A 64-bit perceptual hash (pHash) of a photo's centre square: stable when another system
/// re-encodes, recompresses or resizes the photo, different for a different portrait.
public struct PerceptualHash: Sendable, Hashable, CustomStringConvertible {
    public var value: UInt64

    /// Hashes within this many differing bits are taken to be the same portrait.
    public static let sameImageDistance = 6
    /// The most a re-encoded copy's hash may move and still be taken for the image written
    /// (0–2 bits seen over 200 sample portraits). Different head-and-shoulders portraits can come
    /// as close as 4 bits, so `Fingerprint`'s thumbnail decides.
    public static let reencodedDistance = 4
    /// The grid the hash is computed from.
    static let grid = 32

    public init(value: UInt64) { self.value = value }

    /// Parses the 16-digit hex form written by `description`.
    public init?(hex: String) {
        guard hex.count == 16, let value = UInt64(hex, radix: 16) else { return nil }
        self.value = value
    }

    public var description: String {
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    public func distance(to other: PerceptualHash) -> Int { (value ^ other.value).nonzeroBitCount }

    public func isSameImage(as other: PerceptualHash) -> Bool { distance(to: other) <= Self.sameImageDistance }

    /// pHash: the low frequencies of a grey 32×32 copy (a DCT), each bit saying whether a
    /// coefficient is above their median. Recompression and resizing change fine detail, not
    /// these, where a pixel-difference hash flips bits in flat areas.
    /// From the square already shrunk to `grid`×`grid` (converting 32×32 pixels to grey costs
    /// nothing, a whole photo's does).
    init(ofShrunk shrunk: VipsImageRef) throws {
        let n = Self.grid
        let small = try shrunk.apply { pv_colourspace($0, $1, VIPS_INTERPRETATION_B_W) }
        guard small.width >= n, small.height >= n else { throw VipsFailure(message: "image too small to hash") }
        let pixels = try small.pixels()
        let bands = small.bands
        var samples = [Double](repeating: 0, count: n * n)
        for y in 0..<n {
            for x in 0..<n {
                samples[y * n + x] = Double(pixels[(y * small.width + x) * bands])
            }
        }
        // cos((2i + 1)uπ / 2n) for the 8 lowest frequencies.
        let basis = (0..<8).map { u in (0..<n).map { i in cos(Double((2 * i + 1) * u) * Double.pi / Double(2 * n)) } }
        var coefficients = [Double](repeating: 0, count: 64)
        for v in 0..<8 {
            // Rows first, then columns: 8·n·n + 8·8·n multiplications instead of 64·n·n.
            var rows = [Double](repeating: 0, count: n)
            for y in 0..<n {
                var sum = 0.0
                for x in 0..<n { sum += samples[y * n + x] * basis[v][x] }
                rows[y] = sum
            }
            for u in 0..<8 {
                var sum = 0.0
                for y in 0..<n { sum += rows[y] * basis[u][y] }
                coefficients[u * 8 + v] = sum
            }
        }
        // The first coefficient is the mean brightness: it says nothing about the picture.
        let median = coefficients.dropFirst().sorted()[31]
        var value: UInt64 = 0
        for coefficient in coefficients {
            value = (value << 1) | (coefficient > median ? 1 : 0)
        }
        self.value = value
    }
}
