import Foundation
import PortraitCore
@testable import PortraitImaging
import TestPhotographs
import Testing

/// Face crop and guideline verdicts on real photographs (scripts/real-photos.sh) and on negatives
/// made from them or drawn here.
@Suite struct FaceTests {
    let pipeline = ImagePipeline()
    static let facing = RenditionProfile(side: 256, crop: .face)

    /// Portraits with one frontal face, which meet the default guidelines.
    static let portraits = ["feat-0-f1-su-ph.jpg", "feat-0-f15-hao-ph.jpg", "feat-15-f13-anc-ph.jpg", "feat-single_face.jpg",
                            "fr-biden.jpg", "fr-obama.jpg", "fr-obama2.jpg", "fr-obama3.jpg"]

    /// Every photo, real and made, with the reasons it fails the default guidelines (each reason's
    /// words before its figures). Where a photo sits on a guideline's edge, either verdict is right.
    static func cases() throws -> [(name: String, photo: Photo, reasons: Set<[String]>)] {
        var cases = try portraits.map { ($0, try RealPhotos.photo($0), Set([[String]()])) }
        cases += [
            // Half-length: her face a fifth of the width, on the line.
            ("sk-astronaut.png", try RealPhotos.photo("sk-astronaut.png"), [[], ["face too small"]]),
            // A man seen from the side, behind his camera: no portrait, whichever way it is told.
            ("sk-camera.png", try RealPhotos.photo("sk-camera.png"), [["face turned away"], ["no face found"]]),
            // Three-quarters turned and at the edge.
            ("feat-45-m7-di-ph.jpg", try RealPhotos.photo("feat-45-m7-di-ph.jpg"), [[], ["face turned away"]]),
            ("sk-chelsea.png", try RealPhotos.photo("sk-chelsea.png"), [["no face found"]]),
            ("sk-coffee.png", try RealPhotos.photo("sk-coffee.png"), [["no face found"]]),
            ("sk-logo.png", try RealPhotos.photo("sk-logo.png"), [["no face found"]]),
        ]
        let single = try Canvas(try RealPhotos.photo("feat-single_face.jpg"))
        let obama = try Canvas(try RealPhotos.photo("fr-obama.jpg"))
        cases += [
            ("a landscape", try Canvas.landscape().photo("landscape"), [["no face found"]]),
            ("a drawn logo", try Canvas.logo().photo("logo"), [["no face found"]]),
            ("a cartoon face", try Canvas.cartoon().photo("cartoon"), [["no face found"]]),
            ("two people", try Canvas.beside(try Canvas(try RealPhotos.photo("feat-0-f15-hao-ph.jpg")),
                                             try Canvas(try RealPhotos.photo("feat-15-f13-anc-ph.jpg"))).photo("group"), [["2 faces"]]),
            ("a blurred portrait", try single.blurred(radius: 6).photo("blurred"), [["blurred"]]),
            ("a dark portrait", try obama.darkened(to: 0.25).photo("dark"), [["too dark"]]),
            ("a small portrait", try single.shrunk(by: 3).photo("small"), [["too small"]]),
            ("a face at the edge of a wide photo", try single.atRightEdge(ofWidth: 1900).photo("wide"), [["face too small"]]),
        ]
        return cases
    }

    @Test func verdictsAgainstTheDefaultGuidelines() throws {
        for (name, photo, expected) in try Self.cases() {
            let measures = try pipeline.measures(of: photo)
            let reasons = Guidelines.standard.reasons(for: measures)
            print(String(format: "%@: %d face(s), share %.2f, sharpness %.0f, brightness %.2f, %d×%d → %@", name, measures.faces.count,
                         measures.faceShare ?? 0, measures.sharpness, measures.brightness, measures.width, measures.height,
                         reasons.isEmpty ? "ok" : reasons.joined(separator: "; ")))
            #expect(expected.contains(reasons.map(Self.words)), "\(name): \(reasons)")
        }
    }

    /// A face crop keeps every face found whole, and the rendition keeps its size.
    @Test func faceCropKeepsTheWholeFace() throws {
        for (name, photo, _) in try Self.cases() {
            let rendered = try pipeline.render(photo, profiles: [Self.facing])
            let measures = try #require(rendered.measures)
            guard let face = measures.faces.first else {
                #expect(rendered.faceCropFellBack, "\(name)")
                #expect(rendered.faceSquare == nil, "\(name)")
                // Decoded alike (measured), the centre crop is the very same square.
                let centre = try pipeline.render(photo, profiles: [RenditionProfile(side: 256)], measure: true)
                #expect(rendered.renditions.map(\.sha256) == centre.renditions.map(\.sha256), "\(name): no face, yet not the centre crop")
                continue
            }
            let square = try #require(rendered.faceSquare)
            #expect(!rendered.faceCropFellBack)
            #expect(square.contains(face), "\(name): face \(face) outside the square \(square)")
            #expect(square.left >= 0 && square.top >= 0 && square.left + square.side <= measures.width + 1
                && square.top + square.side <= measures.height + 1, "\(name): \(square) outside the photo")
            #expect(rendered.renditions[0].width == min(256, measures.width, measures.height), "\(name)")
        }
    }

    /// Where the photo leaves room, the face is half the square, the eyes a little above its middle.
    @Test func portraitsAreFramedHeadAndShoulders() throws {
        for name in Self.portraits + ["sk-astronaut.png"] {
            let rendered = try pipeline.render(try RealPhotos.photo(name), profiles: [Self.facing])
            let face = try #require(rendered.measures?.faces.first)
            let square = try #require(rendered.faceSquare)
            let share = face.width / Double(square.side)
            let eyes = (face.y + face.height * 0.4 - Double(square.top)) / Double(square.side)
            print(String(format: "%@: face %.0f%% of the square, eyes %.0f%% down", name, share * 100, eyes * 100))
            #expect(share >= 0.3 && share <= 0.75, "\(name): face \(share) of the square")
            // Eyes a little above the middle, unless the photo's edge stopped the square.
            if square.top > 0 && square.top + square.side < rendered.height {
                #expect(abs(eyes - 0.45) < 0.02, "\(name): eyes \(eyes) down the square")
            }
        }
    }

    /// The centre crop of a face at the edge of a wide photo cuts the face off; the face crop does not.
    @Test func aFaceAtTheEdgeIsKeptWhereTheCentreCropLosesIt() throws {
        let wide = try Canvas(try RealPhotos.photo("feat-single_face.jpg")).atRightEdge(ofWidth: 1900).photo("wide")
        let rendered = try pipeline.render(wide, profiles: [Self.facing, RenditionProfile(side: 256, crop: .centre)])
        let face = try #require(rendered.measures?.faces.first)
        let square = try #require(rendered.faceSquare)
        #expect(square.contains(face))
        let centre = Square(left: (rendered.width - rendered.height) / 2, top: 0, side: rendered.height)
        #expect(!centre.contains(face))
        #expect(try pipeline.measures(of: Photo(bytes: rendered.renditions[0].bytes, version: nil, origin: "face")).faces.count == 1)
        #expect(try pipeline.measures(of: Photo(bytes: rendered.renditions[1].bytes, version: nil, origin: "centre")).faces.isEmpty)
    }

    /// OpenCV failing on a photo is an error naming that photo, not a crash.
    @Test func anOpenCVFailureIsThatPhotosError() throws {
        #expect(throws: OpenCVFailure.self) { try FaceDetector.measure(GreyImage(width: 0, height: 0, pixels: []), scale: 1, width: 0, height: 0) }
    }

    private static func words(_ reason: String) -> String {
        String(reason.split(separator: "(").first ?? "").trimmingCharacters(in: .whitespaces)
    }
}

/// Guidelines and framing as pure functions.
@Suite struct FaceRuleTests {
    func measures(faces: [FaceBox], width: Int = 600, height: Int = 800, sharpness: Double = 500, brightness: Double = 0.5) -> PhotoMeasures {
        PhotoMeasures(faces: faces, width: width, height: height, sharpness: sharpness, brightness: brightness)
    }
    let face = FaceBox(x: 200, y: 200, width: 200, height: 200, confidence: 30)

    @Test func reasonsNameTheFigures() {
        let rules = Guidelines.standard
        #expect(rules.reasons(for: measures(faces: [face])) == [])
        #expect(rules.reasons(for: measures(faces: [])) == ["no face found"])
        #expect(rules.reasons(for: measures(faces: [face, face])) == ["2 faces"])
        #expect(rules.reasons(for: measures(faces: [FaceBox(x: 0, y: 0, width: 60, height: 60, confidence: 3)])) == ["face too small (10% of the width, at least 20%)"])
        #expect(rules.reasons(for: measures(faces: [FaceBox(x: 0, y: 0, width: 540, height: 540, confidence: 3)])) == ["face too close (90% of the width, at most 80%)"])
        #expect(rules.reasons(for: measures(faces: [FaceBox(x: 0, y: 0, width: 119, height: 119, confidence: 3)])) == ["face too small (19.8% of the width, at least 20%)"])
        #expect(rules.reasons(for: measures(faces: [face], width: 200, height: 300)) == ["face too close (100% of the width, at most 80%)", "too small (200×300 px, at least 256 px on the short side)"])
        #expect(rules.reasons(for: measures(faces: [face], sharpness: 5)) == ["blurred (sharpness 5, at least 12)"])
        #expect(rules.reasons(for: measures(faces: [face], brightness: 0.1)) == ["too dark (brightness 0.10, at least 0.20)"])
        var turned = face
        turned.profile = true
        #expect(rules.reasons(for: measures(faces: [turned])) == ["face turned away"])
        var group = rules
        group.faces = 2
        #expect(group.reasons(for: measures(faces: [face])) == ["1 face, expected 2"])
        #expect(group.reasons(for: measures(faces: [face, face])) == [])
    }

    @Test(arguments: [
        // A small face in a big photo: twice its width, eyes at 45%, centred across.
        (1000, 1000, FaceBox(x: 400, y: 300, width: 100, height: 100, confidence: 9), 0, Square(left: 350, top: 250, side: 200)),
        // The largest rendition needs 600 px: never tighter.
        (1000, 1000, FaceBox(x: 400, y: 300, width: 100, height: 100, confidence: 9), 600, Square(left: 150, top: 70, side: 600)),
        // At the left edge: moved inside, the face still whole.
        (1200, 400, FaceBox(x: 0, y: 100, width: 120, height: 120, confidence: 9), 0, Square(left: 0, top: 40, side: 240)),
        // A face filling the photo: the whole short side.
        (500, 700, FaceBox(x: 50, y: 100, width: 400, height: 400, confidence: 9), 0, Square(left: 0, top: 35, side: 500)),
        // Near the bottom: the square stops at the edge.
        (800, 800, FaceBox(x: 300, y: 650, width: 100, height: 100, confidence: 9), 0, Square(left: 250, top: 600, side: 200)),
    ])
    func framing(width: Int, height: Int, face: FaceBox, minSide: Int, expected: Square) {
        let square = FaceFraming.square(width: width, height: height, face: face, minSide: minSide)
        #expect(square == expected)
        #expect(square.contains(face))
    }
}

/// 8-bit RGB pixels to make test photos from.
struct Canvas {
    var width: Int
    var height: Int
    var rgb: [UInt8]

    init(width: Int, height: Int, colourAt: (Int, Int) -> (UInt8, UInt8, UInt8)) {
        self.width = width
        self.height = height
        rgb = []
        rgb.reserveCapacity(width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let (r, g, b) = colourAt(x, y)
                rgb += [r, g, b]
            }
        }
    }

    init(_ photo: Photo) throws {
        let bitmap = try Bitmap(decoding: photo.bytes)
        self.init(width: bitmap.width, height: bitmap.height) { x, y in
            let pixel = bitmap.pixel(x: x, y: y)
            return pixel.count >= 3 ? (pixel[0], pixel[1], pixel[2]) : (pixel[0], pixel[0], pixel[0])
        }
    }

    func at(_ x: Int, _ y: Int) -> (UInt8, UInt8, UInt8) {
        let offset = (y * width + x) * 3
        return (rgb[offset], rgb[offset + 1], rgb[offset + 2])
    }

    func photo(_ name: String) throws -> Photo {
        let bitmap = Bitmap(width: width, height: height, colour: .rgb, samples: Data(rgb))
        return Photo(bytes: try bitmap.encoded(as: .jpeg(quality: 92, orientation: nil)), version: nil, origin: name + ".jpg")
    }

    /// Three passes of a box blur: close to a Gaussian.
    func blurred(radius: Int) -> Canvas {
        var image = self
        for _ in 0..<3 {
            for horizontal in [true, false] {
                let source = image
                image = Canvas(width: width, height: height) { x, y in
                    var sums = (0, 0, 0), count = 0
                    for step in -radius...radius {
                        let (sx, sy) = horizontal ? (x + step, y) : (x, y + step)
                        guard sx >= 0, sx < width, sy >= 0, sy < height else { continue }
                        let (r, g, b) = source.at(sx, sy)
                        sums = (sums.0 + Int(r), sums.1 + Int(g), sums.2 + Int(b))
                        count += 1
                    }
                    return (UInt8(sums.0 / count), UInt8(sums.1 / count), UInt8(sums.2 / count))
                }
            }
        }
        return image
    }

    func darkened(to factor: Double) -> Canvas {
        Canvas(width: width, height: height) { x, y in
            let (r, g, b) = at(x, y)
            return (UInt8(Double(r) * factor), UInt8(Double(g) * factor), UInt8(Double(b) * factor))
        }
    }

    func shrunk(by factor: Int) -> Canvas {
        Canvas(width: width / factor, height: height / factor) { x, y in at(x * factor, y * factor) }
    }

    /// This photo at the right edge of a wider one, the rest a grey wall.
    func atRightEdge(ofWidth total: Int) -> Canvas {
        Canvas(width: total, height: height) { x, y in
            x >= total - width ? at(x - (total - width), y) : (UInt8(150 + x % 7), 150, UInt8(140 + y % 5))
        }
    }

    static func beside(_ left: Canvas, _ right: Canvas) -> Canvas {
        Canvas(width: left.width + right.width, height: min(left.height, right.height)) { x, y in
            x < left.width ? left.at(x, y) : right.at(x - left.width, y)
        }
    }

    /// Sky, hills, a lake.
    static func landscape() -> Canvas {
        Canvas(width: 1200, height: 800) { x, y in
            let hill = 420 + Int(60 * sin(Double(x) / 90) + 30 * sin(Double(x) / 23))
            let noise = UInt8((x &* 7919 ^ y &* 104729) & 15)
            if y < hill { return (UInt8(110 + y / 8), UInt8(160 + y / 10), 235) }
            if y < 640 { return (40 + noise, UInt8(110 + y % 13), 50) }
            return (30, 70 + noise, UInt8(150 + (x / 5 + y) % 20))
        }
    }

    /// Rings and a bar on white: a company's mark.
    static func logo() -> Canvas {
        Canvas(width: 600, height: 600) { x, y in
            let distance = hypot(Double(x - 300), Double(y - 260))
            if distance > 120 && distance < 170 { return (200, 30, 40) }
            if distance < 70 { return (20, 40, 160) }
            if y > 470 && y < 520 && x > 120 && x < 480 { return (20, 20, 20) }
            return (255, 255, 255)
        }
    }

    /// A smiling yellow disc with two eyes, as a child draws a face.
    static func cartoon() -> Canvas {
        Canvas(width: 600, height: 600) { x, y in
            let (dx, dy) = (Double(x - 300), Double(y - 300))
            let distance = hypot(dx, dy)
            if hypot(dx + 80, dy + 60) < 30 || hypot(dx - 80, dy + 60) < 30 { return (20, 20, 20) }
            if distance > 120 && distance < 140 && dy > 40 { return (120, 20, 20) }
            if distance < 220 { return (250, 210, 40) }
            return (110, 190, 240)
        }
    }
}
