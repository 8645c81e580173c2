import Foundation
import PortraitCore

/// What a `type = "google"` system is configured with.
public struct GoogleSettings: Sendable {
    /// Who a source's person is in Google: by primary email (a source's mail, or its UPN), or by
    /// the `organization` external id (a source's employee id).
    public enum Match: String, Sendable, CaseIterable {
        case primaryEmail
        case externalId

        var rules: [MatchRule] {
            switch self {
            case .primaryEmail: [.same(.mail), MatchRule(.userPrincipalName, to: .mail)]
            case .externalId: [.same(.employeeId)]
            }
        }
    }

    /// Which users to list: the account's own customer, or one domain of it.
    public enum Scope: Sendable {
        case customer(String)
        case domain(String)
    }

    public var key: ServiceAccountKey
    /// The administrator the service account acts as (the JWT `sub`).
    public var admin: String
    public var scope: Scope
    /// Without a trailing slash, e.g. `https://admin.googleapis.com`.
    public var apiURL: String
    public var match: Match
    public var quotaPerMinute: Int
    public var profile: RenditionProfile
    /// Delete before writing: a user's own photo otherwise stays shown over an admin's upload.
    public var replaceUserPhoto: Bool
    /// A PEM file of extra trusted CA certificates (a TLS-inspecting proxy's root).
    public var caFile: String?

    public static let defaultAPIURL = "https://admin.googleapis.com"
    /// Google's default Directory API quota: queries per minute per user (the impersonated admin).
    public static let defaultQuotaPerMinute = 2_400
    /// Google keeps a 96×96 copy whatever is sent.
    public static let defaultSide = 96
    /// Google answers quota errors, not concurrency limits, until far past this.
    public static let concurrency = 32

    public static let readScope = "https://www.googleapis.com/auth/admin.directory.user.readonly"
    public static let writeScope = "https://www.googleapis.com/auth/admin.directory.user"

    public init(key: ServiceAccountKey, admin: String, scope: Scope = .customer("my_customer"), apiURL: String = defaultAPIURL,
                match: Match = .primaryEmail, quotaPerMinute: Int = defaultQuotaPerMinute,
                profile: RenditionProfile = RenditionProfile(side: defaultSide), replaceUserPhoto: Bool = false, caFile: String? = nil) {
        self.key = key
        self.admin = admin
        self.scope = scope
        self.apiURL = apiURL.hasSuffix("/") ? String(apiURL.dropLast()) : apiURL
        self.match = match
        self.quotaPerMinute = quotaPerMinute
        self.profile = profile
        self.replaceUserPhoto = replaceUserPhoto
        self.caFile = caFile
    }
}

/// A service account's JSON key, as the Google Cloud console gives it.
public struct ServiceAccountKey: Sendable {
    public var clientEmail: String
    public var clientId: String
    public var privateKeyId: String
    public var privateKey: Secret
    public var tokenURI: String
    /// Where the key came from, for messages.
    public var file: String

    public static let googleTokenURI = "https://oauth2.googleapis.com/token"

    /// Reads the key's JSON; the error says what is wrong with it, never what the key is.
    public init(json: Data, file: String) throws {
        guard let object = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] else {
            throw KeyError("\(file) is not JSON; download the service account's key as JSON (IAM → Service accounts → Keys → Add key → JSON)")
        }
        let type = object["type"] as? String ?? ""
        guard type == "service_account" else {
            let found = type.isEmpty ? "has no type" : "is a key of type \"\(type)\""
            throw KeyError("\(file) \(found), not a service account key; create a JSON key for a service account with domain-wide delegation (IAM → Service accounts → Keys)")
        }
        func field(_ name: String) throws -> String {
            guard let value = object[name] as? String, !value.isEmpty else {
                throw KeyError("\(file) lacks `\(name)`; download a new JSON key for the service account")
            }
            return value
        }
        clientEmail = try field("client_email")
        clientId = try field("client_id")
        privateKeyId = try field("private_key_id")
        privateKey = Secret(try field("private_key"))
        tokenURI = (object["token_uri"] as? String).flatMap { $0.isEmpty ? nil : $0 } ?? Self.googleTokenURI
        self.file = file
    }

    /// What is wrong with a key file, to be reported against the key that names it.
    public struct KeyError: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }
}
