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

    /// What a connection-level failure means for the system.
    enum Verdict {
        /// The first in a row: worth a line on stderr, and a retry.
        case first
        /// Another in a row: retry quietly.
        case again
        /// Enough in a row (or one that cannot pass, such as a TLS mismatch): unreachable now.
        case lost
        /// It was already unreachable.
        case alreadyLost
    }

    /// Counts a connection-level failure.
    func failedToConnect(_ description: String, permanent: Bool) -> Verdict {
        state.withLock { state in
            guard state.lost == nil else { return .alreadyLost }
            state.failuresInARow += 1
            guard permanent || state.failuresInARow >= Self.threshold else { return state.failuresInARow == 1 ? .first : .again }
            state.lost = description
            return .lost
        }
    }
}

/// A request not sent because its system is unreachable for this run.
public struct Unreachable: Error, CustomStringConvertible {
    /// The connection failure that decided it.
    public var reason: String
    public var description: String { reason }
}
