import Foundation
import PortraitCore
import PortraitSettings

/// How the console signs people in with the organisation's identity provider: `[serve.auth]`
/// with `type = "entra"` or `type = "google"`.
public struct OpenIDSettings: Sendable {
    public enum Provider: Sendable, Equatable {
        /// One Entra tenant, by name or id; its ID tokens carry its id as `tid`.
        case entra(tenant: String)
        /// Google; with a hosted domain, only that Workspace domain's accounts (`hd`).
        case google(hostedDomain: String?)
    }

    public var provider: Provider
    public var clientId: String
    public var clientSecret: Secret
    /// Where the discovery document is: `{login_url}/{tenant}/v2.0` or `https://accounts.google.com`.
    public var issuerURL: String
    /// The console's callback, as registered with the app.
    public var redirectURI: String
    /// A PEM file of extra trusted CA certificates (a TLS-inspecting proxy's root).
    public var caFile: String?

    public static let microsoftLogin = "https://login.microsoftonline.com"
    public static let googleIssuer = "https://accounts.google.com"
    /// The console's path the provider sends the browser back to.
    public static let callbackPath = "/login/callback"

    public init(provider: Provider, clientId: String, clientSecret: Secret, issuerURL: String, redirectURI: String, caFile: String? = nil) {
        self.provider = provider
        self.clientId = clientId
        self.clientSecret = clientSecret
        self.issuerURL = issuerURL.hasSuffix("/") ? String(issuerURL.dropLast()) : issuerURL
        self.redirectURI = redirectURI
        self.caFile = caFile
    }

    /// `[serve.auth]` of an `entra` or `google` type: the keys of that provider (the caller reads
    /// `type`, `approvers` and `viewers`). `consoleURL` is the console's own address when only
    /// this machine reaches it, from which the callback is derived; elsewhere `redirect_url` is
    /// required.
    public static func read(_ table: ConfigTable, google: Bool, consoleURL: String?, environment: [String: String]) throws -> OpenIDSettings {
        let clientId = try table.requiredString("client_id")
        guard let secret = try table.secret("client_secret", environment: environment) else {
            throw table.error(nil, "needs the app's client secret: client_secret_env (an environment variable's name) or client_secret_file")
        }
        let provider: Provider
        let issuer: String
        if google {
            provider = .google(hostedDomain: try table.string("hosted_domain")?.lowercased())
            issuer = try url(table, "issuer_url") ?? googleIssuer
        } else {
            let tenant = try table.requiredString("tenant")
            // common, organizations and consumers let any Microsoft account sign in: an ID token
            // would then prove nothing about belonging to this organisation.
            guard !["common", "organizations", "consumers"].contains(tenant.lowercased()), !tenant.contains("/") else {
                throw table.error("tenant", "\"\(tenant)\" is not one tenant; name your own (its domain, such as contoso.onmicrosoft.com, or its id)")
            }
            provider = .entra(tenant: tenant)
            issuer = (try url(table, "login_url") ?? microsoftLogin) + "/\(tenant)/v2.0"
        }
        let redirect: String
        if let given = try url(table, "redirect_url") {
            guard URL(string: given)?.path == callbackPath else {
                throw table.error("redirect_url", "the console's callback ends in \(callbackPath), such as https://portrait.example.com\(callbackPath)")
            }
            redirect = given
        } else if let consoleURL {
            redirect = consoleURL + callbackPath
        } else {
            throw table.error(nil, "needs redirect_url: the console's address as people's browsers reach it, ending in \(callbackPath), as registered with the app")
        }
        let caFile = try table.fileURL("ca_file")?.path
        return OpenIDSettings(provider: provider, clientId: clientId, clientSecret: secret, issuerURL: issuer, redirectURI: redirect, caFile: caFile)
    }

    /// An https URL, or http on this machine only (the sandbox); without a trailing slash.
    private static func url(_ table: ConfigTable, _ key: String) throws -> String? {
        guard var text = try table.string(key) else { return nil }
        while text.hasSuffix("/") { text.removeLast() }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host,
              scheme == "https" || (scheme == "http" && Loopback.isLoopback(host: host)) else {
            throw table.error(key, "\"\(text)\" is not an https URL (plain http only to this machine)")
        }
        return text
    }
}
