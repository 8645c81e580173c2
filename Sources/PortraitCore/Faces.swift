import Foundation

/// A face found in a photo, in the photo's upright pixels.
public struct FaceBox: Sendable, Hashable {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double
    /// How many overlapping detection windows agreed on this face: the detector's confidence.
    public var confidence: Int
    /// Seen from the side, not from the front.
    public var profile: Bool

    public init(x: Double, y: Double, width: Double, height: Double, confidence: Int, profile: Bool = false) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
        self.confidence = confidence
        self.profile = profile
    }

    public var midX: Double { x + width / 2 }
    public var midY: Double { y + height / 2 }

    public func contains(centreOf other: FaceBox) -> Bool {
        (x...(x + width)).contains(other.midX) && (y...(y + height)).contains(other.midY)
    }

    /// The same face in an image scaled by `factor`.
    public func scaled(by factor: Double) -> FaceBox {
        FaceBox(x: x * factor, y: y * factor, width: width * factor, height: height * factor,
                confidence: confidence, profile: profile)
    }
}

/// What the guideline check measures in one photo.
public struct PhotoMeasures: Sendable, Hashable {
    /// Largest first, in the original's upright pixels.
    public var faces: [FaceBox]
    /// The original's upright size.
    public var width: Int
    public var height: Int
    /// The variance of the Laplacian over the largest face (the whole photo when there is none),
    /// as a percentage of the variance of its grey levels; measured at a fixed size, so that it
    /// depends on neither the photo's resolution nor its contrast. Sharp faces measure 25–150.
    public var sharpness: Double
    /// Mean luminance, 0 (black) to 1 (white), over the largest face (or the whole photo).
    public var brightness: Double

    public init(faces: [FaceBox], width: Int, height: Int, sharpness: Double, brightness: Double) {
        self.faces = faces
        self.width = width
        self.height = height
        self.sharpness = sharpness
        self.brightness = brightness
    }

    /// The largest face's width ÷ the photo's width.
    public var faceShare: Double? { faces.first.map { $0.width / Double(width) } }
}

/// An organisation's photo guidelines (`[guidelines]` in portrait.toml): what a published
/// portrait must be.
public struct Guidelines: Sendable, Hashable {
    /// How many faces the photo shows.
    public var faces: Int
    /// The fewest pixels on the photo's short side.
    public var minSide: Int
    /// The largest face's width as a share of the photo's width.
    public var faceShare: ClosedRange<Double>
    /// Below this the photo is blurred (see `PhotoMeasures.sharpness`).
    public var minSharpness: Double
    /// Below this the photo is too dark.
    public var minBrightness: Double

    /// One face, face 20–80% of the width, 256 px on the short side, not blurred, not too dark.
    public static let standard = Guidelines(faces: 1, minSide: 256, faceShare: 0.2...0.8, minSharpness: 12, minBrightness: 0.2)

    public init(faces: Int, minSide: Int, faceShare: ClosedRange<Double>, minSharpness: Double, minBrightness: Double) {
        self.faces = faces
        self.minSide = minSide
        self.faceShare = faceShare
        self.minSharpness = minSharpness
        self.minBrightness = minBrightness
    }

    /// Why the photo falls short, for people; empty when it meets every guideline.
    public func reasons(for photo: PhotoMeasures) -> [String] {
        var reasons: [String] = []
        switch photo.faces.count {
        case faces: break
        case 0: reasons.append("no face found")
        case 1: reasons.append("1 face, expected \(faces)")
        default: reasons.append("\(photo.faces.count) faces" + (faces == 1 ? "" : ", expected \(faces)"))
        }
        if photo.faces.first?.profile == true {
            reasons.append("face turned away")
        }
        if let share = photo.faceShare, !faceShare.contains(share) {
            let bound = share < faceShare.lowerBound ? faceShare.lowerBound : faceShare.upperBound
            // A share just past the bound is told to a tenth, so that it does not read as the bound.
            let figure = String(format: (share * 100).rounded() == (bound * 100).rounded() ? "%.1f%%" : "%.0f%%", share * 100)
            reasons.append(share < faceShare.lowerBound
                ? String(format: "face too small (%@ of the width, at least %.0f%%)", figure, bound * 100)
                : String(format: "face too close (%@ of the width, at most %.0f%%)", figure, bound * 100))
        }
        if min(photo.width, photo.height) < minSide {
            reasons.append("too small (\(photo.width)×\(photo.height) px, at least \(minSide) px on the short side)")
        }
        if photo.sharpness < minSharpness {
            reasons.append(String(format: "blurred (sharpness %.0f, at least %.0f)", photo.sharpness, minSharpness))
        }
        if photo.brightness < minBrightness {
            reasons.append(String(format: "too dark (brightness %.2f, at least %.2f)", photo.brightness, minBrightness))
        }
        return reasons
    }
}

/// Where `crop = "face"` cuts its square: head and shoulders, as in a passport or badge photo.
public enum FaceFraming {
    /// The face's width as a share of the square's side.
    public static let faceShare = 0.5
    /// A detector's face box (brow to mouth, give or take a fifth) has the eyes about this far
    /// down it…
    static let eyesInFace = 0.4
    /// …and the square puts them this far down itself: a little above the middle.
    static let eyesInSquare = 0.45

    /// The square in an image of `width`×`height` around `face`: the face `faceShare` of the
    /// side, centred across, the eyes a little above the middle; the side never less than
    /// `minSide` (so renditions keep their size) nor more than the image's short side; moved
    /// inside the image where the face is near an edge. The whole face box is always inside.
    public static func square(width: Int, height: Int, face: FaceBox, minSide: Int) -> Square {
        let short = min(width, height)
        let wanted = Int((face.width / faceShare).rounded())
        let side = max(min(wanted, short), min(minSide, short))
        let eyes = face.y + face.height * eyesInFace
        let left = Int((face.midX - Double(side) / 2).rounded())
        // A face nearly as tall as the square keeps its chin: the eyes then sit where they must.
        let framed = min(max(eyes - Double(side) * eyesInSquare, face.y + face.height - Double(side)), face.y)
        let top = Int(framed.rounded())
        return Square(left: min(max(left, 0), width - side), top: min(max(top, 0), height - side), side: side)
    }
}

/// A square cut from an image, in its pixels.
public struct Square: Sendable, Hashable {
    public var left: Int
    public var top: Int
    public var side: Int

    public init(left: Int, top: Int, side: Int) {
        self.left = left
        self.top = top
        self.side = side
    }

    /// The same square in an image scaled by `factor`.
    public func scaled(by factor: Double) -> Square {
        Square(left: Int((Double(left) * factor).rounded()), top: Int((Double(top) * factor).rounded()),
               side: Int((Double(side) * factor).rounded()))
    }

    public func contains(_ face: FaceBox) -> Bool {
        face.x >= Double(left) && face.y >= Double(top)
            && face.x + face.width <= Double(left + side) && face.y + face.height <= Double(top + side)
    }
}
