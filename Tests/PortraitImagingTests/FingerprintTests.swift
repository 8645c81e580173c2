import Foundation
import PortraitCore
import PortraitImaging
import Sandbox
import TestPhotographs
import Testing

/// The verdict "this account shows Portrait's write" rests on `Fingerprint`: every copy a service
/// can make of every kind of photo must be recognised, and no other photo ever taken for one.
/// Properties over every photo kind × every copy behaviour of the sandbox, with fixed seeds: a
/// failure names the kind, seed and behaviour to re-run.
@Suite struct FingerprintTests {
    /// Graph's and AD's renditions: 648 px, and 96 px within 10 KB.
    static let profiles = [RenditionProfile(side: 648), RenditionProfile(side: 96, maxBytes: 10_240)]
    static let seeds = 0..<6
    let pipeline = ImagePipeline()

    // Decoding and drawing run on Dispatch's threads (`offload`), as the product's do: minutes of
    // CPU on Swift concurrency's two threads here would starve the sandboxes other suites serve
    // in this process.

    /// Whether a copy is taken for the write (as `OwnWrite` asks), and how far its nearest reading is.
    func judged(_ copy: Data, against written: Fingerprint) async throws -> (isCopy: Bool, difference: Fingerprint.Difference) {
        let readings = try await offload { [pipeline] in try pipeline.fingerprints(of: Photo(bytes: copy, version: nil, origin: "copy")) }
        let nearest = readings.map { $0.difference(from: written) }.min { $0.farCells < $1.farCells }!
        return (readings.contains { $0.isCopy(of: written) }, nearest)
    }

    func rendered(_ kind: PhotoKind, seed: Int) async throws -> RenderedPhoto {
        try await rendered(try await offload { try kind.photo(seed: seed) }, origin: "\(kind) \(seed)")
    }

    func rendered(_ bytes: Data, origin: String) async throws -> RenderedPhoto {
        try await offload { [pipeline] in try pipeline.render(Photo(bytes: bytes, version: nil, origin: origin), profiles: Self.profiles) }
    }

    func master(_ bytes: Data) async throws -> Master {
        try await offload { [pipeline] in try pipeline.master(of: Photo(bytes: bytes, version: nil, origin: "master")) }
    }

    @Test(arguments: PhotoKind.allCases)
    func everyCopyOfAWriteIsRecognised(kind: PhotoKind) async throws {
        var worst: (Double, String) = (0, "")
        for seed in Self.seeds {
            let rendered = try await rendered(kind, seed: seed)
            for (index, rendition) in rendered.renditions.enumerated() {
                let written = rendered.fingerprints[index]
                #expect(Fingerprint(text: written.description) == written)
                for behaviour in CopyBehaviour.sweep {
                    let copy = await behaviour.copy(of: rendition.bytes, side: rendition.width, seed: UInt64(seed))
                    let (isCopy, difference) = try await judged(copy, against: written)
                    if difference.meanLuma > worst.0 { worst = (difference.meanLuma, "seed \(seed) at \(rendition.width) px, \(behaviour): \(difference)") }
                    #expect(isCopy,
                            "\(kind) seed \(seed), \(rendition.width) px rendition, copy \(behaviour): \(difference)")
                }
            }
        }
        print("\(kind): the copy furthest from its write: \(worst.1)")
    }

    /// Sync knows a photo elsewhere by its master: a service's copy of a rendition made from the
    /// master is that photo.
    @Test(arguments: PhotoKind.allCases)
    func aMasterKnowsTheCopiesOfItsRenditions(kind: PhotoKind) async throws {
        for seed in Self.seeds {
            let kept = try await master(try await offload { try kind.photo(seed: seed) })
            let rendered = try await rendered(kept.jpeg, origin: "master")
            for rendition in rendered.renditions {
                for behaviour in CopyBehaviour.sweep {
                    let copy = await behaviour.copy(of: rendition.bytes, side: rendition.width, seed: UInt64(seed))
                    let seen = try await master(copy).readings
                    #expect(seen.contains { $0.isCopy(of: kept.fingerprint) },
                            "\(kind) seed \(seed), \(rendition.width) px, \(behaviour): \(seen.map { $0.difference(from: kept.fingerprint) })")
                }
            }
        }
    }

    @Test(arguments: PhotoKind.allCases)
    func differentPhotosAreNeverCopies(kind: PhotoKind) async throws {
        var photos: [RenderedPhoto] = []
        for seed in 0..<10 { photos.append(try await rendered(kind, seed: seed)) }
        var closest: (Int, String) = (Int.max, "")
        for (a, first) in photos.enumerated() {
            for (b, second) in photos.enumerated() where a != b {
                for index in Self.profiles.indices {
                    // The other photo as a service might keep it, against this one's write.
                    for behaviour in [CopyBehaviour.asUploaded, .reencoded(quality: 60), .resized(width: 96, height: 96)] {
                        let copy = await behaviour.copy(of: second.renditions[index].bytes, side: second.renditions[index].width)
                        let (isCopy, difference) = try await judged(copy, against: first.fingerprints[index])
                        if difference.farCells < closest.0 { closest = (difference.farCells, "seeds \(a) and \(b): \(difference)") }
                        #expect(!isCopy,
                                "\(kind) seed \(b) (\(behaviour)) taken for seed \(a) at \(Self.profiles[index].side) px: \(difference)")
                    }
                }
            }
        }
        print("\(kind): the closest two different photos: \(closest.1)")
    }

    @Test(arguments: 0..<8)
    func lookalikesAreNeverCopies(seed: Int) async throws {
        for pair in try await offload({ try PhotoKind.lookalikes(seed: seed) }) {
            let first = try await rendered(pair.first, origin: "a")
            let second = try await rendered(pair.second, origin: "b")
            for index in Self.profiles.indices {
                for behaviour in [CopyBehaviour.asUploaded, .reencoded(quality: 60), .resized(width: 96, height: 96)] {
                    let copy = await behaviour.copy(of: second.renditions[index].bytes, side: second.renditions[index].width)
                    let (isCopy, difference) = try await judged(copy, against: first.fingerprints[index])
                    #expect(!isCopy,
                            "\(pair.name), seed \(seed), \(Self.profiles[index].side) px, \(behaviour): \(difference)")
                }
            }
            let masters = [try await master(pair.first).fingerprint, try await master(pair.second).fingerprint]
            #expect(!masters[1].isCopy(of: masters[0]), "\(pair.name), seed \(seed): masters \(masters[1].difference(from: masters[0]))")
        }
    }

    @Test func textRoundTripsAndOlderFormsAreRefused() async throws {
        let fingerprint = try await rendered(.sample, seed: 1).fingerprints[0]
        #expect(Fingerprint(text: fingerprint.description) == fingerprint)
        // A perceptual hash and thumbnail, as store v6 kept them.
        #expect(Fingerprint(text: "00abcdef01234567:AAAA") == nil)
        #expect(Fingerprint(text: "v2:AAAA") == nil)
    }
}
