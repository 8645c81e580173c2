import Synchronization

/// Asks a run to stop gracefully (Ctrl-C): no new people or writes start; writes in flight finish
/// and are recorded.
public final class StopSignal: Sendable {
    private let stopped = Atomic(false)

    public init() {}

    public func request() { stopped.store(true, ordering: .relaxed) }

    public var requested: Bool { stopped.load(ordering: .relaxed) }
}
