import Foundation
import PortraitCore

/// `[serve]` of portrait.toml, as the console needs it.
public struct ConsoleSettings: Sendable {
    public static let defaultPort = 8651

    public var host = "127.0.0.1"
    public var port = ConsoleSettings.defaultPort
    /// A reverse proxy terminates TLS in front of the console: cookies are `Secure`, and a
    /// non-loopback address is allowed.
    public var behindProxy = false
    /// A session unused this long ends.
    public var idleSession: TimeInterval = 8 * 3600
    /// `sync_every`: how long after one sync ends the next starts; nil, only on "Sync now".
    public var syncEvery: Duration?
    /// `metrics_token_env`: the variable holding the bearer token `/metrics` needs wherever
    /// others can reach the console; read when the console starts.
    public var metricsTokenVariable: String?
    /// Its value, once read.
    public var metricsToken: Secret?
    /// `[serve.auth] type`.
    public var authType = ConsoleAuthType.local
    /// `tls_cert_file` and `tls_key_file`: the console serves https itself.
    public var tlsFiles: (certificate: URL, key: URL)?
    /// Their contents, once read by `serve`.
    public var tls: ConsoleTLS?

    /// Only this machine can reach the console, with no proxy passing others in: `/metrics` is
    /// open there (Prometheus scrapes it), as `/healthz` is everywhere.
    public var isPrivate: Bool { isLoopback && !behindProxy }

    public init() {}

    /// Whether only this machine can reach the console: then plain http is acceptable.
    public var isLoopback: Bool { Loopback.isLoopback(host: host) }

    /// The console's own address where only this machine reaches it, e.g. `http://127.0.0.1:8651`.
    public var loopbackURL: String? {
        guard isPrivate else { return nil }
        return "\(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }

    /// The cookie must not travel over plain http where others could read it.
    var secureCookies: Bool { behindProxy || tlsFiles != nil }

    /// What browsers type: https when the console serves TLS itself.
    public var scheme: String { tlsFiles == nil ? "http" : "https" }

    /// "90s", "15m", "2h" or "1d" as `sync_every` takes it; nil if malformed.
    public static func interval(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let unit = trimmed.last, let count = Int(trimmed.dropLast()), count > 0 else { return nil }
        let seconds: Int? = switch unit {
        case "s": 1
        case "m": 60
        case "h": 3600
        case "d": 86400
        default: nil
        }
        guard let seconds, case let (total, false) = count.multipliedReportingOverflow(by: seconds) else { return nil }
        return .seconds(total)
    }

    /// `host:port`, `[v6]:port` or `host` alone, as `listen` takes it; nil if malformed.
    public static func address(_ text: String) -> (host: String, port: Int)? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("[") {
            guard let close = trimmed.firstIndex(of: "]") else { return nil }
            let host = String(trimmed[trimmed.index(after: trimmed.startIndex)..<close])
            let rest = trimmed[trimmed.index(after: close)...]
            if rest.isEmpty { return host.isEmpty ? nil : (host, defaultPort) }
            guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()), (1...65535).contains(port), !host.isEmpty else { return nil }
            return (host, port)
        }
        let parts = trimmed.split(separator: ":", omittingEmptySubsequences: false)
        switch parts.count {
        case 1:
            return trimmed.isEmpty ? nil : (trimmed, defaultPort)
        case 2:
            guard !parts[0].isEmpty, let port = Int(parts[1]), (1...65535).contains(port) else { return nil }
            return (String(parts[0]), port)
        default:
            return nil
        }
    }
}

/// The console's own certificate chain and key (PEM).
public struct ConsoleTLS: Sendable {
    public var certificateChainPEM: String
    public var privateKeyPEM: Secret

    public init(certificateChainPEM: String, privateKeyPEM: Secret) {
        self.certificateChainPEM = certificateChainPEM
        self.privateKeyPEM = privateKeyPEM
    }
}

/// `[serve.auth] type`: how people sign in to the console.
public enum ConsoleAuthType: String, Sendable, CaseIterable {
    /// Accounts added with `portrait user add`.
    case local
    /// Microsoft Entra ID, through OpenID Connect.
    case entra
    /// Google, through OpenID Connect.
    case google
}
