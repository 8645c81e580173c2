import Synchronization

/// Whether a system still answers. A few connection-level failures in a row (refused, DNS, a
/// connect timeout, a failed TLS handshake) with no answer in between make it unreachable for the
/// rest of the run: its remaining requests fail at once instead of each retrying for minutes.
public final class Reachability: Sendable {
    /// Failures in a row that make a system unreachable; every concurrent request counts.
    public static let threshold = 3

    private struct State {
        var failuresInARow = 0
        var lost: String?
    }

    private let state = Mutex(State())

    public init() {}

    /// Why the system is unreachable, once it is.
    public var lost: String? { state.withLock { $0.lost } }

    /// Any answer, even an error status, shows the system is there.
    func answered() {
        state.withLock { $0.failuresInARow = 0 }
    }

    /// Counts a connection-level failure; true when it makes the system unreachable.
    func failedToConnect(_ description: String) -> Bool {
        state.withLock { state in
            guard state.lost == nil else { return false }
            state.failuresInARow += 1
            guard state.failuresInARow >= Self.threshold else { return false }
            state.lost = description
            return true
        }
    }
}

/// A request not sent because its system is unreachable for this run.
public struct Unreachable: Error, CustomStringConvertible {
    /// The last connection failure.
    public var reason: String
    public var description: String {
        "\(Reachability.threshold) connection attempts in a row failed, the last with: \(reason)"
    }
}
