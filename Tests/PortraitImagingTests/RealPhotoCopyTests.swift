import Foundation
import PortraitCore
import PortraitImaging
import TestPhotographs
import Testing

/// Whether a photo is a copy of a kept one decides whether sync publishes it, so the test runs on
/// real photographs (scripts/real-photos.sh fetches them): every copy a service or a person would
/// make — 96, 240 and 648 px, JPEG quality 60 to 95 — is the same photo; every other photo is
/// not, also four people photographed before one backdrop and three photos of one man.
@Suite struct RealPhotoCopyTests {
    static let sides = [96, 240, 648]
    static let qualities = [60, 70, 80, 90, 95]
    let pipeline = ImagePipeline()

    /// The photographs (the JPEGs: the PNGs are not portraits).
    static func photos() throws -> [URL] { try RealPhotos.all().filter { $0.pathExtension == "jpg" } }

    func photo(_ url: URL) throws -> Photo { try RealPhotos.photo(at: url) }

    @Test func everyCopyOfARealPortraitIsTheSamePhoto() throws {
        let photos = try Self.photos()
        #expect(photos.count == 9)
        var worst = 0.0, worstCells = 0
        for url in photos {
            let original = try photo(url)
            let kept = try pipeline.master(of: original).fingerprint
            for side in Self.sides {
                let rendition = try pipeline.render(original, profiles: [RenditionProfile(side: side)]).renditions[0].bytes
                let decoded = try Bitmap(decoding: rendition)
                for quality in Self.qualities {
                    let copy = try decoded.encoded(as: .jpeg(quality: quality, orientation: nil))
                    let seen = try pipeline.master(of: Photo(bytes: copy, version: nil, origin: "copy")).fingerprint
                    let difference = seen.difference(from: kept)
                    worst = max(worst, difference.meanLuma)
                    worstCells = max(worstCells, difference.farCells)
                    #expect(seen.isCopy(of: kept), "\(url.lastPathComponent) at \(side) px, Q\(quality): \(difference)")
                }
            }
        }
        print("copies of \(photos.count) real photos at \(Self.sides) px, Q\(Self.qualities): largest mean luma difference \(worst), most cells apart \(worstCells)")
    }

    @Test func differentRealPhotosAreNeverCopies() throws {
        let photos = try Self.photos()
        let kept = try photos.map { try pipeline.master(of: try photo($0)).fingerprint }
        var closest = Double.infinity, closestCells = Int.max
        for (a, first) in kept.enumerated() {
            for (b, second) in kept.enumerated() where a != b {
                let difference = first.difference(from: second)
                closest = min(closest, difference.meanLuma)
                closestCells = min(closestCells, difference.farCells)
                #expect(!first.isCopy(of: second), "\(photos[a].lastPathComponent) taken for a copy of \(photos[b].lastPathComponent)")
            }
        }
        print("\(photos.count) different real photos, every pair: smallest mean luma difference \(closest), fewest cells apart \(closestCells)")
    }
}
