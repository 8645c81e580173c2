/// An error a system reports, classified so the engine and the CLI know what follows from it.
public struct SystemError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// The system could not be reached (network, missing folder): the run cannot start.
        case unreachable
        /// Credentials were refused or lack a permission.
        case unauthorized
        /// The system's settings or inputs (a CSV header, a pattern) are wrong: nothing can run.
        case misconfigured
        /// The person or photo does not exist there.
        case notFound
        /// The system refused this item's data (too large, not an image).
        case rejected
        /// Anything else that went wrong with this one item.
        case failed
    }

    public var kind: Kind
    /// A message for a person: what went wrong and, where known, what to do.
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// Whether the whole system is unusable, rather than one item.
    public var isSystemWide: Bool { kind == .unreachable || kind == .unauthorized || kind == .misconfigured }
}
