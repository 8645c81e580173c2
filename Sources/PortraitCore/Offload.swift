import Dispatch

/// Runs blocking work (libvips) on Dispatch's threads, so Swift concurrency's few cooperative
/// threads stay free for I/O while images decode.
public func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global(qos: .userInitiated).async {
            continuation.resume(with: Result { try work() })
        }
    }
}
