import Foundation
import PortraitCore
import PortraitImaging
import Testing

/// Every EXIF orientation must come out upright: checked on pixels, not only on sizes.
@Suite struct OrientationTests {
    /// Upright, the frame is 300×400: red top-left, green top-right, blue bottom-left, white
    /// bottom-right.
    static let width = 300
    static let height = 400

    static func upright(_ x: Int, _ y: Int) -> (UInt8, UInt8, UInt8) {
        switch (x < width / 2, y < height / 2) {
        case (true, true): (255, 0, 0)
        case (false, true): (0, 255, 0)
        case (true, false): (0, 0, 255)
        case (false, false): (255, 255, 255)
        }
    }

    /// The stored pixels that a viewer honouring `orientation` shows as `upright`.
    static func stored(orientation: Int) -> Bitmap {
        let (w, h) = (width, height)
        let swaps = orientation >= 5
        let storedWidth = swaps ? h : w
        let storedHeight = swaps ? w : h
        var samples = Data(count: storedWidth * storedHeight * 3)
        for y in 0..<h {
            for x in 0..<w {
                let (sx, sy): (Int, Int) = switch orientation {
                case 2: (w - 1 - x, y)
                case 3: (w - 1 - x, h - 1 - y)
                case 4: (x, h - 1 - y)
                case 5: (y, x)
                case 6: (y, w - 1 - x)
                case 7: (h - 1 - y, w - 1 - x)
                case 8: (h - 1 - y, x)
                default: (x, y)
                }
                let (r, g, b) = upright(x, y)
                let offset = (sy * storedWidth + sx) * 3
                samples[offset] = r
                samples[offset + 1] = g
                samples[offset + 2] = b
            }
        }
        return Bitmap(width: storedWidth, height: storedHeight, colour: .rgb, samples: samples)
    }

    @Test(arguments: 1...8)
    func comesOutUpright(orientation: Int) throws {
        let jpeg = try Self.stored(orientation: orientation).encoded(as: .jpeg(quality: 95, orientation: orientation))
        let rendered = try ImagePipeline().render(
            Photo(bytes: jpeg, version: nil, origin: "o\(orientation).jpg"),
            profiles: [RenditionProfile(side: 300)]
        )
        #expect(rendered.width == Self.width && rendered.height == Self.height)
        let out = try Bitmap(decoding: rendered.renditions[0].bytes)
        #expect(out.width == 300 && out.height == 300)
        // The centre square spans upright rows 50–350: quadrants meet at (150, 150).
        func isColour(_ x: Int, _ y: Int, _ expected: (Int, Int, Int)) -> Bool {
            let p = out.pixel(x: x, y: y).map(Int.init)
            return abs(p[0] - expected.0) < 40 && abs(p[1] - expected.1) < 40 && abs(p[2] - expected.2) < 40
        }
        #expect(isColour(60, 60, (255, 0, 0)), "top-left should be red")
        #expect(isColour(240, 60, (0, 255, 0)), "top-right should be green")
        #expect(isColour(60, 240, (0, 0, 255)), "bottom-left should be blue, is \(out.pixel(x: 60, y: 240))")
        #expect(isColour(240, 240, (255, 255, 255)), "bottom-right should be white")
    }
}
