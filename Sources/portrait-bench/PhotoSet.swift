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

/// Errors from concurrent generation.
private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [String] = []
    func add(_ message: String) { lock.withLock { messages.append(message) } }
    var first: String? { lock.withLock { messages.first } }
}
