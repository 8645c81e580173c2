import Foundation

/// One run at a time per store: an advisory lock on `<store>.lock`, which the kernel releases
/// when the process ends however it ends, so a lock left by a killed run is simply taken over.
/// The file says who holds it, for the message a second run gets.
public final class RunLock: Sendable {
    private let descriptor: Int32

    /// Takes the lock for `command` (as the user typed it), or says which run holds it.
    public init(store path: String, command: String) throws {
        let lockPath = path + ".lock"
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw StoreError("cannot create \(lockPath): \(String(cString: strerror(errno))); check the [store] path and its folder's permissions")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = Self.read(descriptor)
            close(descriptor)
            throw StoreError("another portrait run is using the store \(path)\(holder.isEmpty ? "" : ": \(holder)"); wait for it to finish, or stop it")
        }
        let started = ISO8601DateFormatter.string(from: Date(), timeZone: .current, formatOptions: [.withInternetDateTime])
        let text = "`\(command)` (process \(getpid()), started \(started))"
        ftruncate(descriptor, 0)
        _ = text.withCString { pwrite(descriptor, $0, strlen($0), 0) }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    private static func read(_ descriptor: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = pread(descriptor, &buffer, buffer.count, 0)
        return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : ""
    }
}
