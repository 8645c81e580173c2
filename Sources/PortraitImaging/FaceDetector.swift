import CFaceShim
import Foundation
import PortraitCore

/// Faces, and the guideline measures, from OpenCV's trained cascades (Debian's opencv-data).
///
/// Haar cascades rather than OpenCV's `FaceDetectorYN`: its model file is in neither Debian nor
/// PyPI, while the cascades come with the same Debian release as the library, need no network and
/// find a face in a few milliseconds on the small grey copy the pipeline makes. Of the frontal
/// cascades, alt2 found every frontal face in the test photographs with no false one (`default`
/// saw a second face in a shirt, the LBP one missed a face); the profile cascade, tried only when
/// no frontal face is found, finds faces turned away. The cat cascades were left out: on the test
/// photos they fired on people and missed the cat.
enum FaceDetector {
    /// Where Debian (and OpenCV's own `make install`) put the cascades.
    static let dataFolders = ["/usr/share/opencv4", "/usr/local/share/opencv4"]

    /// Detection runs on a grey copy of about this many pixels (from half to twice as many):
    /// enough for a face a sixteenth of the photo wide.
    static let workingPixels = 256 * 341
    /// The short side a photo is decoded to when only measured: the working copy's, with room.
    static let decodeSide = 480
    /// A face narrower than this share of the short side is not looked for.
    static let smallestFace = 0.06
    /// Sharpness is measured on the face scaled to this side, so that it does not depend on the
    /// photo's resolution.
    static let measuredSide = 64
    /// A face-like pattern this flat (`GreyImage.flatShare`) is drawn — a cartoon, an emoji — not
    /// photographed: faces in the test photographs measured 0.03–0.35, drawings over 0.9.
    static let drawnFlatShare = 0.6

    /// A cascade object is not safe on two threads: each photo borrows one of its own.
    private static let frontal = CascadePool(file: "haarcascades/haarcascade_frontalface_alt2.xml", minNeighbours: 3)
    /// Trained on faces turned to one side; the mirror image finds the other.
    private static let profile = CascadePool(file: "haarcascades/haarcascade_profileface.xml", minNeighbours: 4)

    /// The measures of a grey copy of a photo; faces in the copy's pixels times `scale` (the
    /// original's pixels per copy pixel).
    static func measure(_ grey: GreyImage, scale: Double, width: Int, height: Int) throws -> PhotoMeasures {
        let found = try faces(in: grey)
        let region = found.first.map { grey.region(of: $0) } ?? grey
        let measured = region.fitted(within: measuredSide)
        let laplacian = try measured.withPixels { pixels, error in
            pf_laplacian_variance(pixels, Int32(measured.width), Int32(measured.height), error, 256)
        } check: { $0 >= 0 }
        let contrast = measured.variance
        // Relative to the contrast, so that a dark or a pale face is not taken for a blurred one.
        let sharpness = contrast > 0 ? 100 * laplacian / contrast : 0
        let brightness = region.mean / 255
        return PhotoMeasures(faces: found.map { $0.scaled(by: scale) }, width: width, height: height,
                             sharpness: sharpness, brightness: brightness)
    }

    /// Frontal faces, else faces in profile (either way), largest first; in `grey`'s pixels.
    ///
    /// Coarse to fine, since a cascade's cost grows with the pixels searched: a copy at half the
    /// size first, where a portrait's face is found in a few milliseconds; only if it shows none,
    /// the faces too small for it in the full working copy; then faces in profile, at half size.
    static func faces(in grey: GreyImage) throws -> [FaceBox] {
        let window = 20
        let coarse = grey.shrunk(by: 2)
        var found = try frontal.detect(in: coarse, minSide: window).map { $0.scaled(by: 2) }
        let smallest = max(window, Int(Double(min(grey.width, grey.height)) * smallestFace))
        if found.isEmpty {
            found = try frontal.detect(in: grey, minSide: smallest, maxSide: 2 * window + 4)
        }
        if found.isEmpty {
            let mirrored = try profile.detect(in: coarse.mirrored(), minSide: window).map {
                FaceBox(x: Double(coarse.width) - $0.x - $0.width, y: $0.y, width: $0.width, height: $0.height, confidence: $0.confidence)
            }
            found = (try profile.detect(in: coarse, minSide: window) + mirrored).map {
                var face = $0.scaled(by: 2)
                face.profile = true
                return face
            }
        }
        found.removeAll { grey.region(of: $0).flatShare > drawnFlatShare }
        // The two profile searches (and a cascade at neighbouring scales) may each report one
        // face: a box whose centre lies in a larger one is that face again.
        var faces: [FaceBox] = []
        for face in found.sorted(by: { $0.width > $1.width }) where !faces.contains(where: { $0.contains(centreOf: face) }) {
            faces.append(face)
        }
        return faces
    }

    static var setupProblem: String? {
        do {
            _ = try cascadePath(frontal.file)
            _ = try cascadePath(profile.file)
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// The folder holding the cascades, or an error saying how to install them.
    static func cascadePath(_ file: String) throws -> String {
        for folder in dataFolders where FileManager.default.fileExists(atPath: "\(folder)/\(file)") {
            return "\(folder)/\(file)"
        }
        throw ImageError.faceDetectionUnavailable(detail: "OpenCV's trained cascade \(file) is in none of \(dataFolders.joined(separator: ", ")): install Debian's opencv-data (scripts/install-deps.sh does)")
    }
}

/// Loaded cascades of one file, one per thread at a time.
private final class CascadePool: @unchecked Sendable {
    let file: String
    private let minNeighbours: Int
    private let lock = NSLock()
    private var idle: [OpaquePointer] = []

    init(file: String, minNeighbours: Int) {
        self.file = file
        self.minNeighbours = minNeighbours
    }

    func detect(in grey: GreyImage, minSide: Int, maxSide: Int = 0) throws -> [FaceBox] {
        let cascade = try borrow()
        defer { lock.withLock { idle.append(cascade) } }
        let capacity = 16
        var boxes = [pf_box](repeating: pf_box(), count: capacity)
        let count = try grey.withPixels { pixels, error in
            Int(pf_cascade_detect(cascade, pixels, Int32(grey.width), Int32(grey.height), Int32(minSide), Int32(maxSide),
                                  Int32(minNeighbours), &boxes, Int32(capacity), error, 256))
        } check: { $0 >= 0 }
        return boxes.prefix(min(count, capacity)).map {
            FaceBox(x: Double($0.x), y: Double($0.y), width: Double($0.width), height: Double($0.height), confidence: Int($0.neighbours))
        }
    }

    private func borrow() throws -> OpaquePointer {
        if let ready = lock.withLock({ idle.popLast() }) { return ready }
        let path = try FaceDetector.cascadePath(file)
        var error = [CChar](repeating: 0, count: 256)
        guard let loaded = pf_cascade_load(path, &error, error.count) else {
            throw ImageError.faceDetectionUnavailable(detail: "OpenCV could not load \(path): \(text(of: error))")
        }
        return loaded
    }
}

/// 8-bit grey pixels, row by row.
struct GreyImage {
    var width: Int
    var height: Int
    var pixels: [UInt8]

    init(width: Int, height: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The share of pixels no different (±1) from their right and lower neighbours: high for flat
    /// colour (drawings), low for anything a camera saw.
    var flatShare: Double {
        guard width > 1, height > 1 else { return 1 }
        var flat = 0
        for row in 0..<(height - 1) {
            for column in 0..<(width - 1) {
                let here = Int(pixels[row * width + column])
                if abs(here - Int(pixels[row * width + column + 1])) <= 1 && abs(here - Int(pixels[(row + 1) * width + column])) <= 1 { flat += 1 }
            }
        }
        return Double(flat) / Double((width - 1) * (height - 1))
    }

    /// Smaller by a whole `factor` each way, each pixel the rounded mean of its block.
    func shrunk(by factor: Int) -> GreyImage {
        let (outWidth, outHeight) = (width / factor, height / factor)
        let block = factor * factor
        var out = [UInt8](repeating: 0, count: outWidth * outHeight)
        for row in 0..<outHeight {
            for column in 0..<outWidth {
                var sum = 0
                for y in (row * factor)..<(row * factor + factor) {
                    for x in (column * factor)..<(column * factor + factor) { sum += Int(pixels[y * width + x]) }
                }
                out[row * outWidth + column] = UInt8((sum + block / 2) / block)
            }
        }
        return GreyImage(width: outWidth, height: outHeight, pixels: out)
    }

    func mirrored() -> GreyImage {
        var flipped = pixels
        for row in 0..<height { flipped[(row * width)..<((row + 1) * width)].reverse() }
        return GreyImage(width: width, height: height, pixels: flipped)
    }

    /// The luminance of 8-bit sRGB (or grey) pixels, each `factor`×`factor` block averaged.
    init(shrinking samples: Data, width: Int, height: Int, bands: Int, by factor: Int) {
        let (outWidth, outHeight) = (width / factor, height / factor)
        var out = [UInt8](repeating: 0, count: outWidth * outHeight)
        samples.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            for row in 0..<outHeight {
                for column in 0..<outWidth {
                    var sum = 0
                    for y in (row * factor)..<(row * factor + factor) {
                        var offset = (y * width + column * factor) * bands
                        for _ in 0..<factor {
                            // Rec. 601 weights in 256ths.
                            sum += bands >= 3 ? 77 * Int(bytes[offset]) + 150 * Int(bytes[offset + 1]) + 29 * Int(bytes[offset + 2]) : 256 * Int(bytes[offset])
                            offset += bands
                        }
                    }
                    out[row * outWidth + column] = UInt8(min(255, sum / (256 * factor * factor)))
                }
            }
        }
        self.init(width: outWidth, height: outHeight, pixels: out)
    }

    var mean: Double { Double(pixels.reduce(0) { $0 + Int($1) }) / Double(max(pixels.count, 1)) }

    var variance: Double {
        let mean = mean
        return pixels.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(max(pixels.count, 1))
    }

    func region(of face: FaceBox) -> GreyImage {
        region(x: Int(face.x), y: Int(face.y), width: Int(face.width), height: Int(face.height))
    }

    func region(x: Int, y: Int, width: Int, height: Int) -> GreyImage {
        let left = min(max(x, 0), self.width - 1), top = min(max(y, 0), self.height - 1)
        let right = min(left + max(width, 1), self.width), bottom = min(top + max(height, 1), self.height)
        var cut: [UInt8] = []
        cut.reserveCapacity((right - left) * (bottom - top))
        for row in top..<bottom { cut += pixels[(row * self.width + left)..<(row * self.width + right)] }
        return GreyImage(width: right - left, height: bottom - top, pixels: cut)
    }

    /// Scaled down (by averaging boxes) so that its long side is at most `side`; never enlarged.
    func fitted(within side: Int) -> GreyImage {
        let factor = max(width, height) / side + (max(width, height) % side == 0 ? 0 : 1)
        return factor > 1 ? shrunk(by: factor) : self
    }

    /// Runs an OpenCV call on the pixels; a result failing `check` is OpenCV's error, thrown.
    func withPixels<T>(_ call: (UnsafePointer<UInt8>, UnsafeMutablePointer<CChar>) -> T, check: (T) -> Bool) throws -> T {
        var error = [CChar](repeating: 0, count: 256)
        let result = pixels.withUnsafeBufferPointer { buffer in
            error.withUnsafeMutableBufferPointer { call(buffer.baseAddress!, $0.baseAddress!) }
        }
        guard check(result) else { throw OpenCVFailure(message: text(of: error)) }
        return result
    }
}

/// A message OpenCV wrote into a C buffer.
private func text(of buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// An OpenCV call failed; the pipeline turns this into a message that names the photo.
struct OpenCVFailure: Error {
    var message: String
}
