import Foundation
import PortraitCore
import PortraitImaging

/// The kinds of photo the convergence properties sweep: what schools and HR deliver besides
/// textured photographs — plain studio backdrops, blurred shots, near-uniform frames, greyscale,
/// PNGs with transparency — each seed a different person, drawn from scratch (no luck in which
/// photos happen to be fetched).
public enum PhotoKind: String, CaseIterable, Sendable, CustomStringConvertible {
    /// Portrait's own sample portraits (`SamplePortrait`), as the demo and benchmarks use.
    case sample
    /// A plain backdrop and soft light, no grain: most DCT coefficients sit near their median.
    case flatBackdrop
    /// A studio shot out of focus.
    case blurred
    /// Almost one colour: the person a few levels off the backdrop.
    case nearUniform
    case greyscale
    /// A PNG whose backdrop is transparent.
    case pngWithAlpha

    public var description: String { rawValue }

    /// The photo of seed `seed` as a file would hold it.
    public func photo(seed: Int, width: Int = 640, height: Int = 640) throws -> Data {
        switch self {
        case .sample:
            return try SamplePortrait.bitmap(seed: seed, width: width, height: height).encoded(as: .jpeg(quality: 90, orientation: nil))
        case .flatBackdrop:
            return try Sitting(seed: seed).bitmap(width: width, height: height).encoded(as: .jpeg(quality: 92, orientation: nil))
        case .blurred:
            let sharp = Sitting(seed: seed).bitmap(width: width, height: height)
            return try sharp.scaled(toWidth: width / 12, height: height / 12).scaled(toWidth: width, height: height)
                .encoded(as: .jpeg(quality: 90, orientation: nil))
        case .nearUniform:
            return try Sitting(seed: seed, contrast: 0.035).bitmap(width: width, height: height).encoded(as: .jpeg(quality: 92, orientation: nil))
        case .greyscale:
            let colour = Sitting(seed: seed).bitmap(width: width, height: height)
            let grey = Data(stride(from: 0, to: colour.samples.count, by: 3).map { i -> UInt8 in
                let (r, g, b) = (Double(colour.samples[i]), Double(colour.samples[i + 1]), Double(colour.samples[i + 2]))
                return UInt8(min(255, (0.299 * r + 0.587 * g + 0.114 * b).rounded()))
            })
            return try Bitmap(width: width, height: height, colour: .grey, samples: grey).encoded(as: .jpeg(quality: 90, orientation: nil))
        case .pngWithAlpha:
            let sitting = Sitting(seed: seed)
            let colour = sitting.bitmap(width: width, height: height)
            var rgba = Data(capacity: width * height * 4)
            for y in 0..<height {
                for x in 0..<width {
                    let i = (y * width + x) * 3
                    rgba.append(contentsOf: colour.samples[i..<i + 3])
                    rgba.append(sitting.isPerson(Double(x) / Double(width), Double(y) / Double(height)) ? 255 : 0)
                }
            }
            return try Bitmap(width: width, height: height, colour: .rgba, samples: rgba).encoded(as: .png)
        }
    }

    /// Pairs of different photos that are alike on purpose: two people before one backdrop, one
    /// layout in other colours, one person photographed again (moved, nearer, other light).
    public static func lookalikes(seed: Int, width: Int = 640) throws -> [(name: String, first: Data, second: Data)] {
        let sitting = Sitting(seed: seed)
        var otherPerson = Sitting(seed: seed + 5_000)
        otherPerson.backdrop = sitting.backdrop
        var recoloured = sitting
        recoloured.backdrop = (sitting.backdrop.1, sitting.backdrop.2, sitting.backdrop.0)
        recoloured.shirt = (sitting.shirt.2, sitting.shirt.0, sitting.shirt.1)
        var again = sitting
        again.head.x += 0.05
        again.head.rx *= 1.08
        again.head.ry *= 1.08
        again.light += 1.2
        func jpeg(_ sitting: Sitting) throws -> Data {
            try sitting.bitmap(width: width, height: width).encoded(as: .jpeg(quality: 92, orientation: nil))
        }
        return [("two people before one backdrop", try jpeg(sitting), try jpeg(otherPerson)),
                ("one layout in other colours", try jpeg(sitting), try jpeg(recoloured)),
                ("one person photographed again", try jpeg(sitting), try jpeg(again))]
    }
}

/// One studio sitting: a backdrop lit from one side, and a person; nothing random once made.
struct Sitting {
    typealias Colour = (Double, Double, Double)
    var backdrop: (Double, Double, Double)
    var light: Double
    var skin: Colour, hair: Colour, shirt: Colour
    var head: (x: Double, y: Double, rx: Double, ry: Double)
    var shoulders: Double
    /// How far the person's colours are from the backdrop's (1: as drawn).
    var contrast: Double

    init(seed: Int, contrast: Double = 1) {
        var random = SeededRandom(seed: UInt64(truncatingIfNeeded: seed) &* 7919 &+ 17)
        func unit() -> Double { random.unit() }
        // Backdrop colours a palette step apart, so that two sittings never share one by chance.
        backdrop = (0.15 + 0.7 * unit(), 0.15 + 0.7 * unit(), 0.15 + 0.7 * unit())
        light = unit() * 2 * Double.pi
        skin = (0.55 + 0.4 * unit(), 0.4 + 0.35 * unit(), 0.3 + 0.3 * unit())
        hair = (0.4 * unit(), 0.3 * unit(), 0.25 * unit())
        shirt = (unit(), unit(), unit())
        head = (0.5 + 0.2 * (unit() - 0.5), 0.38 + 0.1 * (unit() - 0.5), 0.14 + 0.07 * unit(), 0.18 + 0.07 * unit())
        shoulders = 0.3 + 0.2 * unit()
        self.contrast = contrast
    }

    func isPerson(_ x: Double, _ y: Double) -> Bool { colour(x, y).person }

    private func colour(_ x: Double, _ y: Double) -> (rgb: Colour, person: Bool) {
        func inEllipse(_ cx: Double, _ cy: Double, _ rx: Double, _ ry: Double) -> Bool {
            let (dx, dy) = ((x - cx) / rx, (y - cy) / ry)
            return dx * dx + dy * dy <= 1
        }
        let t = max(0, min(1, 0.5 + 0.5 * ((x - 0.5) * cos(light) + (y - 0.5) * sin(light))))
        let back = (backdrop.0 * (1 - 0.3 * t), backdrop.1 * (1 - 0.3 * t), backdrop.2 * (1 - 0.3 * t))
        var drawn: Colour
        if inEllipse(head.x, head.y - head.ry * 0.35, head.rx * 1.08, head.ry * 0.8) && y < head.y - head.ry * 0.2 {
            drawn = hair
        } else if inEllipse(head.x, head.y, head.rx, head.ry) {
            drawn = skin
            let eyeY = head.y - head.ry * 0.15
            if inEllipse(head.x - head.rx * 0.4, eyeY, head.rx * 0.12, head.ry * 0.07) || inEllipse(head.x + head.rx * 0.4, eyeY, head.rx * 0.12, head.ry * 0.07) {
                drawn = (0.1, 0.1, 0.15)
            }
        } else if inEllipse(head.x, 1.05, shoulders, 0.42) {
            drawn = shirt
        } else {
            return (back, false)
        }
        // Soft shading across the person, as studio light gives.
        let shade = 1 - 0.15 * t
        let mixed = (back.0 + (drawn.0 * shade - back.0) * contrast, back.1 + (drawn.1 * shade - back.1) * contrast,
                     back.2 + (drawn.2 * shade - back.2) * contrast)
        return (mixed, true)
    }

    func bitmap(width: Int, height: Int) -> Bitmap {
        func channel(_ value: Double) -> UInt8 { UInt8(max(0, min(255, (value * 255).rounded()))) }
        return Bitmap(width: width, height: height) { px, py in
            let (rgb, _) = colour(Double(px) / Double(width), Double(py) / Double(height))
            return (channel(rgb.0), channel(rgb.1), channel(rgb.2))
        }
    }
}
