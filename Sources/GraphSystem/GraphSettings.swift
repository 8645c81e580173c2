import Foundation
import PortraitCore

/// What a `type = "graph"` system is configured with.
public struct GraphSettings: Sendable {
    public enum Credential: Sendable {
        case secret(Secret)
        /// A PEM certificate registered with the app and its PEM private key; the client
        /// assertion is signed PS256 (with `x5t#S256`) or RS256 (with `x5t`).
        case certificate(certificatePEM: String, privateKeyPEM: Secret, algorithm: AssertionAlgorithm)
    }

    public enum AssertionAlgorithm: String, Sendable, CaseIterable {
        case PS256, RS256
    }

    /// Microsoft's clouds: each has its own Graph and sign-in hosts.
    public enum Cloud: String, Sendable, CaseIterable {
        case global
        case usgov
        case usgovDoD = "usgov-dod"
        case china

        public var graphURL: String {
            switch self {
            case .global: "https://graph.microsoft.com"
            case .usgov: "https://graph.microsoft.us"
            case .usgovDoD: "https://dod-graph.microsoft.us"
            case .china: "https://microsoftgraph.chinacloudapi.cn"
            }
        }

        public var loginURL: String {
            switch self {
            case .global: "https://login.microsoftonline.com"
            case .usgov, .usgovDoD: "https://login.microsoftonline.us"
            case .china: "https://login.chinacloudapi.cn"
            }
        }
    }

    public var tenant: String
    public var clientId: String
    public var credential: Credential
    /// Without a trailing slash, e.g. `https://graph.microsoft.com`.
    public var graphURL: String
    public var loginURL: String
    public var match: MatchKey
    public var profile: RenditionProfile

    /// Graph takes at most 4 MB per photo.
    public static let maxPhotoBytes = 4 * 1024 * 1024
    /// Graph's photo requests are limited to 4 at once per app (Outlook's MailboxConcurrency).
    public static let photoConcurrency = 4

    public init(tenant: String, clientId: String, credential: Credential, graphURL: String, loginURL: String,
                match: MatchKey, profile: RenditionProfile) {
        self.tenant = tenant
        self.clientId = clientId
        self.credential = credential
        self.graphURL = graphURL.hasSuffix("/") ? String(graphURL.dropLast()) : graphURL
        self.loginURL = loginURL.hasSuffix("/") ? String(loginURL.dropLast()) : loginURL
        self.match = match
        self.profile = profile
    }

    var tokenURL: String { "\(loginURL)/\(tenant)/oauth2/v2.0/token" }
    var scope: String { "\(graphURL)/.default" }
}
