import PortraitSettings
import PortraitCore
import PortraitStore

/// What the exit code tells a script. Documented in README.md; scripts rely on it.
public enum ExitStatus: Int32, Sendable, Comparable {
    /// Everything was done.
    case success = 0
    /// Some items failed; the rest were done.
    case someFailed = 1
    /// Usage or configuration error: nothing was done.
    case usage = 2
    /// A system could not be reached or refused the credentials.
    case unreachable = 3
    /// Stopped by Ctrl-C or SIGTERM; the same command resumes.
    case interrupted = 130

    /// Higher is worse, so the worst of several outcomes is their maximum.
    public static func < (lhs: ExitStatus, rhs: ExitStatus) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The status for an error that stopped a command before or instead of its work.
    static func forError(_ error: any Error) -> ExitStatus {
        switch error {
        case is ConfigError, is UsageError, is StoreError: .usage
        case let system as SystemError where system.kind == .misconfigured: .usage
        case let system as SystemError where system.isSystemWide: .unreachable
        default: .someFailed
        }
    }
}

/// Something typed on the command line that cannot work (a system named twice in `--to`).
struct UsageError: Error, CustomStringConvertible {
    var description: String
}
