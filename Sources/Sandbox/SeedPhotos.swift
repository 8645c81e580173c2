import Foundation
import PortraitImaging

/// The photos users start with: small sample portraits, made on first read.
enum SeedPhotos {
    static let side = 240

    static func jpeg(seed: Int, side: Int = side) throws -> Data {
        try SamplePortrait.bitmap(seed: seed, width: side, height: side).encoded(as: .jpeg(quality: 85, orientation: nil))
    }
}
