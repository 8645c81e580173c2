import Foundation
import PortraitCore
import PortraitSettings

/// `type = "google"`: service_account_file, admin, customer or domain, api_url, token_url,
/// match, quota_per_minute, replace_user_photo, ca_file and the rendition keys.
extension GoogleSystem: SystemType {
    public static let typeName = "google"

    public static func make(name: String, table: ConfigTable, context: SystemContext) throws -> any PhotoSystem {
        guard let keyURL = try table.fileURL("service_account_file") else {
            throw table.error(nil, "missing required key `service_account_file` (the service account's JSON key)")
        }
        let keyText = try table.readSecretFile(keyURL, key: "service_account_file")
        let key: ServiceAccountKey
        do {
            key = try ServiceAccountKey(json: Data(keyText.reveal().utf8), file: keyURL.path)
        } catch let error as ServiceAccountKey.KeyError {
            throw table.error("service_account_file", error.description)
        }
        let admin = try table.requiredString("admin")
        guard admin.contains("@") else {
            throw table.error("admin", "expected the primary email of a Google Workspace administrator, found \"\(admin)\"")
        }
        let customer = try table.string("customer")
        let domain = try table.string("domain")
        let scope: GoogleSettings.Scope
        switch (customer, domain) {
        case (.some, .some): throw table.error("domain", "set either `customer` or `domain`, not both")
        case (nil, let domain?): scope = .domain(domain)
        case (let customer, nil): scope = .customer(customer ?? "my_customer")
        }
        let apiURL = try table.serviceURL("api_url", example: GoogleSettings.defaultAPIURL) ?? GoogleSettings.defaultAPIURL
        let tokenURL = try table.serviceURL("token_url", example: ServiceAccountKey.googleTokenURI)
        if tokenURL == nil, let uri = URL(string: key.tokenURI), uri.scheme?.lowercased() != "https",
           !(uri.scheme?.lowercased() == "http" && Loopback.isLoopback(host: uri.host ?? "")) {
            throw table.error("service_account_file", "the key's token_uri \(key.tokenURI) is not https; set `token_url`")
        }
        let match = try table.choice("match", of: GoogleSettings.Match.self) ?? .primaryEmail
        let quota = try table.int("quota_per_minute", in: 1...1_000_000) ?? GoogleSettings.defaultQuotaPerMinute
        let replace = try table.bool("replace_user_photo") ?? false
        let profile = try table.profile(side: GoogleSettings.defaultSide)
        let caFile = try table.fileURL("ca_file")
        let settings = GoogleSettings(key: key, admin: admin, scope: scope, apiURL: apiURL, match: match, quotaPerMinute: quota,
                                      profile: profile, replaceUserPhoto: replace, caFile: caFile?.path)
        do {
            return try GoogleSystem(name: name, settings: settings, tokenURL: tokenURL, environment: context.environment)
        } catch let refusal as SystemError {
            throw table.error(refusal, credentialKey: "service_account_file")
        }
    }
}
