import FolderSystem
import Foundation
import GraphSystem
import PortraitCore

/// The system types a configuration can name, and how each reads its table.
enum SystemRegistry {
    /// What a system's table is read with, besides the table.
    struct Context {
        var environment: [String: String]
        var maxInputBytes: Int
    }

    typealias Factory = @Sendable (_ name: String, _ table: ConfigTable, _ context: Context) throws -> any PhotoSystem

    static let factories: [String: Factory] = [
        "folder": makeFolder,
        "graph": makeGraph,
    ]

    static func make(name: String, table: ConfigTable, context: Context) throws -> any PhotoSystem {
        let types = factories.keys.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
        guard let type = try table.string("type") else {
            throw table.error(nil, "missing required key `type` (one of \(types))")
        }
        guard let factory = factories[type] else {
            throw table.error("type", "unknown system type \"\(type)\"; expected one of \(types)")
        }
        let system = try factory(name, table, context)
        try table.finish(expected: "see the configuration reference in README.md for what a \(type) system takes")
        return system
    }

    /// The rendition profile keys shared by every target: side, max_bytes, crop, upscale.
    static func profile(_ table: ConfigTable, side defaultSide: Int, maxBytes defaultMaxBytes: Int? = nil) throws -> RenditionProfile {
        RenditionProfile(
            side: try table.int("side", in: 16...4096) ?? defaultSide,
            maxBytes: try table.int("max_bytes", in: 512...(Photo.maxInputBytes)) ?? defaultMaxBytes,
            crop: try crop(table) ?? .centre,
            upscale: try table.bool("upscale") ?? false)
    }

    /// `crop`: "centre" or "attention"; the American "center" is the centre too.
    private static func crop(_ table: ConfigTable) throws -> CropMode? {
        guard let text = try table.string("crop") else { return nil }
        if text == "center" { return .centre }
        guard let crop = CropMode(rawValue: text) else {
            throw table.error("crop", "expected \"centre\" (or \"center\") or \"attention\", found \"\(text)\"")
        }
        return crop
    }

    static func makeFolder(name: String, table: ConfigTable, context: Context) throws -> any PhotoSystem {
        let folder = try table.fileURL("path") ?? { throw table.error(nil, "missing required key `path` (the folder)") }()
        let csv = try table.fileURL("csv")
        let pattern = try table.string("pattern")
        if csv != nil, pattern != nil {
            throw table.error("pattern", "set either `csv` or `pattern`, not both")
        }
        let settings = FolderSystem.Settings(folder: folder, csv: csv, pattern: pattern, profile: try profile(table, side: 648),
                                             maxInputBytes: context.maxInputBytes)
        return FolderSystem(name: name, settings: settings)
    }

    static func makeGraph(name: String, table: ConfigTable, context: Context) throws -> any PhotoSystem {
        let tenant = try table.requiredString("tenant")
        let clientId = try table.requiredString("client_id")
        let cloud = try table.choice("cloud", of: GraphSettings.Cloud.self) ?? .global
        let graphURL = try serviceURL(table, "graph_url")
        let loginURL = try serviceURL(table, "login_url")

        let secret = try table.secret("client_secret", environment: context.environment)
        let certificate = try table.fileURL("certificate_file")
        let keyFile = try table.fileURL("private_key_file")
        let algorithm = try table.choice("assertion_alg", of: GraphSettings.AssertionAlgorithm.self)
        let credential: GraphSettings.Credential
        switch (secret, certificate, keyFile) {
        case (let secret?, nil, nil):
            if algorithm != nil { throw table.error("assertion_alg", "only applies with certificate_file and private_key_file") }
            credential = .secret(secret)
        case (nil, let certificate?, let keyFile?):
            guard let pem = try? String(contentsOf: certificate, encoding: .utf8) else {
                throw table.error("certificate_file", "cannot read \(certificate.path)")
            }
            let key = try table.readSecretFile(keyFile, key: "private_key_file")
            credential = .certificate(certificatePEM: pem, privateKeyPEM: key, algorithm: algorithm ?? .PS256)
        case (nil, _?, nil):
            throw table.error("certificate_file", "needs private_key_file beside it (the certificate's PEM private key)")
        case (nil, nil, _?):
            throw table.error("private_key_file", "needs certificate_file beside it (the PEM certificate registered with the app)")
        case (nil, nil, nil):
            throw table.error(nil, "needs a credential: client_secret_env, client_secret_file, or certificate_file with private_key_file")
        default:
            throw table.error("client_secret_env", "give one credential: a client secret or a certificate, not both")
        }
        var profile = try profile(table, side: 648)
        if let maxBytes = profile.maxBytes, maxBytes > GraphSettings.maxPhotoBytes {
            throw table.error("max_bytes", "Graph takes at most \(GraphSettings.maxPhotoBytes) bytes")
        }
        profile.maxBytes = profile.maxBytes ?? GraphSettings.maxPhotoBytes
        let matching = try table.choice("match", of: MatchKey.self).map { [MatchRule.same($0)] } ?? GraphSettings.defaultMatching
        let caFile = try table.fileURL("ca_file")
        let settings = GraphSettings(
            tenant: tenant, clientId: clientId, credential: credential, cloud: cloud, graphURL: graphURL, loginURL: loginURL,
            matching: matching, profile: profile, caFile: caFile?.path)
        do {
            return try GraphSystem(name: name, settings: settings, environment: context.environment)
        } catch let error as SystemError {
            let key = error.message.contains("ca_file") ? "ca_file" : error.message.contains("HTTPS_PROXY") ? nil : "private_key_file"
            throw table.error(error.kind == .misconfigured ? key : nil, error.message)
        }
    }

    /// A base URL: https, or plain http to this machine only (the sandbox, a local proxy).
    static func serviceURL(_ table: ConfigTable, _ key: String) throws -> String? {
        guard let text = try table.string(key) else { return nil }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host else {
            throw table.error(key, "expected a URL such as https://graph.microsoft.com, found \"\(text)\"")
        }
        guard scheme == "https" || (scheme == "http" && Loopback.isLoopback(host: host)) else {
            throw table.error(key, "must use https (plain http is allowed only to this machine: 127.0.0.1, ::1 or localhost)")
        }
        return text.hasSuffix("/") ? String(text.dropLast()) : text
    }
}
