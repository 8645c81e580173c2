import Foundation
import PortraitCore
import PortraitImaging
import Testing

@Suite struct PerceptualHashTests {
    let pipeline = ImagePipeline()

    func hash(_ data: Data) throws -> PerceptualHash {
        try pipeline.fingerprint(of: Photo(bytes: data, version: nil, origin: "p")).hash
    }

    @Test func survivesReencodeAndResize() throws {
        let original = try SamplePortrait.bitmap(seed: 11, width: 1200, height: 1600).encoded(as: .jpeg(quality: 92, orientation: nil))
        let rendered = try pipeline.render(Photo(bytes: original, version: nil, origin: "a"), profiles: [
            RenditionProfile(side: 648), RenditionProfile(side: 96, maxBytes: 4_000),
        ])
        // What another system might store: our 648 rendition re-encoded at low quality, and our 96.
        let recompressed = try Bitmap(decoding: rendered.renditions[0].bytes).encoded(as: .jpeg(quality: 40, orientation: nil))
        for copy in [rendered.renditions[0].bytes, rendered.renditions[1].bytes, recompressed] {
            let other = try hash(copy)
            #expect(other.isSameImage(as: rendered.perceptualHash!), "distance \(other.distance(to: rendered.perceptualHash!))")
        }
        let direct = try hash(original)
        #expect(direct.isSameImage(as: rendered.perceptualHash!), "distance \(direct.distance(to: rendered.perceptualHash!))")
    }

    @Test func differsForDifferentPortraits() throws {
        let hashes = try (20..<30).map { seed in
            try hash(try SamplePortrait.bitmap(seed: seed, width: 300, height: 400).encoded(as: .png))
        }
        for (i, a) in hashes.enumerated() {
            for b in hashes[(i + 1)...] {
                #expect(!a.isSameImage(as: b), "distance \(a.distance(to: b))")
            }
        }
    }

    @Test func aFingerprintKnowsARenditionReencodedAndNoOtherPortrait() throws {
        var ours: [Fingerprint] = []
        for seed in 40..<70 {
            let original = try SamplePortrait.bitmap(seed: seed, width: 300, height: 400).encoded(as: .jpeg(quality: 90, orientation: nil))
            let rendered = try pipeline.render(Photo(bytes: original, version: nil, origin: "a"), profiles: [RenditionProfile(side: 648)])
            let fingerprint = try #require(rendered.fingerprints[.centre])
            // What a service keeps: our rendition decoded and re-encoded lower.
            let stored = try Bitmap(decoding: rendered.renditions[0].bytes).encoded(as: .jpeg(quality: 75, orientation: nil))
            let theirs = try pipeline.fingerprint(of: Photo(bytes: stored, version: nil, origin: "b"))
            #expect(theirs.isCopy(of: fingerprint), "difference \(theirs.difference(from: fingerprint) ?? -1)")
            #expect(Fingerprint(text: fingerprint.description) == fingerprint)
            ours.append(fingerprint)
        }
        for (i, a) in ours.enumerated() {
            for b in ours[(i + 1)...] { #expect(!a.isCopy(of: b), "difference \(a.difference(from: b) ?? -1)") }
        }
    }

    @Test func hexRoundTrips() {
        let hash = PerceptualHash(value: 0x00ab_cdef_0123_4567)
        #expect(hash.description == "00abcdef01234567")
        #expect(PerceptualHash(hex: hash.description) == hash)
        #expect(PerceptualHash(hex: "xyz") == nil)
    }
}
