import CVips
import CVipsShim
import Foundation

/// What Portrait remembers of an image, to recognise it in another system's copy (re-encoded,
/// resized, recompressed, served in another format): its brightness on a 32×32 grid and its
/// colour on a 16×16 one, as JPEG's own YCbCr.
///
/// Compared cell by cell, not by a hash: a hash's bits sit near their threshold on flat,
/// low-texture portraits and flip under JPEG alone, while a copy's cells stay within a few levels
/// of the original's everywhere — and two photos that share a backdrop still differ by tens of
/// levels where the people are.
public struct Fingerprint: Sendable, Hashable, CustomStringConvertible {
    static let side = 32
    static let chromaSide = 16
    /// 32×32 luma samples, row by row.
    public var luma: [UInt8]
    /// 16×16 pairs of Cb and Cr, row by row.
    public var chroma: [UInt8]

    /// The most a copy's mean luma may differ (0–255): JPEG at quality 60 of a 96 px copy stays
    /// under 2 (ARCHITECTURE, "Recognising Portrait's own write").
    static let meanLuma = 4.0
    static let meanChroma = 4.0
    /// A cell differing by more than this is a change in the picture, not in its encoding…
    static let farLuma = 28
    static let farChroma = 20
    /// …and a copy has at most this many such cells.
    static let farCells = 4

    public init(luma: [UInt8], chroma: [UInt8]) {
        precondition(luma.count == Self.side * Self.side && chroma.count == Self.chromaSide * Self.chromaSide * 2)
        self.luma = luma
        self.chroma = chroma
    }

    /// The fingerprint of a whole image (8-bit sRGB or grey), scaled to the grid.
    init(of image: VipsImageRef) throws {
        let side = Self.side
        let small = try image.apply { pv_resize($0, $1, Double(side) / Double(image.width), Double(side) / Double(image.height)) }
        guard small.width >= side, small.height >= side else { throw VipsFailure(message: "image too small to fingerprint") }
        let pixels = try small.pixels()
        let bands = small.bands
        var luma = [UInt8](repeating: 0, count: side * side)
        var cb = [Double](repeating: 0, count: side * side)
        var cr = [Double](repeating: 0, count: side * side)
        for y in 0..<side {
            for x in 0..<side {
                let offset = (y * small.width + x) * bands
                let (r, g, b) = bands >= 3
                    ? (Double(pixels[offset]), Double(pixels[offset + 1]), Double(pixels[offset + 2]))
                    : (Double(pixels[offset]), Double(pixels[offset]), Double(pixels[offset]))
                // JPEG's (JFIF's) YCbCr.
                luma[y * side + x] = Self.clamped(0.299 * r + 0.587 * g + 0.114 * b)
                cb[y * side + x] = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
                cr[y * side + x] = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b
            }
        }
        var chroma: [UInt8] = []
        chroma.reserveCapacity(Self.chromaSide * Self.chromaSide * 2)
        for y in 0..<Self.chromaSide {
            for x in 0..<Self.chromaSide {
                let cells = [(2 * y) * side + 2 * x, (2 * y) * side + 2 * x + 1, (2 * y + 1) * side + 2 * x, (2 * y + 1) * side + 2 * x + 1]
                chroma.append(Self.clamped(cells.reduce(0) { $0 + cb[$1] } / 4))
                chroma.append(Self.clamped(cells.reduce(0) { $0 + cr[$1] } / 4))
            }
        }
        self.luma = luma
        self.chroma = chroma
    }

    private static func clamped(_ value: Double) -> UInt8 { UInt8(max(0, min(255, value.rounded()))) }

    /// How far another image is from this one.
    public struct Difference: Sendable, CustomStringConvertible {
        /// Mean absolute differences per sample (0–255).
        public var meanLuma: Double
        public var meanChroma: Double
        /// Cells that differ by more than encoding or resizing moves them.
        public var farCells: Int

        public var description: String {
            String(format: "luma %.2f, chroma %.2f, %d cells apart", meanLuma, meanChroma, farCells)
        }
    }

    public func difference(from other: Fingerprint) -> Difference {
        var lumaTotal = 0, chromaTotal = 0, far = 0
        for (a, b) in zip(luma, other.luma) {
            let delta = abs(Int(a) - Int(b))
            lumaTotal += delta
            if delta > Self.farLuma { far += 1 }
        }
        for (a, b) in zip(chroma, other.chroma) {
            let delta = abs(Int(a) - Int(b))
            chromaTotal += delta
            if delta > Self.farChroma { far += 1 }
        }
        return Difference(meanLuma: Double(lumaTotal) / Double(luma.count), meanChroma: Double(chromaTotal) / Double(chroma.count),
                          farCells: far)
    }

    /// Whether `other` is this very image as a service keeps it — strictly: a different photo,
    /// however alike, is not. The same two fingerprints always give the same answer.
    public func isCopy(of other: Fingerprint) -> Bool {
        let difference = difference(from: other)
        return difference.meanLuma <= Self.meanLuma && difference.meanChroma <= Self.meanChroma && difference.farCells <= Self.farCells
    }

    /// `v2:` and the samples in base64; nil for anything else (fingerprints of store v6 and
    /// before were perceptual hashes, which the verdict no longer trusts).
    public init?(text: String) {
        guard text.hasPrefix("v2:"), let data = Data(base64Encoded: String(text.dropFirst(3))),
              data.count == Self.side * Self.side + Self.chromaSide * Self.chromaSide * 2 else { return nil }
        let bytes = Array(data)
        luma = Array(bytes[..<(Self.side * Self.side)])
        chroma = Array(bytes[(Self.side * Self.side)...])
    }

    public var description: String { "v2:" + Data(luma + chroma).base64EncodedString() }
}
