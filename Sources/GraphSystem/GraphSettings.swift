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

    /// Without a match key, a source's mail is looked up as Graph's `mail`, then as its
    /// `userPrincipalName` (a photographer's `path,mail` CSV just works), and a source's UPN as
    /// the UPN.
    public static let defaultMatching: [MatchRule] = [.same(.mail), MatchRule(.mail, to: .userPrincipalName), .same(.userPrincipalName)]

    public var tenant: String
    public var clientId: String
    public var credential: Credential
    public var cloud: Cloud
    /// Without a trailing slash, e.g. `https://graph.microsoft.com`.
    public var graphURL: String
    public var loginURL: String
    public var matching: [MatchRule]
    public var profile: RenditionProfile
    /// A PEM file of extra trusted CA certificates (a TLS-inspecting proxy's root).
    public var caFile: String?

    /// Graph takes at most 4 MB per photo.
    public static let maxPhotoBytes = 4 * 1024 * 1024
    /// Graph's photo requests are limited to 4 at once per app (Outlook's MailboxConcurrency).
    public static let photoConcurrency = 4

    /// `graphURL` and `loginURL` default to the cloud's own hosts.
    public init(tenant: String, clientId: String, credential: Credential, cloud: Cloud = .global, graphURL: String? = nil,
                loginURL: String? = nil, matching: [MatchRule] = defaultMatching, profile: RenditionProfile, caFile: String? = nil) {
        func trimmed(_ url: String) -> String { url.hasSuffix("/") ? String(url.dropLast()) : url }
        self.tenant = tenant
        self.clientId = clientId
        self.credential = credential
        self.cloud = cloud
        self.graphURL = trimmed(graphURL ?? cloud.graphURL)
        self.loginURL = trimmed(loginURL ?? cloud.loginURL)
        self.matching = matching
        self.profile = profile
        self.caFile = caFile
    }

    var tokenURL: String { "\(loginURL)/\(tenant)/oauth2/v2.0/token" }
    /// The cloud's Graph resource, whatever host requests go to (a proxy, a gateway): Entra
    /// refuses any other (AADSTS70011).
    var scope: String { "\(cloud.graphURL)/.default" }
}
