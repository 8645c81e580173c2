import Foundation
import Logging
import PortraitCore
import PortraitSettings

/// `type = "ldap"`: url, starttls, bind_dn, password_env | password_file, tls_ca_file, tls_verify,
/// allow_insecure_bind, base_dn, filter, match_attribute, page_size, connections, jpeg_photo and
/// the rendition keys (for thumbnailPhoto).
extension LDAPSystem: SystemType {
    public static let typeName = "ldap"

    public static func make(name: String, table: ConfigTable, context: SystemContext) throws -> any PhotoSystem {
        let urlText = try table.requiredString("url")
        guard let url = URL(string: urlText), let scheme = url.scheme?.lowercased(), ["ldap", "ldaps"].contains(scheme),
              let host = url.host, !host.isEmpty else {
            throw table.error("url", "expected ldaps://host[:port] (or ldap://host[:port] with starttls = true), found \"\(urlText)\"")
        }
        guard url.path.isEmpty || url.path == "/" else {
            throw table.error("url", "the base DN goes in `base_dn`, not in the URL; write \(scheme)://\(host)\(url.port.map { ":\($0)" } ?? "")")
        }
        let startTLS = try table.bool("starttls") ?? false
        if startTLS, scheme == "ldaps" {
            throw table.error("starttls", "ldaps:// is already encrypted; starttls applies to ldap:// only")
        }
        let allowInsecure = try table.bool("allow_insecure_bind") ?? false
        if scheme == "ldap", !startTLS {
            guard allowInsecure else {
                throw table.error("url", "ldap:// without starttls sends the password unencrypted; use ldaps://\(host), or set `starttls = true`")
            }
            guard Loopback.isLoopback(host: host) else {
                throw table.error("allow_insecure_bind", "an unencrypted bind is allowed only to this machine (127.0.0.1, ::1 or localhost), not \(host)")
            }
        }
        let bindDN = try table.requiredString("bind_dn")
        guard let password = try table.secret("password", environment: context.environment) else {
            throw table.error(nil, "missing `password_env` or `password_file` (the bind account's password)")
        }
        let caFile = try table.fileURL("tls_ca_file")
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile.path) {
            throw table.error("tls_ca_file", "cannot read \(caFile.path); give the PEM file of the CA that issued the server's certificate")
        }
        let verify = try table.bool("tls_verify") ?? true
        let baseDN = try table.requiredString("base_dn")
        guard baseDN.contains("=") else {
            throw table.error("base_dn", "expected a DN such as OU=Staff,DC=contoso,DC=com, found \"\(baseDN)\"")
        }
        let filter = try table.string("filter") ?? LDAPSettings.defaultFilter
        guard filter.hasPrefix("("), filter.hasSuffix(")") else {
            throw table.error("filter", "expected an LDAP filter in parentheses, such as \(LDAPSettings.defaultFilter)")
        }
        let match = try table.choice("match_attribute", of: LDAPSettings.MatchAttribute.self) ?? .mail
        let pageSize = try table.int("page_size", in: 1...1000) ?? LDAPSettings.defaultPageSize
        let connections = try table.int("connections", in: 1...16) ?? LDAPSettings.defaultConnections
        let thumbnail = try table.profile(side: LDAPSettings.defaultThumbnail.side, maxBytes: LDAPSettings.defaultThumbnail.maxBytes)
        if let maxBytes = thumbnail.maxBytes, maxBytes > LDAPSettings.thumbnailLimit {
            throw table.error("max_bytes", "thumbnailPhoto holds at most 102400 bytes (AD's limit); found \(maxBytes)")
        }
        let thumbnailProfile = RenditionProfile(side: thumbnail.side, maxBytes: thumbnail.maxBytes ?? LDAPSettings.thumbnailLimit,
                                                crop: thumbnail.crop, upscale: thumbnail.upscale)
        let jpegPhoto = try table.bool("jpeg_photo") ?? false
        if !verify {
            Logger(label: "portrait.\(name)").warning("\(name): tls_verify = false: the server's certificate is not checked, so anyone on the network path can pose as it and receive the bind password; set `tls_ca_file` instead")
        }
        let endpoint = LDAPEndpoint(url: urlText, startTLS: startTLS, caFile: caFile?.path, verifyTLS: verify, bindDN: bindDN, password: password)
        let settings = LDAPSettings(
            endpoint: endpoint, baseDN: baseDN, filter: filter, match: match, pageSize: pageSize, connections: connections,
            thumbnail: thumbnailProfile,
            jpegPhoto: jpegPhoto ? RenditionProfile(side: LDAPSettings.jpegPhotoSide, crop: thumbnail.crop, upscale: thumbnail.upscale) : nil)
        return LDAPSystem(name: name, settings: settings)
    }
}
