import CVips
import CVipsShim

/// A 64-bit difference hash (dHash) of a photo's centre square: stable when another system
/// re-encodes, recompresses or resizes the photo, different for a different portrait.
public struct PerceptualHash: Sendable, Hashable, CustomStringConvertible {
    public var value: UInt64

    /// Hashes within this many differing bits are taken to be the same portrait.
    public static let sameImageDistance = 6
    /// The smallest square the hash is computed from.
    static let side = 9

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

    /// Grey 9×8 thumbnail; each bit says whether a pixel is brighter than its right neighbour.
    init(of square: VipsImageRef) throws {
        let grey = try square.apply { pv_colourspace($0, $1, VIPS_INTERPRETATION_B_W) }
        let small = try grey.apply { pv_resize($0, $1, 9.0 / Double(grey.width), 8.0 / Double(grey.height)) }
        let pixels = try small.pixels()
        let width = small.width
        guard width >= 9, small.height >= 8, small.bands >= 1 else {
            throw VipsFailure(message: "image too small to hash")
        }
        let bands = small.bands
        var value: UInt64 = 0
        for y in 0..<8 {
            for x in 0..<8 {
                let left = pixels[(y * width + x) * bands]
                let right = pixels[(y * width + x + 1) * bands]
                value = (value << 1) | (left > right ? 1 : 0)
            }
        }
        self.value = value
    }
}
