import Foundation
import PortraitCore
import PortraitImaging
import Testing

@Suite struct PipelineTests {
    let pipeline = ImagePipeline()

    func photo(_ data: Data, _ origin: String = "test.jpg") -> Photo {
        Photo(bytes: data, version: nil, origin: origin)
    }

    @Test func rendersEverySizeFromOneDecode() throws {
        let source = try SamplePortrait.bitmap(seed: 1, width: 900, height: 1200).encoded(as: .jpeg(quality: 90, orientation: nil))
        let rendered = try pipeline.render(photo(source), profiles: [
            RenditionProfile(side: 648), RenditionProfile(side: 96, maxBytes: 10_240),
        ])
        #expect(rendered.renditions.count == 2)
        #expect(rendered.width == 900 && rendered.height == 1200)
        let large = try Bitmap(decoding: rendered.renditions[0].bytes)
        #expect(large.width == 648 && large.height == 648)
        let small = try Bitmap(decoding: rendered.renditions[1].bytes)
        #expect(small.width == 96 && small.height == 96)
        #expect(rendered.renditions[1].bytes.count <= 10_240)
        #expect(rendered.renditions[0].sha256.count == 64)
        #expect(rendered.renditions[0].sha256 != rendered.renditions[1].sha256)
    }

    @Test func sameInputGivesSameBytes() throws {
        let source = try SamplePortrait.bitmap(seed: 2, width: 600, height: 800).encoded(as: .jpeg(quality: 90, orientation: nil))
        let profiles = [RenditionProfile(side: 240)]
        let first = try pipeline.render(photo(source), profiles: profiles)
        let second = try pipeline.render(photo(source), profiles: profiles)
        #expect(first.renditions[0].sha256 == second.renditions[0].sha256)
    }

    @Test func tightCapIsMetWithTheHighestQualityThatFits() throws {
        let noisy = Bitmap(width: 400, height: 400) { x, y in
            let v = UInt8(truncatingIfNeeded: (x &* 7919) ^ (y &* 104_729) ^ (x &* y))
            return (v, v &+ 85, v &+ 170)
        }
        let source = try noisy.encoded(as: .png)
        let cap = 6_000
        let rendered = try pipeline.render(photo(source, "noise.png"), profiles: [RenditionProfile(side: 96, maxBytes: cap)])
        let rendition = rendered.renditions[0]
        #expect(rendition.bytes.count <= cap)
        #expect(rendition.quality < ImagePipeline.bestQuality)
        // One step of quality higher would not have fitted: the search found the highest.
        let uncapped = try pipeline.render(photo(source, "noise.png"), profiles: [RenditionProfile(side: 96, maxBytes: rendition.bytes.count - 1)])
        #expect(uncapped.renditions[0].quality < rendition.quality)
    }

    @Test func impossibleCapFailsNamingThePhoto() throws {
        let source = try SamplePortrait.bitmap(seed: 3, width: 300, height: 300).encoded(as: .png)
        #expect {
            try pipeline.render(photo(source, "photos/tiny.png"), profiles: [RenditionProfile(side: 96, maxBytes: 200)])
        } throws: { error in
            "\(error)".contains("photos/tiny.png") && "\(error)".contains("max_bytes")
        }
    }

    @Test func neverUpscalesUnlessAllowed() throws {
        let source = try SamplePortrait.bitmap(seed: 4, width: 200, height: 300).encoded(as: .png)
        let rendered = try pipeline.render(photo(source), profiles: [
            RenditionProfile(side: 648), RenditionProfile(side: 648, upscale: true),
        ])
        #expect(rendered.renditions[0].width == 200)
        #expect(rendered.renditions[1].width == 648)
    }

    @Test func attentionCropFollowsTheDetail() throws {
        // A flat wide frame with all the detail at the far right.
        let wide = Bitmap(width: 1200, height: 400) { x, y in
            x > 900 ? (UInt8(truncatingIfNeeded: x * y), UInt8(truncatingIfNeeded: x &+ y * 3), 40) : (128, 128, 128)
        }
        let source = try wide.encoded(as: .png)
        let rendered = try pipeline.render(photo(source), profiles: [
            RenditionProfile(side: 100, crop: .centre), RenditionProfile(side: 100, crop: .attention),
        ])
        let centre = try Bitmap(decoding: rendered.renditions[0].bytes)
        let attention = try Bitmap(decoding: rendered.renditions[1].bytes)
        #expect(centre.pixel(x: 90, y: 50).allSatisfy { abs(Int($0) - 128) < 6 })
        #expect(!attention.pixel(x: 90, y: 50).allSatisfy { abs(Int($0) - 128) < 6 })
    }
}
