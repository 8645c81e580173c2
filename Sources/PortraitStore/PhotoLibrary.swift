import Crypto
import Foundation
import Synchronization

/// The masters of people's photos, content-addressed by SHA-256 in a folder beside the database
/// (`portrait.db` → `portrait-photos/ab/abcd….jpg`). A file is written once, atomically, and
/// never changed; a dry run keeps new ones in memory and reads the folder.
public final class PhotoLibrary: Sendable {
    public let folder: URL?
    private let inMemory: Bool
    private let held = Mutex<[String: Data]>([:])

    public init(folder: URL?, inMemory: Bool = false) {
        self.folder = folder
        self.inMemory = inMemory
    }

    public static func folder(beside databasePath: String) -> URL {
        let database = URL(fileURLWithPath: databasePath)
        return database.deletingLastPathComponent()
            .appendingPathComponent(database.deletingPathExtension().lastPathComponent + "-photos", isDirectory: true)
    }

    public static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// Where a photo's file is (or would be).
    public func file(_ sha256: String) -> URL? {
        folder?.appendingPathComponent(String(sha256.prefix(2)), isDirectory: true).appendingPathComponent("\(sha256).jpg")
    }

    /// Keeps `data` under its SHA-256, which it returns.
    @discardableResult
    public func put(_ data: Data) throws -> String {
        let sha = Self.sha256(data)
        guard !inMemory, let file = file(sha) else {
            held.withLock { $0[sha] = data }
            return sha
        }
        if FileManager.default.fileExists(atPath: file.path) { return sha }
        do {
            // People's photos: for the account Portrait runs as alone, whatever its umask.
            if let folder, !FileManager.default.fileExists(atPath: folder.path) {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            let temporary = file.deletingLastPathComponent().appendingPathComponent(".\(sha).\(UUID().uuidString).tmp")
            try data.write(to: temporary)
            if rename(temporary.path, file.path) != 0 {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(at: temporary)
                throw StoreError("cannot keep a photo in \(file.deletingLastPathComponent().path): \(reason)")
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("cannot keep a photo in \(folder?.path ?? ""): \(error.localizedDescription); check the folder's permissions and free space")
        }
        return sha
    }

    public func get(_ sha256: String) throws -> Data {
        if let data = held.withLock({ $0[sha256] }) { return data }
        guard let file = file(sha256), let data = FileManager.default.contents(atPath: file.path) else {
            throw StoreError("the photo \(sha256.prefix(12))… is missing from \(folder?.path ?? "the store"); restore the folder from a backup, or run sync again to read it from its source")
        }
        return data
    }
}
